// Step 2½: from the Depends closure to what the image keeps. Trims each package (docs, manuals,
// translations), then — for `closure: "runtime"` — keeps only what the image's files reference,
// and checks that every program in the result finds its libraries and interpreter.
import { open } from "node:fs/promises";
import { analysePackage, type FileRefs, type PackageAnalysis } from "../closure/analysis.js";
import { readElfInfo } from "../closure/elf.js";
import { PathIndex } from "../closure/pathindex.js";
import { fileReferences, libraryDirs, runtimeClosure, type ClosureResult } from "../closure/runtime.js";
import { parseShebang } from "../closure/shebang.js";
import { trimEntries } from "../closure/trim.js";
import type { ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { MERGED_DIRS, mergedUsrPath } from "../fs/usrmerge.js";
import type { UnpackedPackage } from "./assemble.js";
import type { BuildContext } from "./context.js";

/** The pseudo-package the user's own files count as. */
export const USER_FILES = "(your files)";

export interface Selection {
  packages: UnpackedPackage[];
  closure?: ClosureResult;
  /** Problems found in Debian's own packages that do not stop the build. */
  warnings: string[];
}

export function trimPackages(packages: UnpackedPackage[], spec: ImageSpec): UnpackedPackage[] {
  return packages.map((p) => {
    const kept = trimEntries(p.manifest.entries.map((e) => ({ path: mergedUsrPath(e.path), type: e.type, entry: e })), spec.trim);
    return { ...p, manifest: { ...p.manifest, entries: kept.map((k) => k.entry) } };
  });
}

export async function selectPackages(spec: ImageSpec, packages: UnpackedPackage[], userEntries: FsEntry[], edges: [string, string][], roots: string[], ctx: BuildContext): Promise<Selection> {
  const analyses = new Map<string, PackageAnalysis>();
  for (const p of packages) {
    // The analysis covers the whole .deb; what trimming removed refers to nothing in the image.
    const a = await analysePackage(p, ctx.store);
    const present = new Set(p.manifest.entries.map((e) => mergedUsrPath(e.path)));
    analyses.set(p.locked.name, { ...a, files: a.files.filter((f) => present.has(f.path)) });
  }
  const index = indexOf(packages, userEntries);
  const user = await analyseUserFiles(userEntries);

  let kept = packages;
  let closure: ClosureResult | undefined;
  if (spec.closure === "runtime") {
    const all = new Map(analyses);
    all.set(USER_FILES, user);
    closure = runtimeClosure({ analyses: all, edges, roots: [...roots, USER_FILES], keep: spec.keep, exclude: spec.exclude, index, architecture: spec.architecture });
    const keep = new Set(closure.kept);
    kept = packages.filter((p) => keep.has(p.locked.name));
    const left = closure.leftOut.filter((l) => l.name !== USER_FILES);
    if (left.length) {
      // The packages a kept one declared are worth a line each; what hangs only from those, one line.
      const direct = left.filter((l) => !l.reason.startsWith("only needed by"));
      const rest = left.filter((l) => l.reason.startsWith("only needed by"));
      ctx.reporter.info(`cairn: kept ${kept.length} of ${packages.length} packages; left out ${left.length} that nothing in the image uses:`);
      for (const l of direct) ctx.reporter.info(`  - ${l.name}: ${l.reason}`);
      if (rest.length) ctx.reporter.info(`  - ${rest.length} more needed only by those: ${rest.map((l) => l.name).join(", ")}`);
    }
  } else if (spec.exclude.length) {
    const ex = new Set(spec.exclude);
    kept = packages.filter((p) => !ex.has(p.locked.name));
  }
  const warnings = checkReferences(kept, analyses, user, index, spec);
  for (const w of warnings.slice(0, 5)) ctx.reporter.info(`cairn: warning: ${w}`);
  if (warnings.length > 5) ctx.reporter.info(`cairn: warning: … and ${warnings.length - 5} more like these`);
  return { packages: kept, ...(closure ? { closure } : {}), warnings };
}

/** Every path of the candidate packages and the user's files, with the /usr-merge links. */
function indexOf(packages: UnpackedPackage[], userEntries: FsEntry[]): PathIndex {
  const index = new PathIndex();
  for (const d of MERGED_DIRS) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
  for (const p of packages) {
    for (const e of p.manifest.entries) {
      const path = mergedUsrPath(e.path);
      index.add(path, { type: e.type, ...(e.linkname ? { linkname: e.type === "hardlink" ? mergedUsrPath(e.linkname) : e.linkname } : {}), owner: p.locked.name });
    }
  }
  for (const e of userEntries) index.add(e.path, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: USER_FILES });
  return index;
}

async function analyseUserFiles(entries: FsEntry[]): Promise<PackageAnalysis> {
  const files: FileRefs[] = [];
  for (const e of entries) {
    if (e.type !== "file" || e.content?.kind !== "path") continue;
    const head = await readHead(e.content.path);
    if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
      const info = await readElfInfo(e.content.path);
      if (info) files.push({ path: e.path, elf: { ...(info.interpreter ? { interpreter: info.interpreter } : {}), needed: info.needed, rpath: info.rpath, runpath: info.runpath } });
    } else if (head[0] === 0x23 && head[1] === 0x21 && e.mode & 0o111) {
      const sb = parseShebang(head);
      if (sb) files.push({ path: e.path, shebang: sb });
    }
  }
  return { files, programs: true, modules: [], uses: [], ldSoConf: [] };
}

/**
 * Every reference of every kept file must land in a kept file. A miss caused by cairn's closure or
 * the definition's `exclude` fails the build; a library no package of the Depends closure ships
 * at all is Debian's own choice (an optional plugin) and only warned about — unless it is one of
 * the user's files that needs it.
 */
function checkReferences(kept: UnpackedPackage[], analyses: Map<string, PackageAnalysis>, user: PackageAnalysis, index: PathIndex, spec: ImageSpec): string[] {
  const keptNames = new Set([...kept.map((p) => p.locked.name), USER_FILES, ""]);
  const dirs = libraryDirs([...kept.map((p) => analyses.get(p.locked.name)!)], spec.architecture);
  const warnings: string[] = [];
  const failures: string[] = [];
  const sources: [string, PackageAnalysis][] = [...kept.map((p) => [p.locked.name, analyses.get(p.locked.name)!] as [string, PackageAnalysis]), [USER_FILES, user]];
  for (const [name, a] of sources) {
    for (const f of a.files) {
      for (const { ref, owners } of fileReferences(f, index, dirs, spec.architecture)) {
        const what = ref.kind === "needed" ? `library ${ref.target}` : `interpreter ${ref.target}`;
        if (owners.length && owners.every((o) => keptNames.has(o))) continue;
        if (owners.length) {
          const missing = owners.filter((o) => !keptNames.has(o));
          const why = missing.some((m) => spec.exclude.includes(m)) ? "excluded by the definition" : "left out of the image";
          failures.push(`/${f.path} needs ${what}, but package ${missing.join(", ")} that ships it is ${why}`);
        } else if (name === USER_FILES) {
          failures.push(`/${f.path} needs ${what}, which no package in the image ships`);
        } else {
          warnings.push(`/${f.path} (${name}) needs ${what}, which no package of its Depends closure ships`);
        }
      }
    }
  }
  if (failures.length) {
    throw new CairnError(
      ErrorCode.MISSING_REFERENCE,
      `${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more: ${failures.slice(1, 4).join("; ")}${failures.length > 4 ? "; …" : ""})` : ""}.`,
      "Add the package to `contents` or `keep`, or take it out of `exclude`.",
    );
  }
  return [...new Set(warnings)].sort();
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(256);
    const { bytesRead } = await fh.read(buf, 0, 256, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
