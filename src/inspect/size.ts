// `cairn size`: where an image's bytes are — per package, per layer, the largest files — and how
// much of them is waste (dive's efficiency, see size-efficiency.ts). Pure: an InspectedImage in,
// a report out; formatting for people is size-format.ts.
import type { InspectedImage } from "./model.js";
import { efficiency, type Efficiency } from "./size-efficiency.js";

export interface LayerSize {
  index: number;
  digest: string;
  /** Bytes as stored (compressed). */
  storedSize: number;
  /** Bytes of the uncompressed tar, when known. */
  tarSize?: number;
  /** Sum of the sizes of the files in the layer's tar. */
  contentSize: number;
  /** Entries in the layer's tar (directories, files, links, whiteouts). */
  entries: number;
  createdBy?: string;
  /** Packages with a file whose final version comes from this layer. */
  packages: string[];
}

export interface PackageSize {
  name: string;
  version: string;
  architecture: string;
  /** Sum of the sizes of the files of the final filesystem attributed to it. */
  size: number;
  files: number;
  /** Layers its files come from. */
  layers: number[];
}

export interface FileSize {
  path: string;
  size: number;
  layer: number;
  package?: string;
}

export interface SizeReport {
  reference: string;
  manifestDigest?: string;
  storedSize: number;
  /** Sum of the layers' content sizes: what dive calls the image size. */
  contentSize: number;
  /** Sum of the sizes of the files of the final filesystem. */
  finalSize: number;
  fileCount: number;
  layers: LayerSize[];
  /** Largest first. */
  packages: PackageSize[];
  /** Files of the final filesystem no package lists. */
  unpackaged: { size: number; files: number };
  /** The `top` largest files of the final filesystem. */
  largest: FileSize[];
  /** dive's figures; `inefficiencies` cut to the `top` largest, `inefficientPaths` counts them all. */
  efficiency: Efficiency & { inefficientPaths: number };
}

export function sizeReport(image: InspectedImage, options: { top?: number } = {}): SizeReport {
  const top = options.top ?? 10;
  const byPackage = new Map<string, { size: number; files: number; layers: Set<number> }>();
  const unpackaged = { size: 0, files: 0 };
  const layerPackages = image.layers.map(() => new Set<string>());
  let finalSize = 0;
  let fileCount = 0;
  for (const f of image.files.values()) {
    if (f.kind === "dir") continue;
    finalSize += f.size;
    fileCount++;
    if (!f.package) {
      unpackaged.size += f.size;
      unpackaged.files++;
      continue;
    }
    const p = byPackage.get(f.package) ?? { size: 0, files: 0, layers: new Set<number>() };
    p.size += f.size;
    p.files++;
    p.layers.add(f.layer);
    byPackage.set(f.package, p);
    layerPackages[f.layer]?.add(f.package);
  }
  // Each file counts once, for the package the model attributed it to, so the sums add up.
  const packages: PackageSize[] = image.packages.map((p) => {
    const s = byPackage.get(p.name);
    return { name: p.name, version: p.version, architecture: p.architecture, size: s?.size ?? 0, files: s?.files ?? 0, layers: [...(s?.layers ?? [])].sort((a, b) => a - b) };
  }).sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1));

  const largest = [...image.files.values()].filter((f) => f.kind !== "dir")
    .sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)).slice(0, top)
    .map((f) => ({ path: f.path, size: f.size, layer: f.layer, ...(f.package ? { package: f.package } : {}) }));

  const eff = efficiency(image.layers);
  return {
    reference: image.reference,
    ...(image.manifestDigest ? { manifestDigest: image.manifestDigest } : {}),
    storedSize: image.layers.reduce((n, l) => n + l.storedSize, 0),
    contentSize: image.layers.reduce((n, l) => n + l.contentSize, 0),
    finalSize, fileCount,
    layers: image.layers.map((l, i) => ({
      index: l.index, digest: l.digest, storedSize: l.storedSize, ...(l.tarSize !== undefined ? { tarSize: l.tarSize } : {}),
      contentSize: l.contentSize, entries: l.entries.length,
      ...(l.createdBy ? { createdBy: l.createdBy } : {}), packages: [...layerPackages[i]!].sort(),
    })),
    packages, unpackaged, largest,
    efficiency: { ...eff, inefficiencies: eff.inefficiencies.slice(0, top), inefficientPaths: eff.inefficiencies.length },
  };
}

/** Bytes in SI units as dive prints them (1 kB = 1000 B): "0 B", "999 B", "8.3 MB", "1.8 GB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 999.95 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}
