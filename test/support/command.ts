// Runs a host tool for the test harness: bounded in time, output captured, and a failure that
// names the command, its exit code and its stderr, so a broken fixture explains itself.
import { spawn } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout undecoded, for tools that write binary (gzip -c). */
  stdoutBytes: Buffer;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** Killed (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
  /** Resolve with a non-zero code instead of throwing. */
  allowFail?: boolean;
}

export function command(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message} (is it installed? .ci/run lists the packages the tests need)`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      const r = { code: code ?? 128, stdout: bytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes: bytes };
      const line = [cmd, ...args].join(" ");
      if (timedOut) return reject(new Error(`${line} did not finish within ${timeoutMs} ms; stderr:\n${r.stderr}`));
      if (r.code !== 0 && !opts.allowFail) {
        return reject(new Error(`${line} failed (exit ${code ?? signal}):\n${r.stderr.trim() || r.stdout.trim()}`));
      }
      resolve(r);
    });
    child.stdin.on("error", () => { /* the tool may exit before reading its input */ });
    child.stdin.end(opts.input ?? "");
  });
}
