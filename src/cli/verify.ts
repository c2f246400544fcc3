// `cairn verify [FILE] -A NAME`: build as usual, build again in a fresh, empty cache, and compare.
// The fresh cache trusts nothing cached — packages are unpacked, steps and derivations run, layers
// made anew — except the .deb files themselves: their sha256 is pinned in cairn.lock, so the
// cache's copies are hard-linked in rather than downloaded again (and the output says so).
// With --against TAR the comparison is with an image tar instead of a rebuild.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Resolution } from "../debian/resolution.js";
import { CairnError, ErrorCode } from "../errors.js";
import { asWanted, readImageTar } from "../transports/archive/source.js";
import { platformName } from "../define/platform.js";
import type { Image } from "../image/types.js";
import { describeTarget } from "./inspect-target.js";
import { compareImages, formatVerify, summarize, type VerifyReport } from "../inspect/verify.js";
import type { BuildContext } from "../build/context.js";
import type { Store } from "../store/store.js";
import { buildFromDefinition, makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface VerifyCommandOptions {
  file: string;
  attr?: string;
  /** Compare with this image tar instead of a rebuild in a fresh cache. */
  against?: string;
  /** Keep the fresh cache (its path is printed) to look into a difference. */
  keep?: boolean;
  /** Refuse to change cairn.lock in the first build. */
  frozen?: boolean;
  global: GlobalOptions;
}

/** Prints the report; throws NOT_REPRODUCIBLE when the two differ. */
export async function verifyCommand(o: VerifyCommandOptions, ctx = makeContext(o.global)): Promise<VerifyReport> {
  const target = describeTarget({ file: o.file, ...(o.attr ? { attr: o.attr } : {}) });
  const built = await buildFromDefinition({ file: o.file, ...(o.attr ? { attr: o.attr } : {}), frozen: o.frozen, global: o.global }, ctx);
  const a = { source: built.image, manifest: JSON.parse(built.image.manifest.toString("utf8")) as unknown };
  let report: VerifyReport;
  let labels: { a: string; b: string };
  let keptAt: string | undefined;

  if (o.against) {
    if (!(await fs.stat(o.against).catch(() => undefined))) {
      throw new CairnError(ErrorCode.BAD_REFERENCE, `cairn verify --against: ${o.against} does not exist.`, "Give an image tar written by cairn build, docker save or skopeo.");
    }
    const work = await ctx.store.tempPath();
    try {
      labels = { a: "the build", b: o.against };
      // The build's own platform, asked of the tar: an index holds each, a docker-archive one.
      const platform = JSON.parse(built.image.config.toString("utf8")) as { architecture: string; variant?: string };
      report = await compareImages(a, { source: await readImageTar(o.against, work, asWanted(platform)) });
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  } else {
    // Under the cache's own tmp/: the same filesystem, so the .debs can be hard-linked.
    const fresh = await ctx.store.tempPath();
    await fs.mkdir(fresh, { recursive: true });
    try {
      const freshGlobal = { ...o.global, cacheDir: fresh };
      // No registry store either: the rebuild does all the work itself.
      const freshCtx: BuildContext = { ...makeContext(freshGlobal), now: ctx.now, epoch: ctx.epoch, reporter: ctx.reporter, remote: undefined, debSources: undefined };
      const reused = await reusePinnedDebs(built.resolutions, ctx.store, freshCtx.store);
      ctx.reporter.info(`cairn: verify: building ${target} again in a fresh cache (${fresh})`);
      // --frozen: the first build wrote the lock if it had to; the rebuild must use that very lock.
      const rebuilt = await buildFromDefinition({ file: o.file, ...(o.attr ? { attr: o.attr } : {}), frozen: true, global: freshGlobal }, freshCtx);
      process.stdout.write(
        `rebuilt in a fresh cache: ${reused.count} .deb file${reused.count === 1 ? "" : "s"} (${(reused.bytes / 1e6).toFixed(1)} MB) reused from the cache — pinned by sha256 in cairn.lock, so they cannot differ; ` +
          "everything else unpacked, run and built anew\n",
      );
      labels = { a: "your cache", b: "fresh cache" };
      const manifestOf = (i: Image) => ({ source: i, manifest: JSON.parse(i.manifest.toString("utf8")) as unknown });
      // Several platforms: each compared with its own rebuild; the first that differs is the report.
      const pairs: [string | undefined, Image, Image][] = built.platforms && rebuilt.platforms
        ? built.platforms.map((p, k) => [platformName(p.arch), p.built.image, rebuilt.platforms![k]!.built.image])
        : [[undefined, built.image, rebuilt.image]];
      let first: VerifyReport | undefined;
      for (const [name, mine, again] of pairs) {
        const r = await compareImages(manifestOf(mine), manifestOf(again));
        if (name) process.stdout.write(`${name}: ${r.reproducible ? "reproducible" : "differs"}\n`);
        if (!first || (first.reproducible && !r.reproducible)) first = r;
      }
      report = first!;
      if (built.index && rebuilt.index && report.reproducible && built.index.indexDigest !== rebuilt.index.indexDigest) {
        throw new Error(`cairn bug: every platform's image is the same, but the indexes differ (${built.index.indexDigest}, ${rebuilt.index.indexDigest})`);
      }
    } finally {
      if (o.keep) keptAt = fresh;
      else await fs.rm(fresh, { recursive: true, force: true });
    }
  }

  process.stdout.write(formatVerify(report, labels));
  if (built.index && report.reproducible && !o.against) process.stdout.write(`the index of ${built.index.manifests.length} platforms: ${built.index.indexDigest}\n`);
  if (keptAt) process.stdout.write(`the fresh cache is kept at ${keptAt}\n`);
  if (!report.reproducible) {
    throw new CairnError(
      ErrorCode.NOT_REPRODUCIBLE,
      `${target} is not reproducible: ${summarize(report)}.`,
      o.against
        ? `The tar is not what the definition builds now; rebuild it with \`cairn build\`, or see above what differs.`
        : "Something in the build of that layer depends on the clock, randomness or the machine (a date, a random id, a host name, readdir order). " +
          "Make it write the same bytes every time — use SOURCE_DATE_EPOCH for dates — and run `cairn verify` again; --keep keeps the fresh cache to look into.",
    );
  }
  return report;
}

/** Every .deb the build's resolutions pin that the cache holds, linked (else copied) into the fresh cache. */
async function reusePinnedDebs(resolutions: ReadonlyMap<string, Resolution>, from: Store, to: Store): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  const hashes = [...new Set([...resolutions.values()].flatMap((r) => [...r.packages.values()].map((p) => p.sha256)))].sort();
  for (const hex of hashes) {
    const src = from.blobPath(hex);
    const st = await fs.stat(src).catch(() => undefined);
    if (!st) continue;
    const dst = to.blobPath(hex);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    await fs.link(src, dst).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === "EEXIST") return;
      await fs.copyFile(src, dst);
    });
    count += 1;
    bytes += st.size;
  }
  return { count, bytes };
}
