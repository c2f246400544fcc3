// cairn.lock: a pure function of the resolutions, written only when it changes. It pins every
// package (name, version, architecture, sha256, path in the archive, suite) per image, and records
// what was asked for, so a changed definition is noticed (and refused with --frozen).
// No mirror host is written: a package is found again through the suite that serves it.
import * as fs from "node:fs/promises";
import { CairnError, ErrorCode } from "../errors.js";
import type { Distribution } from "./types.js";
import { locatorOf, resolutionOf, type Resolution } from "./resolution.js";
import { sortKeys } from "../store/store.js";

export const LOCKFILE_VERSION = 1;
export const LOCKFILE_NAME = "cairn.lock";

export interface LockedPackage {
  name: string;
  version: string;
  architecture: string;
  /** Path of the .deb in the archive. */
  filename: string;
  sha256: string;
  size: number;
  suite: string;
  component: string;
}

/** What an image asked of Debian; a lock entry applies only while this stays the same. */
export interface PackageRequest {
  architecture: string;
  /** "host" plus the suite filter, or the explicit sources. */
  sources: unknown;
  /** `name` or `name=version`, sorted. */
  roots: string[];
  /** The base image as the definition names it (`fromImage`). */
  base?: { imageName: string; tag?: string; imageDigest?: string } | { file: string };
}

export interface LockedImage {
  request: PackageRequest;
  /** Keys into `packages` (`name version architecture`), sorted. */
  packages: string[];
  /** Dependency edges: "from -> to" by package name, sorted. */
  edges: string[];
  distribution: Distribution;
  /** Each suite's Release Date (ISO 8601) when resolved: the moment a snapshot archive is asked for. */
  archiveDates?: Record<string, string>;
  /** The base image pinned: where it was found and the manifest digest it had. */
  base?: { reference: string; digest: string };
}

export interface LockFile {
  lockfileVersion: number;
  images: Record<string, LockedImage>;
  packages: Record<string, LockedPackage>;
  /** Sources from outside Debian, pinned when first used. */
  sources?: LockedSources;
}

/** A fetchurl() without a sha256: what its URL gave the first time. */
export interface LockedFetch {
  sha256: string;
  size: number;
}

/** A derivation's Python requirements as pip resolved them from the index, each pinned to one file's hash. */
export interface LockedRequirements {
  /** The hash of what was asked (the requirement lines and the distributions Debian provides): a change re-resolves. */
  request: string;
  /** `name==version --hash=sha256:…`, sorted by name. */
  requirements: string[];
}

export interface LockedSources {
  /** By URL. */
  fetchurl?: Record<string, LockedFetch>;
  /** By derivation name. */
  pip?: Record<string, LockedRequirements>;
}

export function emptyLock(): LockFile {
  return { lockfileVersion: LOCKFILE_VERSION, images: {}, packages: {} };
}

/** A package's key in the lock: its locator. */
export const packageKey = locatorOf;

export async function readLock(path: string): Promise<LockFile> {
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return emptyLock();
    throw e;
  }
  let lock: LockFile;
  try {
    lock = JSON.parse(text) as LockFile;
  } catch (e) {
    throw new CairnError(ErrorCode.LOCK_INVALID, `${path} is not valid JSON (${(e as Error).message}).`, "Restore it from version control, or delete it and run `cairn lock`.");
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (!isRecord(lock) || lock.lockfileVersion !== LOCKFILE_VERSION) {
    const version = isRecord(lock) ? String(lock.lockfileVersion) : "none";
    throw new CairnError(ErrorCode.LOCK_INVALID, `${path} has lockfile version ${version}; this cairn reads version ${LOCKFILE_VERSION}.`, "Run `cairn lock` to write it anew.");
  }
  if (!isRecord(lock.images) || !isRecord(lock.packages)) {
    throw new CairnError(ErrorCode.LOCK_INVALID, `${path} lacks its "images" or "packages" object.`, "Restore it from version control, or delete it and run `cairn lock`.");
  }
  const sources = lock.sources as unknown;
  if (sources !== undefined && (!isRecord(sources) || !Object.values(sources).every(isRecord))) {
    throw new CairnError(ErrorCode.LOCK_INVALID, `${path} has a "sources" entry that is not an object of objects.`, "Restore it from version control, or delete the \"sources\" entry and build again to pin them anew.");
  }
  return lock;
}

/** The lock with these sources pinned (each replacing the entry of its URL or derivation). */
export function withSources(lock: LockFile, sources: LockedSources): LockFile {
  const merged: LockedSources = {};
  for (const kind of ["fetchurl", "pip"] as const) {
    const all = { ...(lock.sources?.[kind] ?? {}), ...(sources[kind] ?? {}) };
    if (Object.keys(all).length) (merged as Record<string, unknown>)[kind] = all;
  }
  const { sources: _, ...rest } = lock;
  return Object.keys(merged).length ? { ...rest, sources: merged } : rest;
}

/** The lock with `image` set to its new resolution, and packages no image uses dropped. */
export function withImage(lock: LockFile, name: string, image: LockedImage, packages: LockedPackage[]): LockFile {
  const images = { ...lock.images, [name]: image };
  const all = { ...lock.packages };
  for (const p of packages) all[packageKey(p)] = p;
  const used = new Set(Object.values(images).flatMap((i) => i.packages));
  const kept: Record<string, LockedPackage> = {};
  for (const k of Object.keys(all)) if (used.has(k)) kept[k] = all[k]!;
  return { lockfileVersion: LOCKFILE_VERSION, images, packages: kept, ...(lock.sources ? { sources: lock.sources } : {}) };
}

export function formatLock(lock: LockFile): string {
  return JSON.stringify(sortKeys(lock), null, 2) + "\n";
}

/** Write when the text changed (atomically); returns whether it did. */
export async function writeLock(path: string, lock: LockFile): Promise<boolean> {
  const text = formatLock(lock);
  try {
    if ((await fs.readFile(path, "utf8")) === text) return false;
  } catch {
    // no lock yet
  }
  const tmp = `${path}.tmp-${process.pid}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, path);
  return true;
}

/** The lock's entries as resolutions, by their names in the lock: what builds and `cairn lock` start from. */
export function pinsFrom(lock: LockFile): Map<string, Resolution> {
  const pins = new Map<string, Resolution>();
  for (const [name, image] of Object.entries(lock.images)) {
    const packages = image.packages.map((k) => lock.packages[k]).filter((p): p is LockedPackage => !!p);
    pins.set(name, resolutionOf({
      request: image.request,
      packages,
      edges: image.edges.map((e) => {
        const [from, to] = e.split(" -> ");
        return { from: from!, to: to! };
      }),
      distribution: image.distribution,
      ...(image.archiveDates ? { archiveDates: image.archiveDates } : {}),
      ...(image.base ? { base: image.base } : {}),
      ...(packages.length < image.packages.length ? { incomplete: true as const } : {}),
    }));
  }
  return pins;
}

/** The lock entry a resolution is written as. */
export function lockedImageOf(r: Resolution): LockedImage {
  return {
    request: r.request,
    packages: [...r.packages.keys()],
    edges: r.edges.map((e) => `${e.from} -> ${e.to}`),
    distribution: r.distribution,
    ...(r.archiveDates ? { archiveDates: { ...r.archiveDates } } : {}),
    ...(r.base ? { base: r.base } : {}),
  };
}

/** `previous` with these resolutions set under their names (and sources pinned), and packages no image uses dropped. */
export function lockOf(previous: LockFile, resolutions: Iterable<[name: string, resolution: Resolution]>, sources: LockedSources = {}): LockFile {
  let lock = withSources(previous, sources);
  for (const [name, r] of resolutions) lock = withImage(lock, name, lockedImageOf(r), [...r.packages.values()]);
  return lock;
}
