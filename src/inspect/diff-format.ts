// `cairn diff` for people: packages with versions, file changes summed per package and directory
// with the first few listed, layers only on one side, and the size change.
import type { FileChange, ImageDiff, JsonDifference, LayerRef } from "./diff.js";

export function formatDiff(d: ImageDiff, options: { files?: number } = {}): string {
  const limit = options.files ?? 20;
  const lines: string[] = [];
  const name = (s: ImageDiff["a"]) => `${s.reference}${s.manifestDigest ? ` (${short(s.manifestDigest)})` : ""}`;
  lines.push(`A: ${name(d.a)}`, `B: ${name(d.b)}`);
  if (d.identical) {
    lines.push(d.a.manifestDigest && d.a.manifestDigest === d.b.manifestDigest ? `no differences: the same manifest ${d.a.manifestDigest}` : "no differences in packages, files, layers or config");
    return `${lines.join("\n")}\n`;
  }

  const p = d.packages;
  lines.push("", `packages: ${p.added.length} added, ${p.removed.length} removed, ${p.changed.length} changed`);
  for (const c of p.changed) lines.push(`  ~ ${c.name} ${c.from} → ${c.to}`);
  for (const a of p.added) lines.push(`  + ${a.name} ${a.version}`);
  for (const r of p.removed) lines.push(`  - ${r.name} ${r.version}`);

  const count = (k: FileChange["change"]) => d.files.filter((f) => f.change === k).length;
  const delta = d.files.reduce((n, f) => n + (f.sizeB ?? 0) - (f.sizeA ?? 0), 0);
  lines.push("", `files: ${count("added")} added, ${count("removed")} removed, ${count("changed")} changed (${signed(delta)})`);
  if (d.groups.length) {
    lines.push("  by package or directory:");
    const width = Math.min(40, Math.max(...d.groups.map((g) => g.name.length + (g.by === "directory" ? 1 : 0))));
    const shown = d.groups.slice(0, limit).map((g) => ({
      label: g.by === "directory" ? `${g.name}/` : g.name,
      parts: [g.added && `${g.added} added`, g.removed && `${g.removed} removed`, g.changed && `${g.changed} changed`].filter(Boolean).join(", "),
      delta: signed(g.delta),
    }));
    const partsWidth = Math.max(...shown.map((x) => x.parts.length));
    for (const x of shown) lines.push(`    ${x.label.padEnd(width)}  ${x.parts.padEnd(partsWidth)}  ${x.delta.padStart(9)}`);
    if (d.groups.length > limit) lines.push(`    … and ${d.groups.length - limit} more`);
  }
  if (d.files.length) {
    lines.push(`  ${d.files.length > limit ? `first ${limit} of ${d.files.length}` : "all"}:`);
    for (const f of d.files.slice(0, limit)) lines.push(`    ${describeFile(f)}`);
  }

  const l = d.layers;
  lines.push("", `layers: ${l.shared.length} shared, ${l.onlyA.length} only in A, ${l.onlyB.length} only in B`);
  for (const r of l.onlyA) lines.push(`  - ${describeLayer(r)}`);
  for (const r of l.onlyB) lines.push(`  + ${describeLayer(r)}`);
  const layerDelta = l.onlyB.reduce((n, r) => n + r.size, 0) - l.onlyA.reduce((n, r) => n + r.size, 0);
  if (l.onlyA.length || l.onlyB.length) lines.push(`  layers on one side only: ${signed(layerDelta)} stored`);

  const s = d.size;
  lines.push("", `size: ${bytes(s.storedA)} → ${bytes(s.storedB)} stored (${signed(s.storedB - s.storedA)}); ${bytes(s.contentA)} → ${bytes(s.contentB)} in files (${signed(s.contentB - s.contentA)})`);

  if (d.config.length) {
    lines.push("", `config: ${d.config.length} difference${d.config.length > 1 ? "s" : ""}`);
    for (const c of d.config) lines.push(`  ${describeJson(c)}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeFile(f: FileChange): string {
  const owner = f.package ? `  (${f.package})` : "";
  if (f.change === "added") return `+ ${f.path}${what(f.kindB, f.sizeB, f.linkB)}${owner}`;
  if (f.change === "removed") return `- ${f.path}${what(f.kindA, f.sizeA, f.linkA)}${owner}`;
  const details = f.how.map((h) =>
    h === "size" ? `size ${bytes(f.sizeA ?? 0)} → ${bytes(f.sizeB ?? 0)}`
    : h === "type" ? `type ${f.kindA} → ${f.kindB}`
    : h === "link target" ? `link ${f.linkA ?? ""} → ${f.linkB ?? ""}`
    : h);
  return `~ ${f.path}: ${details.join(", ")}${owner}`;
}

function what(kind: FileChange["kindA"], size: number | undefined, link: string | undefined): string {
  if (kind === "symlink" || kind === "hardlink") return ` → ${link ?? ""}`;
  if (kind === "file") return ` (${bytes(size ?? 0)})`;
  return kind ? ` (${kind})` : "";
}

function describeLayer(r: LayerRef): string {
  return `#${r.index} ${short(r.digest)} ${bytes(r.size)}${r.createdBy ? `  ${r.createdBy}` : ""}`;
}

export function describeJson(c: JsonDifference): string {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return `${c.path}: ${show(c.a)} → ${show(c.b)}`;
}

export function short(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1…");
}

export function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return `${n} B`;
  if (abs < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (abs < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function signed(n: number): string {
  return n > 0 ? `+${bytes(n)}` : n < 0 ? `-${bytes(-n)}` : "±0 B";
}
