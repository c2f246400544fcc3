// The image's filesystem as one sorted map of path → entry. Packages, generated files and the
// user's files are merged in; two origins giving one path different contents is an error that
// names both, unless the later one is allowed to replace (dpkg's Replaces).
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "./types.js";

export class FileTree {
  private readonly byPath = new Map<string, FsEntry>();

  get size(): number {
    return this.byPath.size;
  }

  /** Every path, unsorted. */
  paths(): IterableIterator<string> {
    return this.byPath.keys();
  }

  get(path: string): FsEntry | undefined {
    return this.byPath.get(path);
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /**
   * Add an entry. Directories merge (the first one's metadata stays). Equal files and equal links
   * merge. Anything else at an existing path is a conflict, unless `replaces(existingOrigin)`
   * says the newcomer may take over that origin's files.
   */
  add(entry: FsEntry, replaces?: (origin: string) => boolean): void {
    const old = this.byPath.get(entry.path);
    if (!old) {
      this.byPath.set(entry.path, entry);
      return;
    }
    if (old.type === "dir" && entry.type === "dir") return;
    if (sameContent(old, entry)) return;
    // A directory is never replaced by a file or a link, nor the other way round: what the
    // directory holds would be left under a file, which no engine can unpack.
    if ((old.type === "dir") !== (entry.type === "dir")) {
      throw new CairnError(
        ErrorCode.FILE_CONFLICT,
        `At /${entry.path}, ${describe(entry)} would replace ${describe(old)}.`,
        entry.type === "dir" ? "Copy your folder to another path." : `Put your file inside the directory instead (a destination ending in "/" keeps the file's name), or at another path.`,
      );
    }
    if (replaces?.(old.origin)) {
      this.byPath.set(entry.path, entry);
      return;
    }
    throw new CairnError(
      ErrorCode.FILE_CONFLICT,
      `Two sources put different things at /${entry.path}: ${describe(old)} and ${describe(entry)}.`,
      "Leave one of them out of `contents`, or move your file to another path.",
    );
  }

  /**
   * Refuse an entry that lies beneath a symlink (of this tree, or of `below`: a base image's
   * paths): unpacking it would write through the link, wherever it points.
   */
  checkNoEntryBeneathLinks(below?: ReadonlyMap<string, { type: string }>): void {
    for (const e of this.byPath.values()) {
      for (let i = e.path.indexOf("/"); i > 0; i = e.path.indexOf("/", i + 1)) {
        const parent = e.path.slice(0, i);
        const own = this.byPath.get(parent);
        const link = own?.type === "symlink" ? describe(own) : !own && below?.get(parent)?.type === "symlink" ? "the base image (a link)" : undefined;
        if (!link) continue;
        const yours = e.origin.startsWith("files:") || e.origin.startsWith("step:");
        throw new CairnError(
          ErrorCode.FILE_CONFLICT,
          `/${e.path}, from ${describe(e)}, lies beneath /${parent}, a symbolic link from ${link}: unpacking the image would write it wherever that link points.`,
          yours ? "Put it at the path the link points to instead." : "The package is malformed or clashes with that link; leave one of them out of `contents`.",
        );
      }
    }
  }

  /** Replace or remove outright (for generated files that supersede package files). */
  set(entry: FsEntry): void {
    this.byPath.set(entry.path, entry);
  }

  delete(path: string): void {
    this.byPath.delete(path);
  }

  /** Every entry sorted bytewise by path (the tar order), with missing parent directories made. */
  entries(): FsEntry[] {
    this.addParents();
    return [...this.byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  private addParents(): void {
    for (const path of [...this.byPath.keys()]) {
      for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) {
        const dir = path.slice(0, i);
        if (!this.byPath.has(dir)) this.byPath.set(dir, directory(dir, "generated"));
      }
    }
  }
}

export function directory(path: string, origin: string, mode = 0o755, uid = 0, gid = 0): FsEntry {
  return { path, type: "dir", mode, uid, gid, size: 0, origin };
}

/** Bytewise order of UTF-8 paths, as tar readers and DESIGN §4 expect. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function sameContent(a: FsEntry, b: FsEntry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "file") return a.sha256 === b.sha256 && a.mode === b.mode;
  if (a.type === "symlink" || a.type === "hardlink") return a.linkname === b.linkname;
  return false;
}

function describe(e: FsEntry): string {
  const what = e.type === "symlink" ? `a link to ${e.linkname}` : e.type === "dir" ? "a directory" : e.type === "hardlink" ? `a hard link to /${e.linkname}` : `a file (sha256 ${e.sha256?.slice(0, 12)}…)`;
  const who = e.origin === "generated" ? "cairn's generated files" : e.origin.startsWith("files:") ? `your files (${e.origin.slice(6)})` : `package ${e.origin}`;
  return `${who} (${what})`;
}
