// The anchors cairn is compared with: a Dockerfile built by `podman build` and by `docker build`
// (BuildKit), and mmdebstrap. All get the packages already downloaded (see setup.ts) and are timed
// the same way as cairn.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SUITE, type BenchCase } from "./cases.js";
import { run, timed, type Sample } from "./measure.js";
import type { BenchRegistry } from "./registry.js";
import type { Phase, Row } from "./report.js";
import { MMDEBSTRAP_VARIANT, type MmdebstrapCache } from "./setup.js";
import { archiveSizes, rootfsSizes } from "./sizes.js";
import { dockerfileWithCopy, dockerfileWithLabel, sourceWithComment } from "./variants.js";

export interface AnchorOptions {
  runs: number;
  scratch: string;
  log: (s: string) => void;
  /** A new, empty registry for the "app change + push" phase (named for its folder); without one, no such phase. */
  registry?: (name: string) => Promise<BenchRegistry>;
}

/** What the Dockerfile phases need from an engine (podman, docker): commands as [program, ...arguments]. */
export interface DockerfileEngine {
  tool: "dockerfile" | "docker";
  env: NodeJS.ProcessEnv;
  /** The case's Dockerfile as this engine gets apt's downloads. */
  dockerfile(c: BenchCase): string;
  /** Builds the context into tag; extra holds e.g. --no-cache. */
  build(ctx: string, tag: string, extra: string[]): string[];
  /** Pushes tag to ref (plain HTTP on 127.0.0.1): one command or several, run in order. */
  push(tag: string, ref: string): string[][];
  /** Untimed: writes tag as a docker-archive. */
  save(tag: string, out: string): Promise<void>;
  /** A daemon doing the work outside the timed command's process tree (dockerd): its peak, reset before each run. */
  daemonPeak?: { reset(): Promise<void>; readKiB(): Promise<number> };
}

/** A command line for sh -c: each argument single-quoted. */
export const shellLine = (commands: string[][]) => commands.map((c) => c.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")).join(" && ");

/** Runs the commands in order as one timed `sh -c`; the daemon's peak (if any) counts in the figure's memory. */
async function timedCommands(e: DockerfileEngine, commands: string[][], scratch: string): Promise<Sample> {
  await e.daemonPeak?.reset();
  const s = commands.length === 1 ? await timed(commands[0][0], commands[0].slice(1), { scratch, env: e.env })
    : await timed("sh", ["-c", shellLine(commands)], { scratch, env: e.env });
  const daemon = e.daemonPeak ? await e.daemonPeak.readKiB() : 0;
  return { ...s, rssKiB: Math.max(s.rssKiB, daemon) };
}

export async function benchDockerfile(c: BenchCase, e: DockerfileEngine, o: AnchorOptions): Promise<Row> {
  const work = join(o.scratch, `${e.tool}-${c.id}`);
  const ctx = join(work, "ctx");
  await rm(work, { recursive: true, force: true });
  await mkdir(ctx, { recursive: true });
  const dockerfile = join(ctx, "Dockerfile");
  const base = e.dockerfile(c);
  const appSource = c.appFile ? await readFile(join(c.exampleDir, c.appFile), "utf8") : "";
  if (c.appFile) await writeFile(join(ctx, c.appFile), appSource);
  await writeFile(dockerfile, base);
  const tag = `localhost/bench-${c.id}`;
  const row: Row = { image: c.id, tool: e.tool, seconds: {}, rssKiB: [] };
  const phase = async (p: Phase, prepare: (i: number) => Promise<void>, commands: () => string[][]) => {
    for (let i = 0; i < o.runs; i++) {
      await prepare(i);
      const s = await timedCommands(e, commands(), work);
      (row.seconds[p] ??= []).push(s.seconds);
      row.rssKiB.push(s.rssKiB);
      o.log(`${e.tool} ${c.id} ${p} ${i + 1}/${o.runs}: ${s.seconds.toFixed(2)} s, ${(s.rssKiB / 1024).toFixed(0)} MiB`);
    }
  };
  const build = (extra: string[] = []) => [e.build(ctx, tag, extra)];
  const untimed = async (commands: string[][]) => { for (const [cmd, ...args] of commands) await run(cmd, args, { env: e.env }); };
  // application change: the app's source gets a new comment (its COPY layer is rebuilt), or a new config file is copied in.
  const changeApp = async (value: string) => {
    if (c.appFile) return writeFile(join(ctx, c.appFile), sourceWithComment(appSource, value));
    await writeFile(join(ctx, "bench-app.conf"), `# bench change ${value}\n`);
    await writeFile(dockerfile, dockerfileWithCopy(base, "bench-app.conf", "/etc/bench-app.conf"));
  };

  // cold: the engine's layer cache unused (--no-cache); the base image and apt's downloads are there.
  await phase("cold", async () => {}, () => build(["--no-cache"]));
  // warm: a final LABEL; every layer comes from the engine's cache.
  await phase("warm", (i) => writeFile(dockerfile, dockerfileWithLabel(base, `warm-${i}`)), build);
  // no-op: the unchanged Dockerfile again, once untimed first.
  await writeFile(dockerfile, base);
  await untimed(build());
  await phase("noop", async () => {}, build);
  const saved = join(work, "image.tar");
  await e.save(tag, saved);
  row.sizes = await archiveSizes(saved, work);
  await rm(saved);
  await phase("app", (i) => changeApp(`app-${i}`), build);

  // app change + push, to a registry that one untimed push filled (so each timed run pushes what changed).
  if (o.registry) {
    const registry = await o.registry(`${e.tool}-${c.id}`);
    try {
      const ref = `${registry.host}/bench-${c.id}:${e.tool}`;
      await untimed([...build(), ...e.push(tag, ref)]);
      await phase("push", (i) => changeApp(`push-${i}`), () => [...build(), ...e.push(tag, ref)]);
    } finally {
      await registry.stop();
    }
  }

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
