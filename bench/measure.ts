// One timed run of a command: wall clock of the whole spawned process (node's monotonic clock),
// and its peak memory from GNU time (%M: the largest resident set of the process or of any
// descendant it waited for, in KiB).
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { command } from "../test/support/command.js";

export const GNU_TIME = "/usr/bin/time";

export interface Sample {
  seconds: number;
  rssKiB: number;
  stdout: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where GNU time writes its figure; a file, so the command's own stderr stays untouched. */
  scratch: string;
  timeoutMs?: number;
}

let counter = 0;

export async function timed(cmd: string, args: string[], opts: RunOptions): Promise<Sample> {
  const rssFile = join(opts.scratch, `rss-${process.pid}-${++counter}`);
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const line = [cmd, ...args].join(" ");
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(GNU_TIME, ["-f", "%M", "-o", rssFile, cmd, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => { clearTimeout(timer); reject(new Error(`bench: cannot run ${GNU_TIME}: ${e.message}`)); });
    child.on("close", (c) => { clearTimeout(timer); resolve({ code: c, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }); });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rssText = await readFile(rssFile, "utf8").catch(() => "");
  await rm(rssFile, { force: true });
  if (code !== 0) {
    const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-25).join("\n");
    throw new Error(`bench: ${line} failed (exit ${code ?? "killed"} after ${seconds.toFixed(1)} s):\n${tail}`);
  }
  // GNU time prints "Command exited with non-zero status" first on failure; the figure is the last line.
  const rssKiB = Number(rssText.trim().split("\n").pop());
  if (!Number.isFinite(rssKiB)) throw new Error(`bench: ${GNU_TIME} wrote no peak memory figure for ${line} (got ${JSON.stringify(rssText)})`);
  return { seconds, rssKiB, stdout };
}

/** Runs an untimed helper command (setup, inspection), failing with its output. */
export async function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const r = await command(cmd, args, { cwd: opts.cwd, env: opts.env, timeoutMs: opts.timeoutMs ?? 900_000 });
  return r.stdout;
}
