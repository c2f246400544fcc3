// The anchors cairn is compared with: a Dockerfile built by `podman build`, and mmdebstrap. Both get
// the packages already downloaded (see setup.ts) and are timed the same way as cairn.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SUITE, type BenchCase } from "./cases.js";
import { timed } from "./measure.js";
import { podmanCli, type Podman } from "./podman.js";
import type { Phase, Row } from "./report.js";
import { MMDEBSTRAP_VARIANT, type AptCache, type MmdebstrapCache } from "./setup.js";
import { archiveSizes, rootfsSizes } from "./sizes.js";
import { dockerfileWithCopy, dockerfileWithLabel, sourceWithComment } from "./variants.js";

export interface AnchorOptions {
  runs: number;
  scratch: string;
  log: (s: string) => void;
}

export async function benchDockerfile(c: BenchCase, podman: Podman, apt: AptCache, o: AnchorOptions): Promise<Row> {
  const work = join(o.scratch, `dockerfile-${c.id}`);
  const ctx = join(work, "ctx");
  await rm(work, { recursive: true, force: true });
  await mkdir(ctx, { recursive: true });
  const dockerfile = join(ctx, "Dockerfile");
  const appSource = c.appFile ? await readFile(join(c.exampleDir, c.appFile), "utf8") : "";
  if (c.appFile) await writeFile(join(ctx, c.appFile), appSource);
  await writeFile(dockerfile, c.dockerfile);
  const tag = `localhost/bench-${c.id}`;
  const row: Row = { image: c.id, tool: "dockerfile", seconds: {}, rssKiB: [] };
  const build = (extra: string[]) => timed("podman", [...podman.globalArgs, "build", ...extra, "--network=none",
    "-v", `${apt.lists}:/var/lib/apt/lists`, "-v", `${apt.cache}:/var/cache/apt`, "-t", tag, ctx], { scratch: work, env: podman.env });
  const phase = async (p: Phase, prepare: (i: number) => Promise<void>, extra: string[] = []) => {
    for (let i = 0; i < o.runs; i++) {
      await prepare(i);
      const s = await build(extra);
      (row.seconds[p] ??= []).push(s.seconds);
      row.rssKiB.push(s.rssKiB);
      o.log(`Dockerfile ${c.id} ${p} ${i + 1}/${o.runs}: ${s.seconds.toFixed(2)} s, ${(s.rssKiB / 1024).toFixed(0)} MiB`);
    }
  };

  // cold: podman's layer cache unused (--no-cache); the base image and apt's downloads are there.
  await phase("cold", async () => {}, ["--no-cache"]);
  // warm: a final LABEL; every layer comes from podman's cache.
  await phase("warm", (i) => writeFile(dockerfile, dockerfileWithLabel(c.dockerfile, `warm-${i}`)));
  // no-op: the unchanged Dockerfile again, once untimed first.
  await writeFile(dockerfile, c.dockerfile);
  await build([]);
  await phase("noop", async () => {});
  const saved = join(work, "image.tar");
  await podmanCli(podman, ["save", "--format", "docker-archive", "-o", saved, tag]);
  row.sizes = await archiveSizes(saved, work);
  await rm(saved);
  // application change: the app's source gets a new comment (its COPY layer is rebuilt), or a new config file is copied in.
  await phase("app", async (i) => {
    if (c.appFile) return writeFile(join(ctx, c.appFile), sourceWithComment(appSource, `app-${i}`));
    await writeFile(join(ctx, "bench-app.conf"), `# bench change app-${i}\n`);
    await writeFile(dockerfile, dockerfileWithCopy(c.dockerfile, "bench-app.conf", "/etc/bench-app.conf"));
  });

  await rm(work, { recursive: true, force: true });
  return row;
}

/**
 * mmdebstrap builds a root filesystem from scratch each time, so it has only the cold phase. Its
 * lists and .debs are synced in, `apt-get update` is skipped, and apt is pointed at a dead proxy so
 * that a download, if one were attempted, would fail instead of being timed.
 */
export async function benchMmdebstrap(c: BenchCase, cache: MmdebstrapCache, o: AnchorOptions): Promise<Row> {
  const work = join(o.scratch, `mmdebstrap-${c.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const app: string[] = [];
  if (c.appFile) {
    await copyFile(join(c.exampleDir, c.appFile), join(work, c.appFile));
    app.push('--customize-hook=mkdir -p "$1/app"', `--customize-hook=copy-in ${join(work, c.appFile)} /app`);
  }
  const out = join(work, "rootfs.tar");
  const row: Row = { image: c.id, tool: "mmdebstrap", seconds: {}, rssKiB: [] };
  for (let i = 0; i < o.runs; i++) {
    await rm(out, { force: true });
    const s = await timed("mmdebstrap", [
      "--quiet", `--variant=${MMDEBSTRAP_VARIANT}`, `--include=${c.aptPackages.join(",")}`, "--skip=update",
      '--aptopt=Acquire::http::Proxy "http://127.0.0.1:9"', '--aptopt=Acquire::https::Proxy "http://127.0.0.1:9"',
      '--setup-hook=mkdir -p "$1/var/cache/apt/archives" "$1/var/lib/apt/lists"',
      `--setup-hook=sync-in ${cache.archives} /var/cache/apt/archives/`,
      `--setup-hook=sync-in ${cache.lists} /var/lib/apt/lists/`,
      ...app, SUITE, out,
    ], { scratch: work });
    (row.seconds.cold ??= []).push(s.seconds);
    row.rssKiB.push(s.rssKiB);
    o.log(`mmdebstrap ${c.id} cold ${i + 1}/${o.runs}: ${s.seconds.toFixed(2)} s, ${(s.rssKiB / 1024).toFixed(0)} MiB`);
  }
  row.sizes = await rootfsSizes(out);
  await rm(work, { recursive: true, force: true });
  return row;
}
