// The package closure as a graph, for `cairn graph` and `cairn why`: the packages in the image
// with their dependencies, and (for a definition) those the runtime closure left out, with the
// lock's edges that dragged them in.
import type { Inspected } from "./inspected.js";

export interface GraphNode {
  name: string;
  version: string;
  /** Bytes its files take in the image; 0 when left out. */
  size: number;
  /** Asked for in contents (or, for an image without its definition, nothing depends on it). */
  root: boolean;
  /** false: in the resolved Depends closure but left out of the image. */
  inImage: boolean;
}

export interface PackageGraph {
  /** The export name, or the image reference. */
  title: string;
  /** Sorted by name. */
  nodes: GraphNode[];
  /** from → to (from depends on to), deduplicated and sorted. */
  edges: [string, string][];
  roots: string[];
  /** Whether the roots come from a definition (else they are guessed from the edges). */
  rootsDeclared: boolean;
}

export function packageGraph({ image, definition }: Inspected): PackageGraph {
  const resolution = definition?.resolution;
  const nodes = new Map<string, GraphNode>();
  for (const p of image.packages) nodes.set(p.name, { name: p.name, version: p.version, size: p.size, root: false, inImage: true });
  for (const { name, version } of resolution?.packages.values() ?? []) {
    if (!nodes.has(name)) nodes.set(name, { name, version, size: 0, root: false, inImage: false });
  }
  const keys = new Set<string>();
  const edges: [string, string][] = [];
  const add = (from: string, to: string) => {
    const k = `${from}\0${to}`;
    if (from === to || keys.has(k) || !nodes.has(from) || !nodes.has(to)) return;
    keys.add(k);
    edges.push([from, to]);
  };
  for (const { from, to } of resolution?.edges ?? []) add(from, to);
  for (const p of image.packages) for (const d of p.dependsOn) add(p.name, d);
  edges.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));

  let roots = (resolution?.roots ?? []).filter((r) => nodes.has(r));
  if (!resolution) {
    const depended = new Set(edges.map(([, to]) => to));
    roots = [...nodes.keys()].filter((n) => !depended.has(n));
  }
  roots = [...new Set(roots)].sort(compare);
  for (const r of roots) nodes.get(r)!.root = true;
  return {
    title: definition?.exportName ?? image.reference,
    nodes: [...nodes.values()].sort((a, b) => compare(a.name, b.name)),
    edges, roots, rootsDeclared: !!resolution,
  };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 1234567 → "1.2 MB" (decimal units, as `cairn build` prints sizes). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = bytes / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
