// Running a command isolated from the host, with bubblewrap (Debian's `bubblewrap`, the sandbox
// Flatpak uses). Why bwrap and not namespaces by hand: Node cannot call unshare(2) itself, and
// bwrap does the fiddly part — user, mount, PID, IPC, UTS and network namespaces, a fresh /proc
// and /dev, pivot_root, dying with its parent — unprivileged, with no setuid helper on Debian, in
// one small audited binary. It needs unprivileged user namespaces, which Debian enables.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readlinkSync, lstatSync } from "node:fs";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import { findOnPath } from "../executables.js";

export interface Bind {
  /** Host path. */
  source: string;
  /** Path inside the sandbox. */
  target: string;
  writable: boolean;
}

export interface SandboxRun {
  /** Host directory that becomes `/`. Writable: bound as is (the step's changes land in it).
   *  Read-only: each top-level entry is bound read-only on a fresh root, so other binds can be
   *  added at any path (the current directory of `cairn shell`). */
  root: { dir: string; writable: boolean };
  binds?: Bind[];
  /** Working directory inside the sandbox. */
  cwd: string;
  /** The whole environment: nothing of the host's leaks in. */
  env: Record<string, string>;
  /** Share the host's network (and its resolv.conf); otherwise only a private loopback exists. */
  network: boolean;
  uid: number;
  gid: number;
  argv: string[];
  /** "inherit": the terminal is the sandbox's (cairn shell). "capture": output comes to `onOutput`. */
  stdio: "inherit" | "capture";
  onOutput?: (chunk: string) => void;
}

export interface SandboxResult {
  code: number;
  signal?: NodeJS.Signals;
  /** The last lines of output (captured runs only), for error messages. */
  tail: string;
}

const HOST_FILES = ["/etc/resolv.conf", "/etc/hosts"];

export function bwrapArgs(run: SandboxRun): string[] {
  const a = [
    "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
    ...(run.network ? [] : ["--unshare-net"]),
    "--uid", String(run.uid), "--gid", String(run.gid),
    "--hostname", "cairn",
    "--die-with-parent",
    // No controlling terminal for captured runs: a step cannot push input into cairn's terminal.
    ...(run.stdio === "capture" ? ["--new-session"] : []),
  ];
  if (run.root.writable) {
    a.push("--bind", run.root.dir, "/");
  } else {
    for (const name of readdirSync(run.root.dir).sort()) {
      const p = path.join(run.root.dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) a.push("--symlink", readlinkSync(p), `/${name}`);
      else if (!["proc", "dev", "tmp"].includes(name)) a.push("--ro-bind", p, `/${name}`);
    }
  }
  a.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  if (run.network) for (const f of HOST_FILES) if (existsSync(f)) a.push("--ro-bind", f, f);
  for (const b of run.binds ?? []) a.push(b.writable ? "--bind" : "--ro-bind", b.source, b.target);
  a.push("--chdir", run.cwd, "--");
  return [...a, ...run.argv];
}

/** Run `run.argv` in a sandbox; resolves with its exit status (a failing command is not an error here). */
export function runInSandbox(run: SandboxRun): Promise<SandboxResult> {
  return new Promise((resolve, reject) => {
    // bwrap writes the child's pid to the info fd once the sandbox is set up: silence there means
    // bwrap itself failed (no user namespaces, say), not the command.
    const child = spawn(findBwrap(), ["--info-fd", "3", ...bwrapArgs(run)], {
      env: run.env,
      stdio: run.stdio === "inherit" ? ["inherit", "inherit", "inherit", "pipe"] : ["ignore", "pipe", "pipe", "pipe"],
    });
    let info = "";
    let tail = "";
    const keep = (s: string) => {
      tail = (tail + s).slice(-8000);
      run.onOutput?.(s);
    };
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (b: Buffer) => (info += b.toString()));
    child.stdout?.on("data", (b: Buffer) => keep(b.toString()));
    child.stderr?.on("data", (b: Buffer) => keep(b.toString()));
    child.on("error", (e) => {
      const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
      reject(missing ? bwrapMissing() : new CairnError(ErrorCode.SANDBOX_UNAVAILABLE, `Could not start bwrap: ${e.message}.`, INSTALL_HINT));
    });
    // An interactive sandbox gets the signals sent to cairn alone (a supervisor's SIGINT or SIGTERM);
    // a terminal's Ctrl-C reaches it directly, as part of the foreground process group.
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const signals: NodeJS.Signals[] = run.stdio === "inherit" ? ["SIGINT", "SIGTERM", "SIGHUP"] : [];
    for (const sig of signals) process.on(sig, forward);
    child.on("close", (code, signal) => {
      for (const sig of signals) process.off(sig, forward);
      if (!info && code !== 0 && !signal) {
        reject(sandboxRefused(tail.trim()));
        return;
      }
      resolve({ code: code ?? 128, ...(signal ? { signal } : {}), tail: lastLines(tail, 30) });
    });
  });
}

/** bwrap on cairn's own PATH: spawn would search the sandbox's PATH (run.env), which is for inside it. */
function findBwrap(): string {
  return findOnPath("bwrap") ?? "bwrap";
}

const INSTALL_HINT = "Install bubblewrap (`sudo apt-get install bubblewrap`); cairn runs build steps and `cairn shell` in it.";

function bwrapMissing(): CairnError {
  return new CairnError(ErrorCode.SANDBOX_UNAVAILABLE, "Build steps (runAsRoot, extraCommands, derivations) and `cairn shell` run in a bubblewrap sandbox, and `bwrap` is not on PATH.", INSTALL_HINT);
}

/** bwrap's own complaint, made actionable: nearly always the host forbids unprivileged user namespaces. */
export function sandboxRefused(bwrapOutput: string): CairnError {
  const line = bwrapOutput.split("\n").filter((l) => l.startsWith("bwrap:")).pop() ?? (bwrapOutput || "no message");
  const userns = /namespace|uid map|Operation not permitted|Permission denied/i.test(line);
  return new CairnError(
    ErrorCode.SANDBOX_UNAVAILABLE,
    `The build sandbox could not be set up: ${line}`,
    userns
      ? "cairn needs unprivileged user namespaces (no root, no daemon). Enable them: `sudo sysctl kernel.unprivileged_userns_clone=1` (Debian), or on Ubuntu 24.04+ `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; inside a container, run it with user namespaces allowed (e.g. podman's default, or docker --security-opt seccomp=unconfined)."
      : INSTALL_HINT,
  );
}

export function lastLines(text: string, n: number): string {
  return text.replace(/\s+$/, "").split("\n").slice(-n).join("\n");
}

const NETWORK_FAILURE = /Temporary failure in name resolution|Could not resolve|Name or service not known|getaddrinfo|EAI_AGAIN|ENOTFOUND|ENETUNREACH|Network is unreachable|No route to host|Connection refused|ECONNREFUSED|Failed to connect|unable to access|Could not connect/i;

/** Whether a failed offline step's output looks like it tried the network. */
export function looksLikeNetworkFailure(output: string): boolean {
  return NETWORK_FAILURE.test(output);
}
