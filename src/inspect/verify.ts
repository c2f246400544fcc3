// Two builds of one image compared, and the difference explained: the layers whose digests differ
// (and, inside, the first entries that differ and how), the config's differences, or — when the
// uncompressed tars are equal — that only compression differs.
import type { ImageView } from "../image/types.js";
import { configJson } from "../image/view.js";
import { jsonDifferences, type JsonDifference } from "./diff.js";
import { compareTarRecords, readTarRecords, type EntryDifference } from "./verify-tar.js";

export interface LayerDifference {
  index: number;
  createdBy?: string;
  digestA?: string;
  digestB?: string;
  /** The uncompressed tars are the same (equal diff_ids): only the compressed bytes differ. */
  compressionOnly: boolean;
  /** Entries that differ, in A's order; empty when the layer is on one side only. */
  entries: EntryDifference[];
}

export interface VerifyReport {
  reproducible: boolean;
  digestA?: string;
  digestB?: string;
  layers: LayerDifference[];
  config: JsonDifference[];
  /** Manifest differences, when both manifests are at hand and config and layers are equal. */
  manifest: JsonDifference[];
}

export interface ComparedImage {
  source: ImageView;
  /** The manifest JSON, when at hand (a built image has it). */
  manifest?: unknown;
}

export async function compareImages(a: ComparedImage, b: ComparedImage): Promise<VerifyReport> {
  const sa = a.source;
  const sb = b.source;
  const digestA = sa.manifestDigest;
  const digestB = sb.manifestDigest;
  const configA = configJson(sa);
  const configB = configJson(sb);
  const idsA = configA.rootfs?.diff_ids ?? [];
  const idsB = configB.rootfs?.diff_ids ?? [];
  const historyA = (configA.history ?? []).filter((h) => !h.empty_layer);
  const layers: LayerDifference[] = [];
  for (let i = 0; i < Math.max(sa.layers.length, sb.layers.length); i++) {
    const la = sa.layers[i];
    const lb = sb.layers[i];
    const sameTar = idsA[i] !== undefined && idsA[i] === idsB[i];
    // An image tar and a build name their layers differently (docker-archive: by the tar's digest);
    // then equal diff_ids are equal layers. Two builds must also compress alike.
    if (la && lb && (la.digest === lb.digest || (sameTar && !(digestA && digestB)))) continue;
    const createdBy = historyA[i]?.created_by;
    const base = { index: i, ...(createdBy ? { createdBy } : {}), ...(la ? { digestA: la.digest } : {}), ...(lb ? { digestB: lb.digest } : {}) };
    if (!la || !lb || sameTar) {
      layers.push({ ...base, compressionOnly: !!la && !!lb, entries: [] });
      continue;
    }
    const [ra, rb] = await Promise.all([readTarRecords(la.uncompressed()), readTarRecords(lb.uncompressed())]);
    layers.push({ ...base, compressionOnly: false, entries: compareTarRecords(ra, rb) });
  }
  // A layer that differs changes its diff_id too; the layer itself is reported.
  const reported = new Set(layers.map((l) => `rootfs.diff_ids[${l.index}]`));
  const config = jsonDifferences(configA, configB).filter((c) => !reported.has(c.path));
  const manifest = !layers.length && !config.length && a.manifest !== undefined && b.manifest !== undefined ? jsonDifferences(a.manifest, b.manifest) : [];
  const reproducible = digestA && digestB ? digestA === digestB : !layers.length && !config.length;
  return { reproducible, ...(digestA ? { digestA } : {}), ...(digestB ? { digestB } : {}), layers, config, manifest };
}

/** The report for people; `entries` caps the entries listed per layer. */
export function formatVerify(r: VerifyReport, labels: { a: string; b: string }, options: { entries?: number } = {}): string {
  const limit = options.entries ?? 10;
  if (r.reproducible) return `reproducible: ${r.digestA ?? r.digestB ?? "same config and layers"}\n`;
  const lines = [`not reproducible: ${r.digestA ?? "?"} (${labels.a}) ≠ ${r.digestB ?? "?"} (${labels.b})`];
  for (const l of r.layers) {
    lines.push("", `layer #${l.index}${l.createdBy ? ` (${l.createdBy})` : ""}: ${l.digestA ?? "absent"} → ${l.digestB ?? "absent"}`);
    if (!l.digestA || !l.digestB) lines.push(`  only in ${l.digestA ? labels.a : labels.b}`);
    else if (l.compressionOnly) lines.push("  the uncompressed tars are the same: only the compression differs (a different gzip?)");
    else if (!l.entries.length) lines.push("  every entry has the same header fields and content: the tar bytes differ in padding or headers cairn does not compare");
    for (const e of l.entries.slice(0, limit)) lines.push(`  ${describeEntry(e, labels)}`);
    if (l.entries.length > limit) lines.push(`  … and ${l.entries.length - limit} more entries`);
  }
  if (r.config.length) {
    lines.push("", "config:");
    for (const c of r.config.slice(0, limit * 2)) lines.push(`  ${c.path}: ${show(c.a)} → ${show(c.b)}`);
  }
  if (r.manifest.length) {
    lines.push("", "manifest (config and layers are the same):");
    for (const c of r.manifest.slice(0, limit * 2)) lines.push(`  ${c.path}: ${show(c.a)} → ${show(c.b)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function describeEntry(e: EntryDifference, labels: { a: string; b: string } = { a: "A", b: "B" }): string {
  if (e.change === "only in A") return `${e.path}: only in ${labels.a}`;
  if (e.change === "only in B") return `${e.path}: only in ${labels.b}`;
  return `${e.path}: ${e.fields.map((f) => `${f.field} ${f.a} → ${f.b}`).join(", ")}`;
}

/** One line naming the culprit: the first differing layer and its first differing files. */
export function summarize(r: VerifyReport): string {
  const l = r.layers[0];
  if (l) {
    const where = `layer #${l.index}${l.createdBy ? ` (${l.createdBy})` : ""}`;
    if (!l.digestA || !l.digestB) return `${where} is built on one side only`;
    if (l.compressionOnly) return `${where} is compressed differently (its uncompressed tar is the same)`;
    const files = l.entries.slice(0, 3).map((e) => `/${e.path} (${e.change === "differs" ? e.fields.map((f) => f.field).join(", ") : e.change})`);
    return files.length ? `${where} differs in ${files.join(", ")}${l.entries.length > 3 ? ` and ${l.entries.length - 3} more` : ""}` : `${where} differs`;
  }
  if (r.config.length) return `the config differs at ${r.config.slice(0, 3).map((c) => c.path).join(", ")}`;
  if (r.manifest.length) return `the manifest differs at ${r.manifest.slice(0, 3).map((c) => c.path).join(", ")}`;
  return "the manifest digests differ";
}

function show(v: unknown): string {
  return v === undefined ? "(absent)" : JSON.stringify(v);
}
