// The limit figure: what this machine needs, at the least, for a cold build of an image — every
// .deb's data.tar decompressed (the host's xz, zstd or gzip, as the member's name says), then the
// image's layers gzipped at level 6, with fflate (what cairn uses) and, for reference, gzip -6.
// Each part runs on all cores: the work is split into as many groups as cores, balanced by size.
import { createRequire } from "node:module";
import { stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { command } from "../test/support/command.js";
import { run } from "./measure.js";
import type { Limit } from "./report.js";
import { layerTars } from "./sizes.js";

/** What the limit needs on the host, and the packages that hold it. */
export const LIMIT_TOOLS = { ar: "binutils", xz: "xz-utils", zstd: "zstd", gzip: "gzip" } as const;

const DECOMPRESS: Record<string, string> = { ".xz": "xz -dc", ".zst": "zstd -dcq", ".gz": "gzip -dc", ".bz2": "bzip2 -dc", "": "cat" };

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** Splits items into n groups of about the same total size (largest first, each to the lightest group). */
export function balance<T>(items: readonly T[], size: (t: T) => number, n: number): T[][] {
  const groups = Array.from({ length: n }, () => ({ total: 0, items: [] as T[] }));
  for (const item of [...items].sort((a, b) => size(b) - size(a))) {
    const g = groups.reduce((x, y) => (y.total < x.total ? y : x));
    g.items.push(item);
    g.total += size(item);
  }
  return groups.map((g) => g.items).filter((g) => g.length);
}

/** The command that decompresses a .deb's data member to nowhere. */
async function decompressLine(deb: string): Promise<string> {
  const member = (await run("ar", ["t", deb])).split("\n").map((l) => l.trim()).find((l) => l.startsWith("data.tar"));
  if (!member) throw new Error(`bench: ${deb} has no data.tar member`);
  const tool = DECOMPRESS[member.slice("data.tar".length)];
  if (!tool) throw new Error(`bench: ${deb}: no decompressor for ${member}`);
  return `ar p ${quote(deb)} ${quote(member)} | ${tool} > /dev/null`;
}

/** Wall-clock seconds for shell scripts run side by side. */
async function sideBySide(scripts: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(scripts.map((s) => command("sh", ["-ec", s], { timeoutMs: 900_000 })));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// A worker holds its layers in memory (read before the clock starts) and gzips them on each message.
const GZIP_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const { gzipSync } = require(workerData.fflate);
const layers = workerData.files.map((f) => readFileSync(f));
parentPort.on("message", () => {
  let n = 0;
  for (const l of layers) n += gzipSync(l, { level: 6 }).length;
  parentPort.postMessage(n);
});
parentPort.postMessage("ready");
`;

/** fflate's gzipSync at level 6 over one worker per group: seconds of each run. */
async function fflateRuns(groups: string[][], runs: number): Promise<number[]> {
  const fflate = createRequire(import.meta.url).resolve("fflate");
  const workers = groups.map((files) => new Worker(GZIP_WORKER, { eval: true, workerData: { fflate, files } }));
  const reply = (w: Worker) => new Promise<unknown>((ok, fail) => {
    const onError = (e: Error) => { w.off("message", onMessage); fail(e); };
    const onMessage = (m: unknown) => { w.off("error", onError); ok(m); };
    w.once("message", onMessage);
    w.once("error", onError);
  });
  try {
    await Promise.all(workers.map(reply));
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const done = Promise.all(workers.map(reply));
      for (const w of workers) w.postMessage("go");
      await done;
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    return seconds;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface LimitInput {
  image: string;
  /** The .debs the image's cairn.lock pins. */
  debs: string[];
  /** cairn's image (a docker-archive tar) whose layers are gzipped. */
  imageTar: string;
  runs: number;
  cores: number;
  /** An empty folder for the layers, deleted by the caller. */
  scratch: string;
}

export async function measureLimit(x: LimitInput): Promise<Limit> {
  const debSizes = new Map(await Promise.all(x.debs.map(async (d) => [d, (await stat(d)).size] as const)));
  const debScripts = await Promise.all(balance(x.debs, (d) => debSizes.get(d)!, x.cores).map(async (g) => (await Promise.all(g.map(decompressLine))).join("\n")));
  const layers = await layerTars(x.imageTar, x.scratch);
  const layerSizes = new Map(await Promise.all(layers.map(async (l) => [l, (await stat(l)).size] as const)));
  const layerGroups = balance(layers, (l) => layerSizes.get(l)!, x.cores);
  const gzipScripts = layerGroups.map((g) => g.map((l) => `gzip -6 -c ${quote(l)} > /dev/null`).join("\n"));
  const limit: Limit = {
    image: x.image, debs: x.debs.length, layerBytes: [...layerSizes.values()].reduce((a, b) => a + b, 0), cores: x.cores,
    decompress: [], fflate: await fflateRuns(layerGroups, x.runs), gzip: [],
  };
  for (let i = 0; i < x.runs; i++) {
    limit.decompress.push(await sideBySide(debScripts));
    limit.gzip.push(await sideBySide(gzipScripts));
  }
  return limit;
}
