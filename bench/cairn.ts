// cairn's side of the bench: the phases run `cairn build` on a copy of the definition (with its
// lock and application files, so relative files() paths still work), against a cache made for the
// bench, --offline so that nothing can be downloaded while timed.
import { copyFile, cp, link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { timed, type Sample } from "./measure.js";
import type { BenchRegistry } from "./registry.js";
import type { Phase, Row } from "./report.js";
import { archiveSizes } from "./sizes.js";
import { definitionWithLabel, definitionWithText, sourceWithComment } from "./variants.js";

export const CAIRN_BIN = fileURLToPath(new URL("../bin/cairn.js", import.meta.url));

export interface CairnCase {
  id: string;
  /** The folder holding image.ts (and cairn.lock, application files); it is copied, never edited. */
  sourceDir: string;
  attr: string;
  /** sha256 of the .debs the cold cache starts with (taken from the downloads cache). */
  debs: string[];
  /** The application file an application change appends a comment to; without one, a text() file is added. */
  appFile?: string;
  /** --frozen: the copied lock must already pin the image. */
  frozen: boolean;
  phases: readonly Phase[];
}

export interface CairnOptions {
  runs: number;
  scratch: string;
  /** A cairn cache holding the .debs (setup.ts's cairnDownloads). */
  downloads: string;
  typecheck: boolean;
  log: (s: string) => void;
  /** A registry store for the "from a store" phase: filled from the cold cache, read by empty caches. */
  store?: { ref: string; key: string; pub: string };
  /** A new, empty registry for the "app change + push" phase (named for its folder). */
  registry?: (name: string) => Promise<BenchRegistry>;
  /** Where to keep the image the no-op phase built (the limit figure reads its layers). */
  keepImage?: string;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
    await copyFile(from, to);
  }
}

export async function benchCairn(c: CairnCase, o: CairnOptions): Promise<Row> {
  const work = join(o.scratch, `cairn-${c.id}`);
  const def = join(work, "def");
  await rm(work, { recursive: true, force: true });
  await cp(c.sourceDir, def, { recursive: true });
  const defFile = join(def, "image.ts");
  const pristine = await readFile(defFile, "utf8");
  const row: Row = { image: c.id, tool: "cairn", seconds: {}, rssKiB: [] };
  let cache = "";
  const common = () => ["--cache-dir", cache, "-q", "--offline", ...(c.frozen ? ["--frozen"] : []), ...(o.typecheck ? [] : ["--no-typecheck"])];
  const build = (out: string, extra: string[] = []) =>
    timed(process.execPath, [CAIRN_BIN, "build", defFile, "-A", c.attr, "-o", join(work, out), ...common(), ...extra], { scratch: work, cwd: def });
  // What a CI rebuild runs: build (from the cache what is unchanged) and push, no tar written.
  const push = (ref: string) => timed(process.execPath, [CAIRN_BIN, "push", defFile, ref, "-A", c.attr, ...common()], { scratch: work, cwd: def });
  const phase = async (p: Phase, prepare: (i: number) => Promise<void>, once: () => Promise<Sample>) => {
    if (!c.phases.includes(p)) return;
    for (let i = 0; i < o.runs; i++) {
      await prepare(i);
      const s = await once();
      (row.seconds[p] ??= []).push(s.seconds);
      row.rssKiB.push(s.rssKiB);
      o.log(`cairn ${c.id} ${p} ${i + 1}/${o.runs}: ${s.seconds.toFixed(2)} s, ${(s.rssKiB / 1024).toFixed(0)} MiB`);
    }
  };

  // cold: each run gets a new cache holding only the .debs; the last one stays for the other phases.
  await phase("cold", async (i) => {
    if (cache) await rm(cache, { recursive: true, force: true });
    cache = join(work, `cache-${i}`);
    const blobs = join(cache, "blobs", "sha256");
    await mkdir(blobs, { recursive: true });
    for (const sha of c.debs) await linkOrCopy(join(o.downloads, "blobs", "sha256", sha), join(blobs, sha));
  }, () => build("cold.tar"));
  if (!cache) throw new Error("bench: the cairn phases need the cold phase first (it makes the cache)");

  // warm: a new label in the config, so every layer is cached and only the image is assembled again.
  await phase("warm", (i) => writeFile(defFile, definitionWithLabel(pristine, `warm-${i}`, defFile, c.attr)), () => build("warm.tar"));

  // no-op: the unchanged definition, built once untimed so that the timed runs find everything done.
  // Its output is also the image whose size is reported.
  await writeFile(defFile, pristine);
  await build("noop.tar");
  await phase("noop", async () => {}, () => build("noop.tar"));
  row.sizes = await archiveSizes(join(work, "noop.tar"), work);
  if (o.keepImage) await linkOrCopy(join(work, "noop.tar"), o.keepImage);

  // application change: new bytes in one small file (the app's source, or a config file).
  const appPath = c.appFile ? join(def, c.appFile) : undefined;
  const appSource = appPath ? await readFile(appPath, "utf8") : "";
  const changeApp = (value: string) =>
    appPath
      ? writeFile(appPath, sourceWithComment(appSource, value))
      : writeFile(defFile, definitionWithText(pristine, "/etc/bench-app.conf", `# bench change ${value}\n`, defFile, c.attr));
  await phase("app", (i) => changeApp(`app-${i}`), () => build("app.tar"));

  // app change + push, to a registry that one untimed push filled (so each timed run pushes what changed).
  if (c.phases.includes("push") && o.registry) {
    const registry = await o.registry(`cairn-${c.id}`);
    try {
      const ref = `${registry.host}/bench-${c.id}:cairn`;
      await push(ref);
      await phase("push", (i) => changeApp(`push-${i}`), () => push(ref));
    } finally {
      await registry.stop();
    }
  }

  // from a store: another machine (an empty cache) with the store this one filled, the mirror out of reach (--offline).
  const store = o.store;
  if (c.phases.includes("store") && store) {
    await writeFile(defFile, pristine);
    await build("push.tar", ["--store", store.ref, "--store-push", "--store-key", store.key]);
    const filled = cache;
    await phase("store", async (i) => {
      cache = join(work, `cache-store-${i}`);
      await rm(cache, { recursive: true, force: true });
    }, () => build("store.tar", ["--store", store.ref, "--store-trust", store.pub]));
    cache = filled;
  }

  await rm(work, { recursive: true, force: true });
  return row;
}
