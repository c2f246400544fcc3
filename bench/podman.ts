// podman with private storage for the Dockerfile anchor. The runtime and ulimit settings are the
// ones DESIGN.md §6 found necessary here; the storage driver is overlay when the kernel allows it
// (what podman users get), else vfs, which copies every layer and makes podman much slower.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { command } from "../test/support/command.js";
import type { DockerfileEngine } from "./anchors.js";
import type { AptCache } from "./setup.js";

export interface Podman {
  driver: "overlay" | "vfs";
  /** Global options to put before any podman subcommand. */
  globalArgs: string[];
  env: NodeJS.ProcessEnv;
  dir: string;
}

async function engineAt(dir: string, driver: Podman["driver"]): Promise<Podman> {
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "containers.conf");
  // The default nofile ulimit (1048576) is above this host's hard limit, and runc then fails.
  await writeFile(conf, "[containers]\ndefault_ulimits = []\n");
  return {
    driver,
    dir,
    env: { ...process.env, CONTAINERS_CONF: conf },
    globalArgs: ["--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--storage-driver", driver, "--runtime", "runc"],
  };
}

export function podmanCli(p: Podman, args: string[], timeoutMs = 900_000): Promise<string> {
  return command("podman", [...p.globalArgs, ...args], { env: p.env, timeoutMs }).then((r) => r.stdout);
}

/**
 * A podman with `baseTar` imported as localhost/bench-base. With driver "auto", overlay is tried
 * first and vfs used if overlay cannot import the base.
 */
export async function startPodman(dir: string, driver: "auto" | Podman["driver"], baseTar: string, log: (s: string) => void): Promise<Podman> {
  const tries: Podman["driver"][] = driver === "auto" ? ["overlay", "vfs"] : [driver];
  let last: unknown;
  for (const d of tries) {
    const p = await engineAt(join(dir, d), d);
    try {
      await podmanCli(p, ["import", baseTar, "localhost/bench-base"]);
      return p;
    } catch (e) {
      last = e;
      const why = (e instanceof Error ? e.message : String(e)).split("\n").slice(-1)[0];
      log(`podman with the ${d} storage driver could not import the base image (${why}); ${d === "overlay" && tries.length > 1 ? "trying vfs" : "giving up"}`);
      await stopPodman(p);
    }
  }
  throw last;
}

/** `podman build` of the case's Dockerfile, apt's lists and .debs bind-mounted with `-v` (nothing of them lands in a layer). */
export function podmanEngine(p: Podman, apt: AptCache): DockerfileEngine {
  const podman = (args: string[]) => ["podman", ...p.globalArgs, ...args];
  return {
    tool: "dockerfile",
    env: p.env,
    dockerfile: (c) => c.dockerfile,
    build: (ctx, tag, extra) => podman(["build", ...extra, "--network=none", "-v", `${apt.lists}:/var/lib/apt/lists`, "-v", `${apt.cache}:/var/cache/apt`, "-t", tag, ctx]),
    push: (tag, ref) => [podman(["push", "--tls-verify=false", tag, `docker://${ref}`])],
    save: (tag, out) => podmanCli(p, ["save", "--format", "docker-archive", "-o", out, tag]).then(() => undefined),
  };
}

/** Removes the images, then the engine's folder. */
export async function stopPodman(p: Podman): Promise<void> {
  await command("podman", [...p.globalArgs, "rmi", "-a", "-f"], { env: p.env, allowFail: true });
  await removeTree(p.dir);
}

/** Unmounts whatever storage left mounted under dir (also after an interrupted run), then deletes dir. */
export async function removeTree(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mounts", "utf8")).split("\n").map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + "/"))).sort().reverse();
  for (const m of mounts) await command("umount", ["-l", m], { allowFail: true });
  await rm(dir, { recursive: true, force: true });
}
