// `cairn cache verify` and `cairn cache gc`: for a cache shared between builds, people and machines.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import { collectGarbage, verifyStore, type GcReport, type VerifyReport } from "../store/maintenance.js";
import { openStore } from "./commands.js";
import { stderrReporter } from "./reporter.js";

export interface CacheCommandOptions {
  cacheDir: string;
  quiet: boolean;
}

export async function cacheVerifyCommand(o: CacheCommandOptions & { repair: boolean }): Promise<VerifyReport> {
  const reporter = stderrReporter({ quiet: o.quiet });
  await mustExist(o.cacheDir);
  const store = openStore(o.cacheDir, reporter);
  const bar = reporter.progress("hashing blobs", await blobBytes(store.root), "bytes");
  let report: VerifyReport;
  try {
    report = await verifyStore(store, { repair: o.repair, onBytes: (n) => bar.advance(n) });
  } finally {
    bar.done();
  }
  const out = process.stdout;
  out.write(`checked ${report.blobs.count} blobs (${mb(report.blobs.bytes)}), ${report.records.count} records and ${report.trees.count} trees (${report.trees.checked} of them file by file) in ${store.root}\n`);
  if (report.untrusted.length) {
    out.write(`${count(report.untrusted.length, "record is", "records are")} not sealed with this machine's cache key (another machine's, or changed by someone without the key), so builds here ignore them${o.repair ? "; taken out" : ""}. Machines that share a cache should share one CAIRN_CACHE_KEY.\n`);
  }
  if (report.stale.length) {
    out.write(`${count(report.stale.length, "entry is", "entries are")} left from an earlier cairn or have no record that speaks for them; builds never use them${o.repair ? "; taken out" : ", and `cairn cache gc` takes them out once idle"}.\n`);
  }
  if (!report.problems.length) {
    out.write("no damage found\n");
    return report;
  }
  const shown = report.problems.slice(0, 20);
  for (const p of shown) out.write(`  changed: ${p.path}: ${p.why}\n`);
  if (report.problems.length > shown.length) out.write(`  … and ${report.problems.length - shown.length} more\n`);
  if (o.repair) {
    out.write(`took out ${report.problems.length} damaged entr${report.problems.length === 1 ? "y" : "ies"}; the next build fetches or makes them again\n`);
    return report;
  }
  throw new CairnError(
    ErrorCode.CACHE_DAMAGED,
    `${report.problems.length} entr${report.problems.length === 1 ? "y" : "ies"} of the cache ${store.root} ${report.problems.length === 1 ? "was" : "were"} changed after cairn stored ${report.problems.length === 1 ? "it" : "them"} (listed above).`,
    `Run \`cairn cache verify --repair --cache-dir ${store.root}\` to take ${report.problems.length === 1 ? "it" : "them"} out; builds then fetch or make ${report.problems.length === 1 ? "it" : "them"} again. Find out who else writes to this cache.`,
  );
}

export async function cacheGcCommand(o: CacheCommandOptions & { olderThan: string; maxSize?: string; dryRun: boolean }): Promise<GcReport> {
  await mustExist(o.cacheDir);
  const store = openStore(o.cacheDir, stderrReporter({ quiet: o.quiet }));
  const olderThanMs = parseDuration(o.olderThan);
  const maxBytes = o.maxSize === undefined ? undefined : parseSize(o.maxSize);
  const report = await collectGarbage(store, { olderThanMs, ...(maxBytes !== undefined ? { maxBytes } : {}), dryRun: o.dryRun, now: new Date() });
  const why = `unused for ${o.olderThan}${maxBytes !== undefined ? ` or over ${o.maxSize}` : ""}`;
  process.stdout.write(
    `${o.dryRun ? "would take out" : "took out"} ${report.removed.count} entries (${mb(report.removed.bytes)}) ${why}; ` +
      `the cache keeps ${report.kept.count} entries (${mb(report.kept.bytes)}) in ${store.root}\n`,
  );
  return report;
}

/** "30d", "12h", "90m", "45s" in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new CairnError(ErrorCode.USAGE, `--older-than takes a duration such as 30d, 12h or 90m, not ${JSON.stringify(text)}.`, "e.g. cairn cache gc --older-than 14d");
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as "d"];
}

/** "10GiB", "500MiB", "2G", "800M" (powers of 1024) in bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(K|M|G|T)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new CairnError(ErrorCode.USAGE, `--max-size takes a size such as 10GiB or 500MiB, not ${JSON.stringify(text)}.`, "e.g. cairn cache gc --max-size 20GiB");
  return Math.round(Number(m[1]) * 1024 ** ("KMGT".indexOf(m[2]!.toUpperCase()) + 1));
}

async function mustExist(dir: string): Promise<void> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new CairnError(ErrorCode.USAGE, `There is no cache at ${path.resolve(dir)}.`, "Name it with --cache-dir (builds use $XDG_CACHE_HOME/cairn or ~/.cache/cairn by default).");
  }
}

async function blobBytes(root: string): Promise<number> {
  const dir = path.join(root, "blobs", "sha256");
  let n = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) n += (await fs.stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
  return n;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
