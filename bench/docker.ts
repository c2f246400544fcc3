// A private Docker engine (Debian's docker.io: dockerd 20.10 and its built-in BuildKit) for the
// `docker build` anchor. The daemon flags are the ones DESIGN.md §6 found by trial here; its data,
// exec root, pidfile and socket live in the bench's scratch folder. The storage driver is overlay2
// when the kernel allows it (what docker users get), else vfs, as for podman.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { command } from "../test/support/command.js";
import type { DockerfileEngine } from "./anchors.js";
import type { BenchCase } from "./cases.js";
import { removeTree } from "./podman.js";
import type { AptCache, BaseRunner } from "./setup.js";
import { dockerfileWithAptMounts } from "./variants.js";

export interface Docker {
  driver: "overlay2" | "vfs";
  /** The client to run, with DOCKER_HOST (and the rest) in env. */
  bin: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  daemon: ChildProcess;
}

/** The image holding apt's lists (/lists) and .debs (/cache) that the builds bind-mount. */
export const APT_IMAGE = "localhost/bench-apt";

// docker.io's client matches its daemon; a newer client elsewhere on PATH may hand `build` to a
// buildx plugin that this daemon's API does not serve the same way.
export const dockerBin = () => (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

function logTail(file: string): string {
  try { return readFileSync(file, "utf8").split("\n").slice(-15).join("\n"); } catch { return "(no log)"; }
}

async function startDaemon(dir: string, driver: Docker["driver"]): Promise<Docker> {
  await mkdir(dir, { recursive: true });
  const sock = join(dir, "docker.sock");
  const log = join(dir, "dockerd.log");
  const fd = openSync(log, "a");
  const daemon = spawn("dockerd", [
    "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
    "--host", `unix://${sock}`,
    "--storage-driver", driver,
    "--iptables=false", // leave the host's firewall alone
    // No bridge: the builds run --network=none and nothing else here needs one, so the host's
    // links stay untouched and the tests' private dockerd (which makes its own bridge) is not in the way.
    "--bridge", "none",
    "--default-ulimit", "nofile=20000:20000", // stay within this host's hard limit
  ], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  daemon.once("error", () => { /* reported below: the daemon never answers */ });
  // Should the bench exit without reaching its finally (an uncaught error), the daemon goes too.
  const killOnExit = () => { try { daemon.kill("SIGKILL"); } catch { /* already gone */ } };
  process.once("exit", killOnExit);
  daemon.once("exit", () => process.removeListener("exit", killOnExit));
  // DOCKER_CONFIG: a config folder of its own, so that the user's ~/.docker (logins, plugins) plays no part.
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: "1", DOCKER_CONFIG: join(dir, "client") };
  const d: Docker = { driver, bin: dockerBin(), env, dir, daemon };
  for (let i = 0; i < 240; i++) {
    if (daemon.exitCode !== null || daemon.signalCode !== null || daemon.pid === undefined) throw new Error(`dockerd (storage driver ${driver}) exited at start; its log:\n${logTail(log)}`);
    const r = await command(d.bin, ["version", "--format", "{{.Server.Version}}"], { env, allowFail: true, timeoutMs: 5_000 }).catch(() => undefined);
    if (r?.code === 0) return d;
    await sleep(250);
  }
  await stopDocker(d);
  throw new Error(`dockerd did not answer on ${sock} within a minute; its log:\n${logTail(log)}`);
}

export function dockerCli(d: Docker, args: string[], timeoutMs = 900_000): Promise<string> {
  return command(d.bin, args, { env: d.env, timeoutMs }).then((r) => r.stdout);
}

/**
 * A dockerd with `baseTar` imported as localhost/bench-base. With driver "auto", overlay2 is tried
 * first and vfs used if the daemon cannot start on it or import the base.
 */
export async function startDocker(dir: string, driver: "auto" | "overlay" | "vfs", baseTar: string, log: (s: string) => void): Promise<Docker> {
  const tries: Docker["driver"][] = driver === "auto" ? ["overlay2", "vfs"] : [driver === "overlay" ? "overlay2" : "vfs"];
  let last: unknown;
  for (const t of tries) {
    let d: Docker | undefined;
    try {
      d = await startDaemon(join(dir, t), t);
      await dockerCli(d, ["import", baseTar, "localhost/bench-base"]);
      return d;
    } catch (e) {
      last = e;
      const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      log(`dockerd with the ${t} storage driver failed (${why}); ${t === "overlay2" && tries.length > 1 ? "trying vfs" : "giving up"}`);
      if (d) await stopDocker(d);
      else await removeTree(join(dir, t));
    }
  }
  throw last;
}

/** Stops the daemon by its pid (SIGTERM, then SIGKILL after 20 s) and deletes its folder. */
export async function stopDocker(d: Docker): Promise<void> {
  const p = d.daemon;
  if (p.exitCode === null && p.signalCode === null) {
    const exited = new Promise<void>((ok) => p.once("exit", () => ok()));
    p.kill("SIGTERM");
    const force = setTimeout(() => p.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(force);
  }
  await removeTree(d.dir);
}

/** For the downloads when podman is not in the run: the host's network, as this daemon has no bridge. */
export const dockerRunner = (d: Docker): BaseRunner => (volumes, script) =>
  dockerCli(d, ["run", "--rm", "--network", "host", ...volumes.flatMap((v) => ["-v", v]), "localhost/bench-base", "sh", "-c", script]);

/**
 * apt's downloads as an image (untimed), for the builds to bind-mount. BuildKit has no `-v`, and a
 * `--mount=type=cache` starts empty under `--no-cache` on this BuildKit (docker 20.10), so a cache
 * mount filled by an earlier build is gone in the cold phase; a bind mount from an image is not.
 */
export async function buildAptImage(d: Docker, apt: AptCache, scratch: string): Promise<string> {
  const file = join(scratch, "apt-image.Dockerfile");
  await writeFile(file, `FROM scratch\nCOPY ${basename(apt.lists)} /lists\nCOPY ${basename(apt.cache)} /cache\n`);
  await dockerCli(d, ["build", "-q", "-f", file, "-t", APT_IMAGE, apt.dir]);
  return APT_IMAGE;
}

/** dockerd's peak resident set (VmHWM, KiB) since the last reset: BuildKit and the pushes run in the daemon, not in the timed client. */
async function daemonPeakKiB(d: Docker): Promise<number> {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${d.daemon.pid}/status`, "utf8"));
  if (!m) throw new Error(`bench: no VmHWM in /proc/${d.daemon.pid}/status`);
  return Number(m[1]);
}

/** `docker build` of the case's Dockerfile, apt's downloads bind-mounted from `aptImage`. */
export function dockerEngine(d: Docker, aptImage: string): DockerfileEngine {
  return {
    tool: "docker",
    env: d.env,
    dockerfile: (c: BenchCase) => dockerfileWithAptMounts(c.dockerfile, aptImage),
    // --network=none: BuildKit accepts it here; apt has everything it needs from the mounts.
    build: (ctx, tag, extra) => [d.bin, "build", ...extra, "--network=none", "-t", tag, ctx],
    // docker treats 127.0.0.0/8 as an insecure registry by default: plain HTTP, no flag.
    push: (tag, ref) => [[d.bin, "tag", tag, ref], [d.bin, "push", ref]],
    save: (tag, out) => dockerCli(d, ["save", "-o", out, tag]).then(() => undefined),
    // Writing 5 to clear_refs resets the peak to the current resident set.
    daemonPeak: { reset: () => writeFile(`/proc/${d.daemon.pid}/clear_refs`, "5"), readKiB: () => daemonPeakKiB(d) },
  };
}
