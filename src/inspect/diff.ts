// What changed between two images, as data: packages (by name, with versions), files of the final
// filesystems (type, size, link target, mode, owner, content hash), layers matched by identity, sizes,
// and the config. Pure: both images are read beforehand (inspect with hashFiles for content).
import type { FinalFile, InspectedImage, LayerEntry } from "./model.js";

export interface PackageVersion {
  name: string;
  version: string;
}

export interface PackageChange {
  name: string;
  from: string;
  to: string;
}

export type FileChangeKind = "added" | "removed" | "changed";

export interface FileChange {
  path: string;
  change: FileChangeKind;
  /** For a changed file, what differs: "type", "link target", "size", "content", "mode", "owner". */
  how: string[];
  sizeA?: number;
  sizeB?: number;
  kindA?: FinalFile["kind"];
  kindB?: FinalFile["kind"];
  linkA?: string;
  linkB?: string;
  /** The Debian package that owns the path (in B, else in A). */
  package?: string;
}

/** File changes summed per owning package, or per directory for files no package owns. */
export interface FileGroup {
  name: string;
  by: "package" | "directory";
  added: number;
  removed: number;
  changed: number;
  /** Bytes in B minus bytes in A. */
  delta: number;
}

export interface LayerRef {
  index: number;
  digest: string;
  /** Bytes as stored. */
  size: number;
  createdBy?: string;
}

export interface JsonDifference {
  /** Where, e.g. `config.Env[1]`; absent values are `undefined`. */
  path: string;
  a?: unknown;
  b?: unknown;
}

export interface ImageDiff {
  a: { reference: string; manifestDigest?: string };
  b: { reference: string; manifestDigest?: string };
  packages: { added: PackageVersion[]; removed: PackageVersion[]; changed: PackageChange[] };
  /** Sorted by path. Directories count only when they appear, vanish or change type. */
  files: FileChange[];
  /** Largest change in bytes first. */
  groups: FileGroup[];
  /** Matched by diff_id (the uncompressed tar's digest) when both configs list them, else by digest. */
  layers: { shared: { a: LayerRef; b: LayerRef }[]; onlyA: LayerRef[]; onlyB: LayerRef[] };
  size: { storedA: number; storedB: number; contentA: number; contentB: number };
  /** Config differences, outside `rootfs` and `history` (the layers say those). */
  config: JsonDifference[];
  identical: boolean;
}

export function diffImages(a: InspectedImage, b: InspectedImage): ImageDiff {
  const packages = diffPackages(a, b);
  const files = diffFiles(a, b);
  const layers = diffLayers(a, b);
  const strip = (c: InspectedImage["config"]) => ({ ...c, rootfs: undefined, history: undefined });
  const config = jsonDifferences(strip(a.config), strip(b.config));
  const sum = (img: InspectedImage, f: (l: InspectedImage["layers"][number]) => number) => img.layers.reduce((n, l) => n + f(l), 0);
  const identical = (!!a.manifestDigest && a.manifestDigest === b.manifestDigest) ||
    (!packages.added.length && !packages.removed.length && !packages.changed.length && !files.length && !config.length && !layers.onlyA.length && !layers.onlyB.length);
  return {
    a: ref(a), b: ref(b), packages, files, groups: groupFiles(files), layers,
    size: { storedA: sum(a, (l) => l.storedSize), storedB: sum(b, (l) => l.storedSize), contentA: sum(a, (l) => l.contentSize), contentB: sum(b, (l) => l.contentSize) },
    config, identical,
  };
}

function ref(i: InspectedImage): ImageDiff["a"] {
  return { reference: i.reference, ...(i.manifestDigest ? { manifestDigest: i.manifestDigest } : {}) };
}

export function diffPackages(a: InspectedImage, b: InspectedImage): ImageDiff["packages"] {
  const inA = new Map(a.packages.map((p) => [p.name, p.version]));
  const inB = new Map(b.packages.map((p) => [p.name, p.version]));
  const added: PackageVersion[] = [];
  const removed: PackageVersion[] = [];
  const changed: PackageChange[] = [];
  for (const [name, version] of inB) if (!inA.has(name)) added.push({ name, version });
  for (const [name, version] of inA) {
    const to = inB.get(name);
    if (to === undefined) removed.push({ name, version });
    else if (to !== version) changed.push({ name, from: version, to });
  }
  const byName = (x: { name: string }, y: { name: string }) => compare(x.name, y.name);
  return { added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) };
}

export function diffFiles(a: InspectedImage, b: InspectedImage): FileChange[] {
  const out: FileChange[] = [];
  const metaA = entryLookup(a);
  const metaB = entryLookup(b);
  for (const [path, fb] of b.files) {
    const fa = a.files.get(path);
    if (!fa) {
      if (fb.kind !== "dir") out.push({ path, change: "added", how: [], kindB: fb.kind, sizeB: fb.size, ...link("linkB", fb), ...owner(fb) });
      continue;
    }
    const how: string[] = [];
    if (fa.kind !== fb.kind) how.push("type");
    else if ((fa.linkname ?? "") !== (fb.linkname ?? "")) how.push("link target");
    if (fa.kind === fb.kind && fa.kind !== "dir") {
      if (fa.size !== fb.size) how.push("size");
      const ha = contentHash(a, fa);
      const hb = contentHash(b, fb);
      if (ha && hb && ha !== hb) how.push("content");
    }
    const ea = metaA(fa);
    const eb = metaB(fb);
    if (ea && eb && fa.kind === fb.kind && fa.kind !== "dir" && fa.kind !== "symlink") {
      if (ea.mode !== eb.mode) how.push("mode");
      if (ea.uid !== eb.uid || ea.gid !== eb.gid) how.push("owner");
    }
    if (how.length) {
      out.push({
        path, change: "changed", how, kindA: fa.kind, kindB: fb.kind, sizeA: fa.size, sizeB: fb.size,
        ...link("linkA", fa), ...link("linkB", fb), ...owner(fb.package ? fb : fa),
      });
    }
  }
  for (const [path, fa] of a.files) {
    if (!b.files.has(path) && fa.kind !== "dir") out.push({ path, change: "removed", how: [], kindA: fa.kind, sizeA: fa.size, ...link("linkA", fa), ...owner(fa) });
  }
  return out.sort((x, y) => compare(x.path, y.path));
}

function link(key: "linkA" | "linkB", f: FinalFile): Partial<FileChange> {
  return f.linkname !== undefined ? { [key]: f.linkname } : {};
}

function owner(f: FinalFile): Partial<FileChange> {
  return f.package ? { package: f.package } : {};
}

/** A hardlink's content is its target's. */
function contentHash(img: InspectedImage, f: FinalFile): string | undefined {
  if (f.kind === "hardlink" && f.linkname) return img.files.get(f.linkname)?.sha256;
  return f.sha256;
}

/** The tar entry a final file came from (for mode and owner), indexed per layer on first use. */
function entryLookup(img: InspectedImage): (f: FinalFile) => LayerEntry | undefined {
  const byLayer = new Map<number, Map<string, LayerEntry>>();
  return (f) => {
    let m = byLayer.get(f.layer);
    if (!m) {
      m = new Map((img.layers[f.layer]?.entries ?? []).filter((e) => e.kind !== "whiteout" && e.kind !== "opaque").map((e) => [e.path, e]));
      byLayer.set(f.layer, m);
    }
    return m.get(f.path);
  };
}

export function groupFiles(files: FileChange[]): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const f of files) {
    const by = f.package ? "package" : "directory";
    const name = f.package ?? directoryOf(f.path);
    const key = `${by} ${name}`;
    const g = groups.get(key) ?? { name, by, added: 0, removed: 0, changed: 0, delta: 0 };
    g[f.change] += 1;
    g.delta += (f.sizeB ?? 0) - (f.sizeA ?? 0);
    groups.set(key, g);
  }
  const total = (g: FileGroup) => g.added + g.removed + g.changed;
  return [...groups.values()].sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || total(y) - total(x) || compare(x.name, y.name));
}

/** Up to three levels: `usr/share/doc`, `etc`, `var/lib/dpkg`; a top-level file is its own group. */
export function directoryOf(path: string): string {
  const parts = path.split("/").slice(0, -1);
  return parts.length ? parts.slice(0, 3).join("/") : "/";
}

export function diffLayers(a: InspectedImage, b: InspectedImage): ImageDiff["layers"] {
  const keyed = (img: InspectedImage) => {
    const ids = img.config.rootfs?.diff_ids ?? [];
    const byDiffId = ids.length === img.layers.length;
    return img.layers.map((l) => ({ key: byDiffId ? ids[l.index]! : l.digest, ref: { index: l.index, digest: l.digest, size: l.storedSize, ...(l.createdBy ? { createdBy: l.createdBy } : {}) } }));
  };
  let la = keyed(a);
  let lb = keyed(b);
  // One side without diff_ids: match both by digest.
  if ((a.config.rootfs?.diff_ids?.length === a.layers.length) !== (b.config.rootfs?.diff_ids?.length === b.layers.length)) {
    la = la.map((x) => ({ ...x, key: x.ref.digest }));
    lb = lb.map((x) => ({ ...x, key: x.ref.digest }));
  }
  const pool = new Map<string, LayerRef[]>();
  for (const x of lb) pool.set(x.key, [...(pool.get(x.key) ?? []), x.ref]);
  const shared: { a: LayerRef; b: LayerRef }[] = [];
  const onlyA: LayerRef[] = [];
  for (const x of la) {
    const match = pool.get(x.key)?.shift();
    if (match) shared.push({ a: x.ref, b: match });
    else onlyA.push(x.ref);
  }
  const matched = new Set(shared.map((s) => s.b.index));
  return { shared, onlyA, onlyB: lb.map((x) => x.ref).filter((r) => !matched.has(r.index)) };
}

/** Leaf differences between two JSON values; arrays compared index by index. */
export function jsonDifferences(a: unknown, b: unknown, at = ""): JsonDifference[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: JsonDifference[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...jsonDifferences(a[i], b[i], `${at}[${i}]`));
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compare);
    return keys.flatMap((k) => jsonDifferences(a[k], b[k], at ? `${at}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: at || "(root)", ...(a !== undefined ? { a } : {}), ...(b !== undefined ? { b } : {}) }];
}

/** Bytewise, as the tars are sorted; not the locale's order. */
function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
