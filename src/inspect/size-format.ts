// `cairn size` for people: a summary line, then layers, packages, the largest files and the paths
// that waste space, each as an aligned table.
import { formatBytes, type SizeReport } from "./size.js";

export function formatSizeReport(r: SizeReport, options: { top?: number } = {}): string {
  const top = options.top ?? 10;
  const e = r.efficiency;
  const out: string[] = [];
  out.push(`${r.reference}${r.manifestDigest ? ` (${r.manifestDigest.slice(0, 19)})` : ""}`);
  out.push(`  ${formatBytes(r.contentSize)} in ${r.layers.length} layers (${formatBytes(r.storedSize)} compressed); ${r.fileCount} files, ${formatBytes(r.finalSize)} in the final filesystem`);
  out.push(`  efficiency ${percent(e.score)}, wasted ${formatBytes(e.wastedBytes)}` +
    (e.userWastedRatio === null ? "" : ` (${percent(e.userWastedRatio)} of the layers above the first)`));

  out.push("", "Layers");
  out.push(...table(["#", "compressed", "tar", "content", "entries", "holds"], ["r", "r", "r", "r", "r", "l"], r.layers.map((l) => [
    String(l.index), formatBytes(l.storedSize), l.tarSize === undefined ? "-" : formatBytes(l.tarSize), formatBytes(l.contentSize), String(l.entries),
    holds(l.createdBy, l.packages),
  ])));

  const packaged = r.packages.reduce((n, p) => n + p.size, 0);
  out.push("", `Packages: ${r.packages.length}, ${formatBytes(packaged)}` + (r.unpackaged.files ? `; ${formatBytes(r.unpackaged.size)} in ${r.unpackaged.files} files of no package` : ""));
  if (r.packages.length) {
    const shown = r.packages.slice(0, top);
    out.push(...table(["size", "files", "layer", "package", "version"], ["r", "r", "r", "l", "l"], shown.map((p) => [
      formatBytes(p.size), String(p.files), p.layers.join(",") || "-", p.name, p.version,
    ])));
    if (r.packages.length > shown.length) out.push(`  … and ${r.packages.length - shown.length} more (--top N to see more)`);
  }

  if (r.largest.length) {
    out.push("", `Largest files`);
    out.push(...table(["size", "layer", "path", "package"], ["r", "r", "l", "l"], r.largest.map((f) => [formatBytes(f.size), String(f.layer), `/${f.path}`, f.package ?? ""])));
  }

  out.push("", e.inefficientPaths ? `Wasted space: ${e.inefficientPaths} paths in more than one layer (or removed)` : "Wasted space: none (no path is in two layers or removed)");
  if (e.inefficientPaths) {
    out.push(...table(["total", "count", "layers", "path"], ["r", "r", "l", "l"], e.inefficiencies.map((i) => [formatBytes(i.cumulativeSize), String(i.layers.length), i.layers.join(","), i.path])));
    if (e.inefficientPaths > e.inefficiencies.length) out.push(`  … and ${e.inefficientPaths - e.inefficiencies.length} more`);
  }
  return `${out.join("\n")}\n`;
}

/** 0.9876 → "98.8 %"; 1 → "100 %". */
export function percent(ratio: number): string {
  const p = ratio * 100;
  return p === 100 || p === 0 ? `${p} %` : `${p.toFixed(1)} %`;
}

function holds(createdBy: string | undefined, packages: string[]): string {
  const what = (createdBy ?? "").replace(/\s+/g, " ").trim();
  const text = what || (packages.length ? packages.join(" ") : "");
  return text.length > 70 ? `${text.slice(0, 69)}…` : text;
}

/** Rows aligned under a header, two spaces between columns, indented by two. */
export function table(header: string[], align: ("l" | "r")[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => "  " + cells.map((c, i) => {
    const last = i === cells.length - 1;
    if (align[i] === "r") return c.padStart(widths[i]!);
    return last ? c : c.padEnd(widths[i]!);
  }).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}
