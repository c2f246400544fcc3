// A tree's files checked against the hashes they were made with, before they go into an image.
// Hashing every file of every package on every build costs about a second per 150 MB; after one
// full check the files' identities (inode, size, mtime, ctime) are kept in a sealed record, and
// while they all still match, nothing was written to any file since: ctime cannot be set back from
// user space, so a changed file always shows. A cache copied from elsewhere gets new ctimes and is
// hashed once.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { mapLimit } from "../concurrency.js";
import { fileIdentity, sha256Hex, type Store } from "./store.js";

export interface TreeFile {
  /** Relative to the tree's folder of files. */
  path: string;
  size: number;
  sha256: string;
}

/** An entry as unpacked manifests, base-layer listings and step records keep them. */
export interface ListedEntry {
  path: string;
  type: string;
  size: number;
  sha256?: string;
}

/** The files (with their hashes) among a tree's entries. */
export function treeFiles(entries: readonly ListedEntry[]): TreeFile[] {
  return entries.flatMap((e) => (e.type === "file" && e.sha256 ? [{ path: e.path, size: e.size, sha256: e.sha256 }] : []));
}

/** The files a listing names: a JSON list of entries, or an object with one under `entries`. */
export function listedFiles(text: string): TreeFile[] {
  const parsed = JSON.parse(text) as { entries?: ListedEntry[] } | ListedEntry[];
  return treeFiles(Array.isArray(parsed) ? parsed : parsed.entries ?? []);
}

const PARALLEL = 8;

/** The first file (its path) under `root` whose content differs from `files`, if any. */
export async function firstChangedFile(store: Store, key: string, root: string, files: readonly TreeFile[]): Promise<string | undefined> {
  const identity = await identityOf(root, files);
  const known = await store.getEntry<{ identity: string }>("tree-check", key);
  if (identity && known?.identity === identity) return undefined;
  const changed = await firstHashMismatch(root, files);
  if (!changed && identity) await store.putEntry("tree-check", key, { identity });
  return changed;
}

/**
 * One hash of every file's inode, size, mtime and ctime (nanoseconds); undefined if one is missing.
 * Synchronous: a stat of a cached inode takes microseconds, far less than a trip through the thread pool.
 */
async function identityOf(root: string, files: readonly TreeFile[]): Promise<string | undefined> {
  const hash = createHash("sha256");
  for (const [i, f] of files.entries()) {
    const id = fileIdentity(path.join(root, f.path));
    if (!id) return undefined;
    hash.update(`${i ? "\n" : ""}${f.path}\0${id}`);
  }
  return hash.digest("hex");
}

async function firstHashMismatch(root: string, files: readonly TreeFile[]): Promise<string | undefined> {
  let found: string | undefined;
  await mapLimit([...files], PARALLEL, async (f) => {
    if (found) return;
    const p = path.join(root, f.path);
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile() || st.size !== f.size) {
      found ??= f.path;
      return;
    }
    const h = createHash("sha256");
    for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
    if (h.digest("hex") !== f.sha256) found ??= f.path;
  });
  return found;
}

export interface CheckedTreeOptions {
  /** The file in the tree that lists the others with their hashes (read by listedFiles); sealed when the tree is made. */
  listing: string;
  /** Told what was changed when a tree from the cache fails its check (and is made again). */
  onChanged: (what: string) => void;
}

/**
 * A tree made once per key, like Store.tree, but checked on every use: its listing against the
 * hash sealed when it was made, its files against the listing. A tree that fails either (or has
 * no seal: another machine's, an earlier cairn's) is made again.
 */
export async function checkedTree(store: Store, key: string, make: (dir: string) => Promise<void>, o: CheckedTreeOptions): Promise<string> {
  const sealedMake = async (dir: string) => {
    await make(dir);
    // Sealed before the tree is renamed into place: a reader never sees it unsealed.
    const listing = await readFile(path.join(dir, o.listing));
    await store.putEntry("tree-listing", key, { sha256: sha256Hex(listing), listing: o.listing });
    // The listing's hashes were taken from the bytes as they were written, a moment ago: the
    // files' identities now stand for them, so the check that follows need not read them again.
    const identity = await identityOf(path.join(dir, "files"), listedFiles(listing.toString("utf8")));
    if (identity) await store.putEntry("tree-check", key, { identity });
  };
  const dir = await store.tree(key, sealedMake);
  const problem = await treeProblem(store, key, dir, o);
  if (!problem) return dir;
  if (problem !== UNSEALED) o.onChanged(problem);
  await store.dropTree(key);
  return store.tree(key, sealedMake);
}

const UNSEALED = "unsealed";

async function treeProblem(store: Store, key: string, dir: string, o: CheckedTreeOptions): Promise<string | undefined> {
  const sealed = await store.getEntry<{ sha256: string }>("tree-listing", key);
  if (!sealed) return UNSEALED;
  const text = await readFile(path.join(dir, o.listing)).catch(() => undefined);
  if (!text || sha256Hex(text) !== sealed.sha256) return `its ${o.listing}`;
  const changed = await firstChangedFile(store, key, path.join(dir, "files"), listedFiles(text.toString("utf8")));
  return changed ? `/${changed}` : undefined;
}
