// What the HTML report's script needs, as one JSON value: per package its size, files, layers,
// dependencies both ways and why it is there (a shortest dependency path from a root).
import { packageGraph } from "./graph-model.js";
import type { Inspected } from "./inspected.js";
import type { SizeReport } from "./size.js";
import { shortestPaths } from "./why.js";

export interface ReportPackage {
  name: string;
  version: string;
  size: number;
  colour: string;
  layers: number[];
  /** Largest first; cut to MAX_FILES (fileCount says how many there are). */
  files: [path: string, size: number][];
  fileCount: number;
  dependsOn: string[];
  requiredBy: string[];
  /** Root first, the package last; just the package when it is a root. */
  why: string[];
}

export interface ReportData {
  reference: string;
  roots: string[];
  packages: Record<string, ReportPackage>;
  /** Packages of the definition's Depends closure that the image does not hold: name → version. */
  leftOut: Record<string, string>;
}

const MAX_FILES = 2000;

export function reportData(inspected: Inspected, report: SizeReport, colours: Map<string, { fill: string }>): ReportData {
  const { image } = inspected;
  const filesOf = new Map<string, [string, number][]>();
  for (const f of image.files.values()) {
    if (f.kind === "dir" || !f.package) continue;
    const list = filesOf.get(f.package) ?? [];
    list.push([`/${f.path}`, f.size]);
    filesOf.set(f.package, list);
  }
  const { roots, why } = whyPaths(inspected);
  const requiredBy = new Map<string, string[]>();
  for (const p of image.packages) for (const d of p.dependsOn) requiredBy.set(d, [...(requiredBy.get(d) ?? []), p.name]);
  const sizes = new Map(report.packages.map((p) => [p.name, p]));
  const packages: Record<string, ReportPackage> = {};
  for (const p of image.packages) {
    const files = (filesOf.get(p.name) ?? []).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    packages[p.name] = {
      name: p.name, version: p.version, size: sizes.get(p.name)?.size ?? 0, colour: colours.get(p.name)?.fill ?? "#999",
      layers: sizes.get(p.name)?.layers ?? [], files: files.slice(0, MAX_FILES), fileCount: files.length,
      dependsOn: p.dependsOn, requiredBy: (requiredBy.get(p.name) ?? []).sort(), why: why.get(p.name) ?? [p.name],
    };
  }
  const leftOut: Record<string, string> = {};
  for (const { name, version } of inspected.definition?.resolution.packages.values() ?? []) if (!packages[name]) leftOut[name] = version;
  return { reference: image.reference, roots, packages, leftOut };
}

/**
 * A shortest dependency path from a root to every installed package (why.ts's search over
 * graph-model's graph, as `cairn why` shows them; the first in order when several tie). Roots: the
 * definition's contents, else the packages nothing installed depends on.
 */
export function whyPaths(inspected: Inspected): { roots: string[]; why: Map<string, string[]> } {
  const graph = packageGraph(inspected);
  const why = new Map<string, string[]>();
  for (const p of inspected.image.packages) why.set(p.name, shortestPaths(graph.edges, graph.roots, p.name, 1).paths[0] ?? [p.name]);
  return { roots: graph.roots, why };
}
