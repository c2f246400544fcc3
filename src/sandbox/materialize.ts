// From entries (metadata + where the bytes are) to a real directory a sandbox can run in. Files
// are copied (a reflink where the filesystem can), never hard-linked, when the step may write:
// an in-place edit must not reach the store's copy. Read-only roots hard-link, which is instant.
// Ownership is not applied — an unprivileged build cannot chown — the caller keeps it aside.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FsEntry } from "../fs/types.js";

/** What a path looked like right after it was written: a later scan compares against this. */
export interface Stamp {
  ino: bigint;
  /** Change time in ns: any write, chmod or rename after materialising moves it. */
  ctimeNs: bigint;
}

export interface Materialized {
  /** Host device of the root (fakeroot keys its records by device and inode). */
  dev: bigint;
  stamps: Map<string, Stamp>;
}

export function materialize(entries: FsEntry[], root: string, opts: { writable: boolean; mtime: number }): Materialized {
  fs.mkdirSync(root, { recursive: true });
  const dirs: FsEntry[] = [];
  const links: FsEntry[] = [];
  for (const e of entries) {
    const p = path.join(root, e.path);
    switch (e.type) {
      case "dir":
        // Owner-writable while filling; the real mode is set once everything inside is written.
        fs.mkdirSync(p, { recursive: true, mode: 0o755 });
        dirs.push(e);
        break;
      case "file":
        fs.mkdirSync(path.dirname(p), { recursive: true });
        // A file linked from the store keeps the store's times and 0644/0755 mode: changing
        // them would change the store's copy.
        if (!writeFile(e, p, opts.writable)) {
          fs.chmodSync(p, e.mode);
          fs.utimesSync(p, opts.mtime, opts.mtime);
        }
        break;
      case "symlink":
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.symlinkSync(e.linkname!, p);
        fs.lutimesSync(p, opts.mtime, opts.mtime);
        break;
      case "hardlink":
        links.push(e);
        break;
    }
  }
  // Hard links last: their targets may sort after them.
  for (const e of links) {
    const p = path.join(root, e.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.linkSync(path.join(root, e.linkname!), p);
  }
  // Deepest first, so setting a parent's time is not undone by its children.
  for (const e of dirs.sort((a, b) => b.path.length - a.path.length)) {
    const p = path.join(root, e.path);
    fs.chmodSync(p, e.mode);
    fs.utimesSync(p, opts.mtime, opts.mtime);
  }
  fs.utimesSync(root, opts.mtime, opts.mtime);
  const stamps = stampsOf(root, entries);
  waitPastStamps(root, stamps, opts.mtime);
  return { dev: fs.statSync(root, { bigint: true }).dev, stamps };
}

/**
 * Returns once a write would get a later change time than every stamp. Kernels before 6.13 keep
 * file times per clock tick (up to 10 ms): an in-place edit of the same size within the tick
 * that stamped the file would otherwise pass as untouched.
 */
function waitPastStamps(root: string, stamps: Map<string, Stamp>, mtime: number): void {
  let newest = 0n;
  for (const s of stamps.values()) if (s.ctimeNs > newest) newest = s.ctimeNs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  // utimes sets the root's change time to the filesystem's "now"; bounded in case the clock jumps back.
  for (let i = 0; i < 1000; i++) {
    fs.utimesSync(root, mtime, mtime);
    if (fs.statSync(root, { bigint: true }).ctimeNs > newest) return;
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** Returns whether the file was hard-linked from the store. */
function writeFile(e: FsEntry, p: string, writable: boolean): boolean {
  const c = e.content;
  if (!c) throw new Error(`cairn bug: /${e.path} has no content to write`);
  if (c.kind === "bytes") {
    fs.writeFileSync(p, c.data);
    return false;
  }
  if (!writable) {
    try {
      fs.linkSync(c.path, p);
      return true;
    } catch {
      // Another filesystem than the store's: copy.
    }
  }
  fs.copyFileSync(c.path, p, fs.constants.COPYFILE_FICLONE);
  return false;
}

function stampsOf(root: string, entries: FsEntry[]): Map<string, Stamp> {
  const stamps = new Map<string, Stamp>();
  for (const e of entries) {
    const st = fs.lstatSync(path.join(root, e.path), { bigint: true });
    stamps.set(e.path, { ino: st.ino, ctimeNs: st.ctimeNs });
  }
  return stamps;
}
