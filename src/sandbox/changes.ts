// What a step did to its root: every path compared with what was materialised. A file whose inode
// and change time are as written is unchanged without being read; anything else is hashed.
// Ownership and mode come from fakeroot's records when the step ran under it.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { comparePaths } from "../fs/tree.js";
import type { FsEntry } from "../fs/types.js";
import { CairnError, ErrorCode } from "../errors.js";
import { S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, type FakeStat } from "./fakeroot.js";
import type { Stamp } from "./materialize.js";

export interface ScanOptions {
  /** The entries materialised before the step, by path. */
  before: Map<string, FsEntry>;
  stamps: Map<string, Stamp>;
  /** Paths that are never output (mount points, the step's own files, caches); not descended into. */
  ignore: (p: string) => boolean;
  /** Ownership and mode as the step set them, by inode (fakeroot). */
  fake?: Map<bigint, FakeStat>;
  /** Origin of the entries the step made. */
  origin: string;
}

export interface StepChanges {
  /** New or changed paths; file contents point into the scanned root. Sorted. */
  changed: FsEntry[];
  /** Paths that existed before and are gone. Sorted. */
  deleted: string[];
}

export async function scanChanges(root: string, o: ScanOptions): Promise<StepChanges> {
  const changed: FsEntry[] = [];
  const seen = new Set<string>();
  const walk = async (rel: string) => {
    for (const name of fs.readdirSync(rel ? path.join(root, rel) : root).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (o.ignore(p)) continue;
      seen.add(p);
      const abs = path.join(root, p);
      const st = fs.lstatSync(abs, { bigint: true });
      const entry = await entryOf(p, abs, st, o);
      const old = o.before.get(p);
      if (!old || !sameEntry(old, entry)) changed.push(entry);
      if (entry.type === "dir") await walk(p);
    }
  };
  await walk("");
  const deleted = [...o.before.keys()].filter((p) => !seen.has(p) && !o.ignore(p) && !ignoredAbove(p, o.ignore));
  return { changed: changed.sort((a, b) => comparePaths(a.path, b.path)), deleted: deleted.sort(comparePaths) };
}

function ignoredAbove(p: string, ignore: (p: string) => boolean): boolean {
  for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) if (ignore(p.slice(0, i))) return true;
  return false;
}

async function entryOf(p: string, abs: string, st: fs.BigIntStats, o: ScanOptions): Promise<FsEntry> {
  const fake = o.fake?.get(st.ino);
  const old = o.before.get(p);
  const stamp = o.stamps.get(p);
  const untouched = !!old && !!stamp && stamp.ino === st.ino && stamp.ctimeNs === st.ctimeNs;
  const mode = Number(fake ? BigInt(fake.mode) : st.mode);
  // Without a fakeroot record, a path as materialised keeps its owner; a new one belongs to root.
  const uid = fake ? fake.uid : untouched || (old && stamp?.ino === st.ino) ? old!.uid : 0;
  const gid = fake ? fake.gid : untouched || (old && stamp?.ino === st.ino) ? old!.gid : 0;
  const base = { path: p, mode: mode & 0o7777, uid, gid, origin: o.origin };
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return { ...base, type: "dir", size: 0 };
    case S_IFLNK:
      return { ...base, mode: 0o777, type: "symlink", size: 0, linkname: fs.readlinkSync(abs) };
    case S_IFREG: {
      if (untouched && old!.type === "file") return { ...old!, ...base, type: "file", size: old!.size, sha256: old!.sha256!, content: { kind: "path", path: abs } };
      return { ...base, type: "file", size: Number(st.size), sha256: await hashFile(abs), content: { kind: "path", path: abs } };
    }
    default:
      throw new CairnError(
        ErrorCode.STEP_OUTPUT_INVALID,
        `The step left /${p}, which is a ${kindOf(mode)}; images hold only files, directories and links.`,
        "Remove it at the end of the script (device nodes come from the container engine at run time).",
      );
  }
}

function kindOf(mode: number): string {
  const t = mode & S_IFMT;
  return t === 0o020000 ? "character device" : t === 0o060000 ? "block device" : t === 0o010000 ? "named pipe" : t === 0o140000 ? "socket" : "special file";
}

function sameEntry(a: FsEntry, b: FsEntry): boolean {
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.type === "file") return a.sha256 === b.sha256;
  if (a.type === "symlink") return a.linkname === b.linkname;
  return true;
}

async function hashFile(p: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of fs.createReadStream(p)) h.update(chunk as Buffer);
  return h.digest("hex");
}
