// A step's or derivation's output through the registry store: with --store-push, its files go up
// as one tar blob beside its signed record; a machine with a trusted store takes both instead of
// running the step, and checks every file against the record's sha256 before using it.
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import type { FsEntry } from "../fs/types.js";
import { readLayer } from "../image/flatten.js";
import { writeTar, type TarEntry } from "../image/tar.js";
import { outputIntact, persistOutput, removeTree } from "./sandbox-io.js";
import type { StepContext } from "./context.js";

const TREE_TAR = "application/vnd.cairn.store.tree.v1.tar";

interface SharedOutput<R> {
  record: R;
  /** The output's regular files as a tar, by path. */
  tar: { hex: string; size: number };
}

/** With --store-push: the output's files as one tar, and the record naming them, to the registry store. */
export async function shareOutput(ctx: StepContext, kind: "derivation" | "step", key: string, record: unknown, files: readonly FsEntry[], treeDir: string): Promise<void> {
  if (!ctx.remote?.pushing || (await ctx.remote.hasEntry(kind, key))) return;
  const regular = files.filter((e) => e.type === "file").sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: TarEntry[] = regular.map((e) => ({
    path: e.path, type: "file", mode: e.mode, uid: 0, gid: 0, mtime: 0, size: e.size,
    content: () => createReadStream(path.join(treeDir, "files", e.path)),
  }));
  const { hex, size } = await ctx.store.writeBlobStream(writeTar(entries));
  const value: SharedOutput<unknown> = { record, tar: { hex, size } };
  await ctx.remote.putEntry(kind, key, value, [{ hex, size, mediaType: TREE_TAR }], ctx.store);
}

/**
 * The output from the registry store, placed in the local store as if the step had run here:
 * undefined when the store has no trusted record for `key`, or its files do not match it.
 */
export async function sharedOutput<R>(ctx: StepContext, kind: "derivation" | "step", key: string, treeKey: string, filesOf: (record: R) => FsEntry[], what: string): Promise<R | undefined> {
  const remote = ctx.remote;
  const value = await remote?.getEntry<SharedOutput<R>>(kind, key);
  if (!remote || !value?.tar || typeof value.tar.hex !== "string" || !/^[0-9a-f]{64}$/.test(value.tar.hex)) return undefined;
  if (!(await ctx.store.hasBlob(value.tar.hex)) && !(await remote.fetchBlob(value.tar.hex, ctx.store, `the output of ${what}`))) return undefined;
  const work = await ctx.store.tempPath();
  try {
    const wanted = new Map(filesOf(value.record).filter((e) => e.type === "file").map((e) => [e.path, e]));
    const placed: FsEntry[] = [];
    await readLayer({ uncompressed: () => ctx.store.openBlob(value.tar.hex) }, async (e, content) => {
      const entry = wanted.get(e.path);
      if (!entry || e.type !== "file") return;
      const to = path.join(work, e.path);
      await fs.mkdir(path.dirname(to), { recursive: true });
      await pipeline(content, createWriteStream(to));
      placed.push({ ...entry, content: { kind: "path", path: to } });
    });
    if (placed.length !== wanted.size) return undefined;
    const dir = await persistOutput(ctx.store, treeKey, placed);
    // Every file against the sha256 the signed record gives it; a mismatch takes the tree out again.
    if (!(await outputIntact(ctx, treeKey, dir, [...wanted.values()], what))) return undefined;
    await ctx.store.putEntry(kind, key, value.record);
    ctx.reporter.info(`cairn: ${what}: its output from ${remote.label} (${wanted.size} files)`);
    return value.record;
  } finally {
    removeTree(work);
  }
}
