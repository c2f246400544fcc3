// A registry for the bench's "from a store" phase: Debian's docker-registry on 127.0.0.1 with its
// storage in the bench's scratch folder, and a key pair to sign and trust the store's entries.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo } from "node:net";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { CAIRN_BIN } from "./cairn.js";

export interface BenchStore {
  /** `127.0.0.1:PORT/cairn-store` */
  ref: string;
  key: string;
  pub: string;
  stop(): void;
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

export async function startStore(dir: string): Promise<BenchStore> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  await writeFile(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await listening(port))) throw new Error("bench: docker-registry did not start");
  execFileSync(process.execPath, [CAIRN_BIN, "store", "keygen", "-o", join(dir, "bench.key")], { stdio: "ignore" });
  return { ref: `127.0.0.1:${port}/cairn-store`, key: join(dir, "bench.key"), pub: join(dir, "bench.key.pub"), stop: () => child.kill() };
}
