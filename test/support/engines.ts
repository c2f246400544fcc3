// Real container engines for the end-to-end tiers, each with private storage so tests never touch
// (or depend on) the host's images. The flags are the ones found by trial on these machines
// (DESIGN.md §6); each is explained where it is set.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { command, type CommandResult } from "./command.js";

export type RunResult = CommandResult;

export interface RunOptions {
  /** Default 120 s. */
  timeoutMs?: number;
  input?: string | Buffer;
}

export interface Detached {
  id: string;
  /** The container's output so far, for failure messages. */
  logs(): Promise<string>;
  /** Kills and removes the container. */
  stop(): Promise<void>;
}

export interface Engine {
  name: "podman" | "docker";
  /** `load -i TAR`; returns the loaded reference ("name:tag"), or the image ID when the tar has no tag. */
  load(tarPath: string): Promise<string>;
  /** `load` from a stream (stdin), as `cairn build --stream | podman load` does. */
  loadStream(tar: NodeJS.ReadableStream): Promise<string>;
  /** `run --rm ARGS…` (ARGS are run's options, the image and its command); a non-zero exit is returned, not thrown. */
  run(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** `run -d ARGS…`; throws if the container cannot be created. */
  runDetached(args: string[]): Promise<Detached>;
  /** Any other subcommand (`import`, `inspect`, `save`, `images`…) against the same private storage; throws on failure. */
  cli(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Removes every container and the private storage (and stops the daemon, for docker). */
  cleanup(): Promise<void>;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => {
    try { accessSync(join(d, bin), constants.X_OK); return true; } catch { return false; }
  });
}

export function available(): { podman: boolean; docker: boolean } {
  return { podman: onPath("podman") && onPath("runc"), docker: onPath("dockerd") && onPath("docker") };
}

function loadedRef(out: string): string {
  // podman: "Loaded image: localhost/x:1" or "Loaded image(s): a,b"; docker: "Loaded image: x:1" or "Loaded image ID: sha256:…".
  const m = /^Loaded image(?:\(s\)| ID)?: (.+)$/m.exec(out);
  if (!m) throw new Error(`could not find the loaded image in the engine's output:\n${out}`);
  return m[1].split(",")[0].trim();
}

function engine(name: Engine["name"], bin: string, globalArgs: string[], env: NodeJS.ProcessEnv, dispose: () => Promise<void>): Engine {
  const cli = (args: string[], opts: RunOptions & { allowFail?: boolean } = {}) =>
    command(bin, [...globalArgs, ...args], { env, ...opts });
  // podman's rm -f waits 10 s for SIGTERM, which a PID 1 without a handler ignores; docker's kills at once.
  const rmForce = name === "podman" ? ["rm", "-f", "-t", "0"] : ["rm", "-f"];
  return {
    name,
    cli,
    async load(tarPath) { return loadedRef((await cli(["load", "-i", tarPath], { timeoutMs: 300_000 })).stdout); },
    loadStream(tar) {
      return new Promise((resolve, reject) => {
        const child = spawn(bin, [...globalArgs, "load"], { env, stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b));
        child.stderr.on("data", (b: Buffer) => (out += b));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(loadedRef(out)) : reject(new Error(`${bin} load exited ${code}:\n${out}`))));
        tar.pipe(child.stdin);
      });
    },
    run: (args, opts) => cli(["run", "--rm", ...args], { ...opts, allowFail: true }),
    async runDetached(args) {
      const id = (await cli(["run", "-d", ...args])).stdout.trim().split("\n").pop()!;
      return {
        id,
        async logs() { const r = await cli(["logs", id], { allowFail: true }); return r.stdout + r.stderr; },
        async stop() { await cli([...rmForce, id], { allowFail: true }); },
      };
    },
    async cleanup() {
      const ids = (await cli(["ps", "-aq"], { allowFail: true })).stdout.split("\n").filter(Boolean);
      if (ids.length) await cli([...rmForce, ...ids], { allowFail: true });
      await dispose();
    },
  };
}

/** Unmounts whatever an engine left mounted under dir (a killed container's shm), then deletes dir. */
export async function removeTree(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mounts", "utf8")).split("\n").map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && m.startsWith(dir + "/")).sort().reverse();
  for (const m of mounts) await command("umount", ["-l", m], { allowFail: true });
  await rm(dir, { recursive: true, force: true });
}

let overlay: boolean | undefined;

/**
 * Whether the kernel's overlayfs mounts here (as root, on the temp dir's filesystem). The engines'
 * vfs driver copies every lower layer into each layer: a JDK image of 62 layers took gigabytes and
 * filled CI's disk. overlay stores each layer once; vfs stays the fallback where overlay won't mount.
 */
export function overlayMounts(): boolean {
  if (overlay !== undefined) return overlay;
  const dir = mkdtempSync(join(tmpdir(), "cairn-overlay-probe-"));
  try {
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "lower", "seen"), "");
    const m = spawnSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, join(dir, "merged")], { stdio: "ignore", timeout: 10_000 });
    overlay = m.status === 0 && existsSync(join(dir, "merged", "seen"));
    if (m.status === 0) spawnSync("umount", [join(dir, "merged")], { stdio: "ignore", timeout: 10_000 });
  } catch {
    overlay = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return overlay;
}

/** The storage driver for podman's private storage: overlay where it mounts, else vfs. */
export const podmanDriver = () => (overlayMounts() ? "overlay" : "vfs");

/**
 * podman's configuration for storage of its own under dir, as the files podman reads (for tests
 * where cairn runs podman itself): the env to pass. Also sets what this host needs (DESIGN.md §6).
 */
export async function podmanConfig(dir: string): Promise<NodeJS.ProcessEnv> {
  await writeFile(join(dir, "storage.conf"), `[storage]\ndriver = "${podmanDriver()}"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`);
  // default_ulimits: the default nofile is above this host's hard limit; runc: crun fails on its cgroups.
  await writeFile(join(dir, "containers.conf"), `[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n`);
  return { CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"), CONTAINERS_CONF: join(dir, "containers.conf") };
}

/** podman as root with storage in a temp dir. */
export async function podman(): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-podman-"));
  // containers.conf's default_ulimits asks for nofile=1048576, above this host's hard limit (20000):
  // runc then fails with "error setting rlimit type 7: operation not permitted".
  const conf = join(dir, "containers.conf");
  await writeFile(conf, "[containers]\ndefault_ulimits = []\n");
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const globalArgs = [
    "--root", join(dir, "root"), "--runroot", join(dir, "runroot"),
    "--storage-driver", podmanDriver(),
    "--runtime", "runc", // crun fails on this host's hybrid cgroups
  ];
  return engine("podman", "podman", globalArgs, env, () => removeTree(dir));
}

// The docker.io client matches its daemon (20.10); a newer client elsewhere on PATH also works but is not what CI installs.
const dockerBin = () => (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");

// The private daemon's own bridge: docker0 is shared with any other dockerd on the host, and one
// that starts or stops can delete it under us ("could not find bridge docker0").
const BRIDGE = "cairn-docker0";
const BRIDGE_ADDRESS = "10.213.77.1/24";

async function makeBridge(): Promise<void> {
  await command("ip", ["link", "del", BRIDGE], { allowFail: true });
  await command("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  await command("ip", ["addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE]);
  await command("ip", ["link", "set", BRIDGE, "up"]);
}

/**
 * A private dockerd. Only one runs at a time (a lock directory, waited for), since they would
 * share the bridge and hand out the same container addresses.
 */
export async function docker(opts: { startTimeoutMs?: number; lockTimeoutMs?: number } = {}): Promise<Engine> {
  const releaseLock = await acquireLock(join(tmpdir(), "cairn-dockerd.lock"), opts.lockTimeoutMs ?? 600_000);
  const dir = await mkdtemp(join(tmpdir(), "cairn-docker-"));
  const sock = join(dir, "docker.sock");
  const log = join(dir, "dockerd.log");
  let daemon: ChildProcess | undefined;
  const killOnExit = () => { try { daemon?.kill("SIGKILL"); } catch { /* already gone */ } };
  try {
    await makeBridge();
    const fd = openSync(log, "a");
    daemon = spawn("dockerd", [
      "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
      "--host", `unix://${sock}`,
      "--storage-driver", overlayMounts() ? "overlay2" : "vfs",
      "--iptables=false", // leave the host's firewall alone; -p still works through docker-proxy
      "--bridge", BRIDGE,
      "--default-ulimit", "nofile=20000:20000", // stay within this host's hard limit
    ], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    process.once("exit", killOnExit);
    const exited = new Promise<void>((ok) => daemon!.once("exit", () => ok()));
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    for (;;) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`dockerd exited at start; its log (${log}):\n${tail(log)}`);
      const r = await command(dockerBin(), ["version", "--format", "{{.Server.Version}}"], { env, allowFail: true, timeoutMs: 5_000 }).catch(() => undefined);
      if (r?.code === 0) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer on ${sock} within ${opts.startTimeoutMs ?? 60_000} ms; its log:\n${tail(log)}`);
      await sleep(250);
    }
    const d = daemon;
    return engine("docker", dockerBin(), [], env, async () => {
      d.kill("SIGTERM");
      const forceKill = setTimeout(() => d.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(forceKill);
      process.removeListener("exit", killOnExit);
      await command("ip", ["link", "del", BRIDGE], { allowFail: true });
      await removeTree(dir);
      await releaseLock();
    });
  } catch (e) {
    killOnExit();
    process.removeListener("exit", killOnExit);
    await command("ip", ["link", "del", BRIDGE], { allowFail: true }).catch(() => undefined);
    await removeTree(dir).catch(() => undefined);
    await releaseLock();
    throw e;
  }
}

function tail(file: string): string {
  try { return readFileSync(file, "utf8").split("\n").slice(-20).join("\n"); } catch { return "(no log)"; }
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A cross-process lock: mkdir is atomic; a lock whose owner died (or never wrote its pid) is taken over. */
async function acquireLock(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, "pid"), String(process.pid));
      return async () => { await rm(path, { recursive: true, force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = Number(await readFile(join(path, "pid"), "utf8").catch(() => "NaN"));
    const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
    if (Number.isNaN(pid) ? age > 10_000 : !alive(pid)) {
      await rm(join(path, "pid"), { force: true });
      await rmdir(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test's dockerd (pid ${pid}) still holds ${path} after ${timeoutMs} ms; stop it or remove the lock`);
    await sleep(200);
  }
}

/** Resolves once something accepts TCP connections on host:port. */
export async function waitForPort(port: number, timeoutMs = 30_000, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const s = connect({ port, host });
      s.setTimeout(1_000, () => { s.destroy(); done(false); });
      s.once("connect", () => { s.destroy(); done(true); });
      s.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Retries fn until it resolves. Needed after -p publishing: the engine's port proxy accepts
 * connections before the service in the container listens.
 */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await sleep(intervalMs);
  }
}

/**
 * Sends a RESP PING and returns the simple-string reply ("PONG" from a live redis); an error
 * reply ("-DENIED …", e.g. protected mode) is thrown with its text.
 */
export function redisPing(port: number, host = "127.0.0.1", timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    let buf = "";
    s.setTimeout(timeoutMs, () => { s.destroy(); reject(new Error(`no RESP reply from ${host}:${port} within ${timeoutMs} ms`)); });
    s.once("connect", () => s.write("*1\r\n$4\r\nPING\r\n"));
    s.on("data", (b: Buffer) => {
      buf += b.toString("latin1");
      const end = buf.indexOf("\r\n");
      if (end < 0) return;
      s.destroy();
      const line = buf.slice(0, end);
      if (line.startsWith("+")) resolve(line.slice(1));
      else reject(new Error(`redis at ${host}:${port} answered PING with ${JSON.stringify(line)}`));
    });
    s.once("error", (e) => reject(new Error(`redis ping to ${host}:${port}: ${e.message}`)));
    s.once("close", () => reject(new Error(`${host}:${port} closed the connection without a RESP reply`)));
  });
}

/** A TCP port free on 127.0.0.1 right now, for -p HOST:CONTAINER. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
