// For people who share a cache: check everything in it (`cairn cache verify`) and take out what
// has not been used for a while (`cairn cache gc`). Builds check what they use as they use it;
// these walk the whole cache, trusting nothing in it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { sha256Hex, type Store } from "./store.js";
import { firstChangedFile, listedFiles, treeFiles, type ListedEntry, type TreeFile } from "./tree-check.js";

export interface CacheProblem {
  /** The path in the cache. */
  path: string;
  why: string;
}

export interface VerifyReport {
  blobs: { count: number; bytes: number };
  records: { count: number };
  trees: { count: number; checked: number };
  /** Changed after cairn stored them: builds here would refuse or replace them. */
  problems: CacheProblem[];
  /** Records sealed, but not with this key (another machine's, or changed by someone without it): builds here ignore them. */
  untrusted: string[];
  /** Written by an earlier cairn, or trees no sealed record speaks for: never used, taken out by gc once idle. */
  stale: string[];
}

export interface VerifyOptions {
  /** Take out what was changed, and what is untrusted or stale, so that builds make it again. */
  repair?: boolean;
  /** Told of every blob byte hashed. */
  onBytes?: (n: number) => void;
}

/** Every blob, record and tree of the cache, checked; taken out with `repair`. */
export async function verifyStore(store: Store, o: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { blobs: { count: 0, bytes: 0 }, records: { count: 0 }, trees: { count: 0, checked: 0 }, problems: [], untrusted: [], stale: [] };
  const found = async (list: string[], p: string) => {
    list.push(p);
    if (o.repair) await removeItem(store, p);
  };

  for (const hex of await names(path.join(store.root, "blobs", "sha256"))) {
    const file = store.blobPath(hex);
    const h = createHash("sha256");
    for await (const chunk of createReadStream(file)) {
      h.update(chunk as Buffer);
      report.blobs.bytes += (chunk as Buffer).length;
      o.onBytes?.((chunk as Buffer).length);
    }
    report.blobs.count += 1;
    if (h.digest("hex") !== hex) {
      report.problems.push({ path: file, why: `its bytes no longer hash to its name` });
      if (o.repair) await removeItem(store, file);
    }
  }

  const entries = path.join(store.root, "entries");
  for (const kind of await names(entries)) {
    for (const name of await names(path.join(entries, kind))) {
      const file = path.join(entries, kind, name);
      report.records.count += 1;
      const { status } = store.readRecord(kind, name.replace(/\.json$/, ""), await fs.readFile(file, "utf8"));
      if (status === "untrusted") await found(report.untrusted, file);
      else if (status === "malformed") await found(report.stale, file);
    }
  }

  for (const key of await names(path.join(store.root, "trees"))) {
    report.trees.count += 1;
    const why = await treeProblem(store, key);
    if (why === undefined) await found(report.stale, store.treePath(key));
    else if (why === SANDBOX_ROOT) continue;
    else {
      report.trees.checked += 1;
      if (why) {
        report.problems.push({ path: store.treePath(key), why });
        if (o.repair) await removeItem(store, store.treePath(key));
      }
    }
  }
  return report;
}

const SANDBOX_ROOT = "sandbox root";

/**
 * What is wrong with a tree: a reason, "" when it is sound, SANDBOX_ROOT for a step's or shell's
 * root (checked against its packages whenever it is used), undefined when no sealed record speaks for it.
 */
async function treeProblem(store: Store, key: string): Promise<string | undefined> {
  const dir = store.treePath(key);
  const listed = await store.getEntry<{ sha256: string; listing?: string }>("tree-listing", key, { markUse: false });
  if (listed?.listing) {
    const text = await fs.readFile(path.join(dir, listed.listing)).catch(() => undefined);
    if (!text || sha256Hex(text) !== listed.sha256) return `its ${listed.listing} was changed`;
    return changedFile(store, key, path.join(dir, "files"), listedFiles(text.toString("utf8")));
  }
  const output = /^(step|drv)-([0-9a-f]{64})$/.exec(key);
  if (output) {
    const record = await store.getEntry<{ changed?: ListedEntry[]; entries?: ListedEntry[] }>(output[1] === "step" ? "step" : "derivation", output[2]!, { markUse: false });
    if (!record) return undefined;
    return changedFile(store, key, path.join(dir, "files"), treeFiles(record.changed ?? record.entries ?? []));
  }
  if (/^[0-9a-f]{64}$/.test(key)) {
    // A compiled definition, named by the hash of its module.
    const code = await fs.readFile(path.join(dir, "definition.mjs")).catch(() => undefined);
    return code && sha256Hex(code) === key ? "" : "its compiled module no longer hashes to its name";
  }
  if (/^(env|shell|image-root)-/.test(key)) return SANDBOX_ROOT;
  return undefined;
}

async function changedFile(store: Store, key: string, root: string, files: TreeFile[]): Promise<string> {
  // Hashed in full: `cache verify` does not go by the stat record a build keeps.
  await fs.rm(store.entryPath("tree-check", key), { force: true });
  const changed = await firstChangedFile(store, key, root, files);
  return changed ? `/${changed} was changed` : "";
}

export interface GcOptions {
  /** Take out what was last used longer ago than this (milliseconds). */
  olderThanMs: number;
  /** Then, least recently used first, until the cache is no bigger than this (bytes). */
  maxBytes?: number;
  /** Say what would go, take out nothing. */
  dryRun?: boolean;
  now: Date;
}

export interface GcReport {
  removed: { count: number; bytes: number };
  kept: { count: number; bytes: number };
}

/** Nothing used within this long is taken out, whatever the size: a build may be using it now. */
const IN_USE_MS = 60 * 60 * 1000;
/** Staging older than this is left over from a build that was killed. */
const STALE_STAGING_MS = 24 * 60 * 60 * 1000;

/** Takes out what builds have not used lately: blobs, trees and records by their last use (mtime). */
export async function collectGarbage(store: Store, o: GcOptions): Promise<GcReport> {
  const items: { path: string; bytes: number; used: number }[] = [];
  const add = async (p: string) => {
    const st = await fs.lstat(p).catch(() => undefined);
    if (st) items.push({ path: p, bytes: st.isDirectory() ? await treeBytes(p) : st.size, used: st.mtimeMs });
  };
  for (const hex of await names(path.join(store.root, "blobs", "sha256"))) await add(store.blobPath(hex));
  for (const key of await names(path.join(store.root, "trees"))) await add(store.treePath(key));
  const entries = path.join(store.root, "entries");
  for (const kind of await names(entries)) for (const name of await names(path.join(entries, kind))) await add(path.join(entries, kind, name));

  const now = o.now.getTime();
  const staging = path.join(store.root, "tmp");
  const gone: typeof items = [];
  for (const name of await names(staging)) {
    const p = path.join(staging, name);
    const st = await fs.lstat(p).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_STAGING_MS) gone.push({ path: p, bytes: st.isDirectory() ? await treeBytes(p) : st.size, used: st.mtimeMs });
  }
  items.sort((a, b) => a.used - b.used || (a.path < b.path ? -1 : 1));
  let total = items.reduce((n, i) => n + i.bytes, 0);
  const kept: typeof items = [];
  for (const item of items) {
    const idle = now - item.used;
    const tooOld = idle > o.olderThanMs;
    const tooBig = o.maxBytes !== undefined && total > o.maxBytes && idle > IN_USE_MS;
    if (tooOld || tooBig) {
      gone.push(item);
      total -= item.bytes;
    } else kept.push(item);
  }
  if (!o.dryRun) {
    for (const item of gone) await removeItem(store, item.path);
  }
  const sum = (xs: typeof items) => ({ count: xs.length, bytes: xs.reduce((n, i) => n + i.bytes, 0) });
  return { removed: sum(gone), kept: sum(kept) };
}

async function removeItem(store: Store, p: string): Promise<void> {
  const st = await fs.lstat(p).catch(() => undefined);
  if (st?.isDirectory()) await store.removeAside(p);
  else if (st) await fs.rm(p, { force: true });
}

async function treeBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += await treeBytes(p);
    else if (e.isFile()) n += (await fs.lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return n;
}

async function names(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}
