// The exact packages an image (or a build step's environment) is made from: one typed value from
// resolution to the last consumer (build, sbom, graph, why). cairn.lock is this value written down;
// lockOf and pinsFrom in the lock module are the only translations, at the edges.
import type { PackageRequest } from "./lockfile.js";
import type { LockedPackage } from "./lockfile.js";
import type { Distribution } from "./types.js";

/** `from` depends on the chosen package `to` (by name; a package depending on itself is left out). */
export interface DependencyEdge {
  from: string;
  to: string;
}

/** A base image pinned: where it was found and the manifest digest it had. */
export interface BasePin {
  reference: string;
  digest: string;
}

export interface Resolution {
  /** What was asked of Debian: a pin applies only while this stays the same. */
  request: PackageRequest;
  /** Names of the packages asked for, in the request's order. */
  roots: string[];
  /** Every package of the Depends closure, by locator (`name version architecture`), in locator order. */
  packages: ReadonlyMap<string, LockedPackage>;
  /** Sorted by from, then to; no duplicates. */
  edges: readonly DependencyEdge[];
  distribution: Distribution;
  /** Each suite's Release Date when this was resolved: where a snapshot archive still has these packages. */
  archiveDates?: Readonly<Record<string, string>>;
  base?: BasePin;
  /** Set on a pin read from a lock that lacks some of its packages: it cannot be used as is. */
  incomplete?: true;
}

/** The locator a package is known by: `name version architecture`. */
export function locatorOf(p: { name: string; version: string; architecture: string }): string {
  return `${p.name} ${p.version} ${p.architecture}`;
}

/** The packages, in locator order. */
export function packagesOf(r: Resolution): LockedPackage[] {
  return [...r.packages.values()];
}

/** A package's name from a root as the request writes it (`name` or `name=version`). */
export function rootName(root: string): string {
  const eq = root.indexOf("=");
  return eq > 0 ? root.slice(0, eq) : root;
}

export function resolutionOf(parts: Omit<Resolution, "packages" | "roots" | "edges"> & { packages: Iterable<LockedPackage>; edges: Iterable<DependencyEdge> }): Resolution {
  const packages = new Map([...parts.packages].map((p) => [locatorOf(p), p] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const seen = new Set<string>();
  const edges: DependencyEdge[] = [];
  for (const e of parts.edges) {
    const key = `${e.from} -> ${e.to}`;
    if (e.from === e.to || seen.has(key)) continue;
    seen.add(key);
    edges.push({ from: e.from, to: e.to });
  }
  edges.sort((a, b) => cmp(`${a.from} -> ${a.to}`, `${b.from} -> ${b.to}`));
  return {
    request: parts.request,
    roots: [...new Set(parts.request.roots.map(rootName))],
    packages,
    edges,
    distribution: parts.distribution,
    ...(parts.archiveDates && Object.keys(parts.archiveDates).length ? { archiveDates: sortedRecord(parts.archiveDates) } : {}),
    ...(parts.base ? { base: parts.base } : {}),
    ...(parts.incomplete ? { incomplete: true as const } : {}),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedRecord = (r: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));

export interface LockChanges {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  changed: { name: string; from: string; to: string }[];
}

/** What a new resolution changes from a pin, by package name, each list sorted by name. */
export function lockChanges(before: Resolution | undefined, after: Resolution): LockChanges {
  const versions = (r: Resolution | undefined) => new Map([...(r?.packages.values() ?? [])].map((p) => [p.name, p.version] as const));
  const a = versions(before);
  const b = versions(after);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort(cmp);
  const out: LockChanges = { added: [], removed: [], changed: [] };
  for (const name of names) {
    const from = a.get(name);
    const to = b.get(name);
    if (from === undefined) out.added.push({ name, version: to! });
    else if (to === undefined) out.removed.push({ name, version: from });
    else if (from !== to) out.changed.push({ name, from, to });
  }
  return out;
}
