// Everything the timed phases take as "already downloaded", fetched once (untimed) into
// WORK/downloads and kept between bench runs: cairn's .debs, the Debian base tar, apt's lists and
// .debs for the Dockerfile builds (podman's and docker's), mmdebstrap's lists and .debs. Mirrors
// come from the host's apt configuration (cairn's default sources, mmdebstrap's default). Also the
// 1 GiB of random data.
import { randomFillSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BIG, CASES, SUITE, lockedDebs, type BenchCase } from "./cases.js";
import { run } from "./measure.js";
import { podmanCli, type Podman } from "./podman.js";
import { CAIRN_BIN } from "./cairn.js";

type Log = (s: string) => void;

/** Runs make() unless dir's marker (beside it, not in it) holds the same key; the marker is written only on success. */
async function once(dir: string, key: string, make: () => Promise<void>): Promise<void> {
  const marker = `${dir}.complete`;
  if ((await readFile(marker, "utf8").catch(() => undefined)) === key) return;
  await rm(marker, { force: true });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await make();
  await writeFile(marker, key);
}

/** A cairn cache holding every .deb the examples' locks pin (a normal, online build of each). */
export async function cairnDownloads(work: string, cases: readonly BenchCase[], log: Log): Promise<string> {
  const cache = join(work, "downloads", "cairn");
  for (const c of cases) {
    if (lockedDebs(c).every((sha) => existsSync(join(cache, "blobs", "sha256", sha)))) continue;
    log(`downloading cairn's packages for ${c.id}`);
    const out = join(work, "downloads", `cairn-${c.id}.tar`);
    await mkdir(join(work, "downloads"), { recursive: true });
    await run(process.execPath, [CAIRN_BIN, "build", join(c.exampleDir, "image.ts"), "-A", c.attr, "-o", out, "--cache-dir", cache, "-q", "--frozen", "--no-typecheck"]);
    await rm(out, { force: true });
    const missing = lockedDebs(c).filter((sha) => !existsSync(join(cache, "blobs", "sha256", sha)));
    if (missing.length) throw new Error(`bench: after building ${c.id}, ${cache} still lacks ${missing.length} of the .debs cairn.lock pins (e.g. ${missing[0]}); has the cache layout changed? bench/cairn.ts copies blobs/sha256/<sha256>`);
  }
  return cache;
}

/** The Dockerfile anchor's base: `mmdebstrap --variant=minbase SUITE`, as a tar. */
export async function baseTar(work: string, log: Log): Promise<string> {
  const dir = join(work, "downloads", "base");
  const tar = join(dir, "base.tar");
  await once(dir, `minbase ${SUITE}`, async () => {
    log(`making the Debian base for the Dockerfile builds (mmdebstrap --variant=minbase ${SUITE})`);
    // mmdebstrap picks its output format from the name: keep ".tar" at the end of the temp name.
    await run("mmdebstrap", ["--quiet", "--variant=minbase", SUITE, `${tar}.partial.tar`]);
    await rename(`${tar}.partial.tar`, tar);
  });
  return tar;
}

export interface AptCache {
  /** The folder holding both (what docker's apt image is built from). */
  dir: string;
  lists: string;
  /** Mounted at /var/cache/apt: the .debs and apt's package caches. */
  cache: string;
}

/** Runs a shell script in a container of localhost/bench-base with these `HOST:CONTAINER` volumes, with network. */
export type BaseRunner = (volumes: string[], script: string) => Promise<unknown>;

export const podmanRunner = (podman: Podman): BaseRunner => (volumes, script) =>
  podmanCli(podman, ["run", "--rm", ...volumes.flatMap((v) => ["-v", v]), "localhost/bench-base", "sh", "-c", script]);

/** apt's lists and every .deb the Dockerfiles install (all cases', so that --only keeps the same downloads), fetched by apt in a container of the base. */
export async function aptDownloads(runInBase: BaseRunner, work: string, log: Log): Promise<AptCache> {
  const dir = join(work, "downloads", "apt");
  const pkgs = [...new Set(CASES.flatMap((c) => c.aptPackages))].sort();
  const r = { dir, lists: join(dir, "lists"), cache: join(dir, "cache") };
  await once(dir, pkgs.join(" "), async () => {
    log(`downloading apt's lists and packages for the Dockerfile builds (${pkgs.join(", ")})`);
    await mkdir(r.lists);
    await mkdir(r.cache);
    await runInBase([`${r.lists}:/var/lib/apt/lists`, `${r.cache}:/var/cache/apt`],
      `apt-get update -q && apt-get install -q -y --download-only --no-install-recommends ${pkgs.join(" ")}`);
  });
  return r;
}

export interface MmdebstrapCache {
  archives: string;
  lists: string;
}

export const MMDEBSTRAP_VARIANT = "essential";

/** mmdebstrap's own lists and .debs for one case, kept by a first (untimed) run through its sync-out hooks. */
export async function mmdebstrapDownloads(work: string, c: BenchCase, log: Log): Promise<MmdebstrapCache> {
  const dir = join(work, "downloads", `mmdebstrap-${c.id}`);
  const r = { archives: join(dir, "archives"), lists: join(dir, "lists") };
  await once(dir, `${MMDEBSTRAP_VARIANT} ${c.aptPackages.join(",")}`, async () => {
    log(`downloading mmdebstrap's lists and packages for ${c.id}`);
    await mkdir(r.archives);
    await mkdir(r.lists);
    await run("mmdebstrap", ["--quiet", `--variant=${MMDEBSTRAP_VARIANT}`, `--include=${c.aptPackages.join(",")}`,
      "--skip=essential/unlink", // keep the essential .debs too
      `--customize-hook=sync-out /var/cache/apt/archives ${r.archives}`,
      `--customize-hook=sync-out /var/lib/apt/lists ${r.lists}`,
      SUITE, "/dev/null"]);
  });
  return r;
}

/** BIG.files files of random bytes (incompressible: gzip cannot shrink them). */
export async function bigData(work: string, log: Log): Promise<string> {
  const dir = join(work, "big-data");
  await once(dir, `${BIG.files}x${BIG.fileBytes}`, async () => {
    log(`generating ${(BIG.files * BIG.fileBytes) / 2 ** 30} GiB of random data for the big image`);
    const buf = Buffer.alloc(BIG.fileBytes);
    for (let i = 0; i < BIG.files; i++) {
      randomFillSync(buf);
      await writeFile(join(dir, `part-${String(i).padStart(3, "0")}.bin`), buf);
    }
  });
  return dir;
}
