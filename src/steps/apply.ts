// Folding a step's changes into the image's tree. Paths the step deleted leave cairn's own layers
// outright (nothing deleted is shipped); a deleted path of the base image, whose layers are reused
// as they are, gets a whiteout. Changed paths bring their parent directories as the image had them.
// What the changes reference is followed into the image's closure (stepReferences).
import { createHash } from "node:crypto";
import { comparePaths, type FileTree } from "../fs/tree.js";
import type { BaseView, FsEntry } from "../fs/types.js";
import { whiteoutOf, whiteoutPath } from "../fs/whiteout.js";
import type { StepChanges } from "../sandbox/changes.js";
import * as path from "node:path";
import { analyseFile } from "../closure/analysis.js";
import type { PathIndex } from "../closure/pathindex.js";
import { fileReferences } from "../closure/runtime.js";
import { CairnError, ErrorCode } from "../errors.js";
import { GENERATED, type UnpackedPackage } from "../fs/assemble.js";
import { BASE_IMAGE, imageIndex, USER_FILES, type ClosureSession, type Selection } from "../closure/select.js";
import type { StepContext } from "./context.js";

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

export interface StepOutput {
  kind: string;
  changes: StepChanges;
}

/**
 * What the steps' output references — a symlink's target, a `#!` interpreter, an ELF's loader and
 * libraries — must be in the image, as Nix's reference scan makes it so: a package of the image's
 * Depends closure that ships it is wanted (the returned list, with reasons). A file only a step's
 * tools ship fails the build: the tools are there while the step runs and never in the image, so
 * the link would dangle or the script would not start, and only at run time.
 */
export async function stepReferences(outputs: StepOutput[], tree: FileTree, base: BaseView | undefined, session: ClosureSession, tools: (kind: string) => Promise<FsEntry[]>): Promise<[string, string][]> {
  const image = imageIndex(tree.entries(), base);
  const wanted: [string, string][] = [];
  const toolIndex = new Map<string, PathIndex>();
  const inTools = async (kind: string, look: (index: PathIndex) => string[]) => {
    if (!toolIndex.has(kind)) toolIndex.set(kind, imageIndex(await tools(kind)));
    return look(toolIndex.get(kind)!).filter((o) => o && o !== GENERATED);
  };
  const packages = (owners: string[]) => owners.filter((o) => o && o !== USER_FILES && o !== BASE_IMAGE);
  for (const { kind, changes } of outputs) {
    for (const e of changes.changed) {
      // Only what the step made and is still there; a later step may have replaced it.
      const now = tree.get(e.path);
      if (!now || now.origin !== e.origin || now.sha256 !== e.sha256 || now.linkname !== e.linkname) continue;
      const because = `${kind}'s /${e.path}`;
      if (e.type === "symlink") {
        if (image.lookup("/" + e.path)) continue;
        const target = path.posix.resolve("/", path.posix.dirname("/" + e.path), e.linkname!);
        const owners = packages((await session.locate(target))?.owners ?? []);
        if (owners.length) wanted.push(...owners.map((o): [string, string] => [o, because]));
        else {
          const tool = await inTools(kind, (t) => t.lookup(target)?.owners ?? []);
          if (tool.length) throw toolOnly(kind, e.path, `links to ${target}`, tool);
        }
        continue;
      }
      if (e.type !== "file" || e.content?.kind !== "path") continue;
      const refs = await analyseFile(e.content.path, e.path, e.mode);
      if (!refs) continue;
      const here = fileReferences(refs, image, session.dirs(), session.architecture);
      if (here.every((r) => r.owners.length)) continue;
      const there = await session.references(refs);
      for (const [i, r] of here.entries()) {
        if (r.owners.length) continue;
        const owners = packages(there[i]?.owners ?? []);
        if (owners.length) {
          wanted.push(...owners.map((o): [string, string] => [o, because]));
          continue;
        }
        const tool = await inTools(kind, (t) => fileReferences(refs, t, session.dirs(), session.architecture)[i]?.owners ?? []);
        const what = r.ref.kind === "needed" ? `needs library ${r.ref.target}` : `runs ${r.ref.target}`;
        if (tool.length) throw toolOnly(kind, e.path, what, tool);
      }
    }
  }
  return wanted;
}

function toolOnly(kind: string, file: string, what: string, tools: string[]): CairnError {
  const names = [...new Set(tools)].sort();
  return new CairnError(
    ErrorCode.STEP_REFERENCES_TOOL,
    `/${file}, which ${kind} made, ${what}, which only the step's tool package ${names.join(", ")} ships: a step's tools are there while it runs, never in the image.`,
    `Add ${names.map((n) => `pkgs("${n}")`).join(", ")} to \`contents\`, or change the script so its output does not point there.`,
  );
}

/**
 * The selection and tree once the steps' output references are in: the packages they point to
 * are added, the tree assembled again with them and the steps' recorded changes applied over it
 * (the steps are not run again: what they made does not depend on packages they never saw).
 */
export async function followStepOutputs(
  outputs: StepOutput[], tree: FileTree, selection: Selection, below: FsEntry[], base: BaseView | undefined,
  tools: (kind: string) => Promise<FsEntry[]>, reassemble: (packages: UnpackedPackage[]) => Promise<FileTree>, ctx: StepContext,
): Promise<{ selection: Selection; tree: FileTree }> {
  if (!outputs.length) return { selection, tree };
  const kept = new Set(selection.packages.map((p) => p.locked.name));
  const wanted = (await stepReferences(outputs, tree, base, selection.session, tools)).filter(([n]) => !kept.has(n));
  if (!wanted.length) return { selection, tree };
  const next = await selection.session.reselect(wanted);
  const now = new Set(next.packages.map((p) => p.locked.name));
  const missing = wanted.find(([n]) => !now.has(n));
  if (missing) {
    throw new CairnError(ErrorCode.MISSING_REFERENCE, `${missing[1]} points into package ${missing[0]}, which is excluded by the definition.`, `Take ${missing[0]} out of \`exclude\`, or change the step.`);
  }
  const added = [...now].filter((n) => !kept.has(n)).sort();
  ctx.reporter.info(`cairn: the steps' output references ${added.length} more package${added.length > 1 ? "s" : ""}, now in the image: ${added.join(", ")}`);
  const again = await reassemble(next.packages);
  for (const { kind, changes } of outputs) {
    const view = stepView(again, below);
    applyStep(again, changes, view, below, `step:${kind}`);
  }
  return { selection: next, tree: again };
}
