// Folding a step's changes into the image's tree. Paths the step deleted leave cairn's own layers
// outright (nothing deleted is shipped); a deleted path of the base image, whose layers are reused
// as they are, gets a whiteout. Changed paths bring their parent directories as the image had them.
import { createHash } from "node:crypto";
import { comparePaths, type FileTree } from "../fs/tree.js";
import type { FsEntry } from "../fs/types.js";
import { whiteoutOf, whiteoutPath } from "../fs/whiteout.js";
import type { StepChanges } from "../sandbox/changes.js";

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** The image as a step sees it: the base's files where the tree has none and no whiteout hides them. */
export function stepView(tree: FileTree, below: FsEntry[]): FsEntry[] {
  const own = tree.entries();
  const ownPaths = new Set(own.map((e) => e.path));
  const hidden = own.flatMap((e) => whiteoutOf(e.path)?.target ?? []);
  const visible = below.filter((e) => !ownPaths.has(e.path) && !hidden.some((h) => e.path === h || e.path.startsWith(h + "/")));
  return [...visible, ...own.filter((e) => !whiteoutOf(e.path))].sort((a, b) => comparePaths(a.path, b.path));
}

export function applyStep(tree: FileTree, changes: StepChanges, view: FsEntry[], below: FsEntry[], origin: string): void {
  const viewByPath = new Map(view.map((e) => [e.path, e]));
  const inBase = new Set(below.map((e) => e.path));
  const deleted = new Set(changes.deleted);
  for (const p of changes.deleted) {
    tree.delete(p);
    if (inBase.has(p) && !deleted.has(parentOf(p))) tree.set(whiteout(p, origin));
  }
  for (const e of changes.changed) {
    tree.set(e);
    for (let i = e.path.lastIndexOf("/"); i > 0; i = e.path.lastIndexOf("/", i - 1)) {
      const dir = e.path.slice(0, i);
      if (tree.has(dir)) break;
      const had = viewByPath.get(dir);
      if (had) tree.set({ ...had, origin });
    }
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

function whiteout(p: string, origin: string): FsEntry {
  return {
    path: whiteoutPath(p), type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, sha256: EMPTY_SHA256,
    content: { kind: "bytes", data: Buffer.alloc(0) }, origin,
  };
}
