// Registries for the bench: Debian's docker-registry on 127.0.0.1 with its storage in the bench's
// scratch folder. One holds the "from a store" phase's store (with a key pair to sign and trust its
// entries); each tool's "app change + push" phase gets a new, empty one.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo } from "node:net";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { CAIRN_BIN } from "./cairn.js";

export interface BenchRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Stops the registry and deletes its storage. */
  stop(): Promise<void>;
}

export interface BenchStore {
  /** `127.0.0.1:PORT/cairn-store` */
  ref: string;
  key: string;
  pub: string;
  stop(): Promise<void>;
}

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => {
    const { port } = s.address() as AddressInfo;
    s.close(() => resolve(port));
  });
});

const listening = (port: number) => new Promise<boolean>((resolve) => {
  const c = connect(port, "127.0.0.1", () => { c.end(); resolve(true); });
  c.once("error", () => resolve(false));
});

/** An empty registry, plain HTTP on 127.0.0.1 (which cairn, podman with --tls-verify=false, and docker accept). */
export async function startRegistry(dir: string): Promise<BenchRegistry> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  await writeFile(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const exited = new Promise<void>((ok) => { child.once("exit", () => ok()); child.once("error", () => ok()); });
  // Should the bench exit without reaching its finally (an uncaught error), the registry goes too.
  const killOnExit = () => { try { child.kill("SIGKILL"); } catch { /* already gone */ } };
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await listening(port))) {
    await stop();
    throw new Error("bench: docker-registry did not start");
  }
  return { host: `127.0.0.1:${port}`, stop };
}

export async function startStore(dir: string): Promise<BenchStore> {
  const registry = await startRegistry(dir);
  execFileSync(process.execPath, [CAIRN_BIN, "store", "keygen", "-o", join(dir, "bench.key")], { stdio: "ignore" });
  return { ref: `${registry.host}/cairn-store`, key: join(dir, "bench.key"), pub: join(dir, "bench.key.pub"), stop: registry.stop };
}
