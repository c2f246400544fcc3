// Step 2½: from the Depends closure to what the image keeps. Trims each package (docs, manuals,
// translations), then — for `closure: "runtime"` — keeps only what the image's files reference,
// and checks that every program in the result finds its libraries and interpreter.
import { analyseFile, analysePackage, shapeOf, type FileRefs, type PackageAnalysis } from "../closure/analysis.js";
import { PathIndex } from "../closure/pathindex.js";
import { fileReferences, libraryDirs, runtimeClosure, type ClosureResult, type PackageShape } from "../closure/runtime.js";
import type { UnpackedManifest } from "../debian/deb.js";
import { trimEntries } from "../closure/trim.js";
import type { ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { MERGED_DIRS, mergedUsrPath } from "../fs/usrmerge.js";
import type { UnpackedPackage } from "./assemble.js";
import type { BuildContext } from "./context.js";
import type { BaseImage } from "./base.js";
import { parseParagraphs } from "../debian/control.js";
import { mapLimit, unpackPackage } from "./fetch.js";
import type { LockedPackage } from "../debian/lockfile.js";

/** The pseudo-package the user's own files count as. */
export const USER_FILES = "(your files)";
/** The pseudo-package the base image's files count as: always there. */
export const BASE_IMAGE = "(base image)";

export interface Selection {
  packages: UnpackedPackage[];
  closure?: ClosureResult;
  /** Problems found in Debian's own packages that do not stop the build. */
  warnings: string[];
}

export function trimPackages<P extends { manifest: UnpackedManifest }>(packages: P[], spec: ImageSpec): P[] {
  return packages.map((p) => {
    const kept = trimEntries(p.manifest.entries.map((e) => ({ path: mergedUsrPath(e.path), type: e.type, entry: e })), spec.trim);
    return { ...p, manifest: { ...p.manifest, entries: kept.map((k) => k.entry) } };
  });
}

/**
 * The packages the image keeps, unpacked and trimmed. Only packages the closure visits are
 * unpacked; the others are known by their file lists alone.
 */
export async function selectPackages(spec: ImageSpec, allPackages: LockedPackage[], userEntries: FsEntry[], edges: [string, string][], roots: string[], ctx: BuildContext, base?: BaseImage): Promise<Selection> {
  // A package the base image already has, at the same version, is the base's to provide.
  const inBase = new Set(parseParagraphs(base?.files.get("var/lib/dpkg/status") ?? "").map((p) => `${p["Package"]} ${p["Version"]}`));
  const provided = allPackages.filter((p) => inBase.has(`${p.name} ${p.version}`));
  if (provided.length) ctx.reporter.info(`cairn: ${provided.length} packages come with the base image: ${provided.map((p) => p.name).join(", ")}`);
  const packages = allPackages.filter((p) => !inBase.has(`${p.name} ${p.version}`));
  const lockedByName = new Map(packages.map((p) => [p.name, p]));
  const user = await analyseUserFiles(userEntries);

  // Packages are unpacked as the closure reaches them (all of them for closure: "depends").
  const index = indexOf([], userEntries);
  for (const [p, e] of base?.paths ?? []) index.add(p, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: BASE_IMAGE });
  const shapes = new Map<string, PackageShape>([[USER_FILES, { programs: true, modules: [] }]]);
  const listed = new Map<string, UnpackedPackage>();
  const confPackages: string[] = [];
  const expand = async (names: string[]) => {
    const todo = [...new Set(names)].filter((n) => !listed.has(n) && lockedByName.has(n));
    if (!todo.length) return;
    // Unpacked at once rather than listed: most packages the closure looks at, it keeps, and
    // listing first would decompress them twice.
    for (const p of await mapLimit(todo, 2, unpack)) {
      listed.set(p.locked.name, p);
      addToIndex(index, p);
      shapes.set(p.locked.name, shapeOf(p.manifest.entries.map((e) => mergedUsrPath(e.path))));
      // ld.so.conf.d snippets widen the library search path; the few packages that ship one are read.
      if (p.manifest.entries.some((e) => /^etc\/ld\.so\.conf\.d\/[^/]+\.conf$/.test(e.path))) confPackages.push(p.locked.name);
    }
    for (const n of confPackages) ldSoConf.set(n, (await analyse(n)).ldSoConf);
    dirs = libraryDirs([...ldSoConf.keys()].sort().flatMap((n) => ldSoConf.get(n)!), spec.architecture);
  };
  const ldSoConf = new Map<string, string[]>();
  let dirs = libraryDirs([], spec.architecture);

  const unpacked = new Map<string, Promise<UnpackedPackage>>();
  const unpack = (name: string) => {
    if (!unpacked.has(name)) {
      // The unpacked manifest has each file's sha256, which a listing lacks; trim it the same way.
      unpacked.set(name, unpackPackage(lockedByName.get(name)!, ctx).then((u) => trimPackages([u], spec)[0]!));
    }
    return unpacked.get(name)!;
  };
  const analyses = new Map<string, PackageAnalysis>();
  const analyse = async (name: string): Promise<PackageAnalysis> => {
    if (name === USER_FILES) return user;
    const done = analyses.get(name);
    if (done) return done;
    const pkg = await unpack(name);
    // The analysis covers the whole .deb; what trimming removed refers to nothing in the image.
    const a = await analysePackage(pkg, ctx.store);
    const present = new Set(pkg.manifest.entries.map((e) => mergedUsrPath(e.path)));
    const result = { ...a, files: a.files.filter((f) => present.has(f.path)) };
    analyses.set(name, result);
    return result;
  };

  let keptNames: string[];
  let closure: ClosureResult | undefined;
  const all = packages.map((p) => p.name);
  if (spec.closure === "runtime") {
    closure = await runtimeClosure({
      shapes, analyse, dirs: () => dirs, expand, all, edges, roots: [...roots, USER_FILES], keep: spec.keep, exclude: spec.exclude, index, architecture: spec.architecture,
    });
    keptNames = closure.kept.filter((n) => n !== USER_FILES);
    const left = closure.leftOut.filter((l) => l.name !== USER_FILES);
    if (left.length) {
      // The packages a kept one declared are worth a line each; what hangs only from those, one line.
      const direct = left.filter((l) => !l.reason.startsWith("only needed by"));
      const rest = left.filter((l) => l.reason.startsWith("only needed by"));
      ctx.reporter.info(`cairn: kept ${keptNames.length} of ${packages.length} packages; left out ${left.length} that nothing in the image uses:`);
      for (const l of direct) ctx.reporter.info(`  - ${l.name}: ${l.reason}`);
      if (rest.length) ctx.reporter.info(`  - ${rest.length} more needed only by those: ${rest.map((l) => l.name).join(", ")}`);
    }
  } else {
    await expand(all);
    const ex = new Set(spec.exclude);
    keptNames = all.filter((n) => !ex.has(n)).sort();
  }
  const kept = await mapLimit(keptNames, 2, unpack);
  const keptAnalyses = await Promise.all(keptNames.map(analyse));
  const warnings = checkReferences(keptNames, keptAnalyses, user, index, dirs, spec);
  for (const w of warnings.slice(0, 5)) ctx.reporter.info(`cairn: warning: ${w}`);
  if (warnings.length > 5) ctx.reporter.info(`cairn: warning: … and ${warnings.length - 5} more like these`);
  return { packages: kept, ...(closure ? { closure } : {}), warnings };
}

/** An index holding the /usr-merge links and the user's files; packages are added as listed. */
function indexOf(packages: UnpackedPackage[], userEntries: FsEntry[]): PathIndex {
  const index = new PathIndex();
  for (const d of MERGED_DIRS) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
  for (const p of packages) addToIndex(index, p);
  for (const e of userEntries) index.add(e.path, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: USER_FILES });
  return index;
}

function addToIndex(index: PathIndex, p: UnpackedPackage): void {
  for (const e of p.manifest.entries) {
    const path = mergedUsrPath(e.path);
    index.add(path, { type: e.type, ...(e.linkname ? { linkname: e.type === "hardlink" ? mergedUsrPath(e.linkname) : e.linkname } : {}), owner: p.locked.name });
  }
}

async function analyseUserFiles(entries: FsEntry[]): Promise<PackageAnalysis> {
  const files: FileRefs[] = [];
  for (const e of entries) {
    if (e.type !== "file" || e.content?.kind !== "path") continue;
    const refs = await analyseFile(e.content.path, e.path, e.mode);
    if (refs) files.push(refs);
  }
  return { files, programs: true, modules: [], uses: [], ldSoConf: [] };
}

/**
 * Every reference of every kept file must land in a kept file. A miss caused by cairn's closure or
 * the definition's `exclude` fails the build; a library no package of the Depends closure ships
 * at all is Debian's own choice (an optional plugin) and only warned about — unless it is one of
 * the user's files that needs it.
 */
function checkReferences(kept: string[], analyses: PackageAnalysis[], user: PackageAnalysis, index: PathIndex, dirs: string[], spec: ImageSpec): string[] {
  const keptNames = new Set([...kept, USER_FILES, BASE_IMAGE, ""]);
  const warnings: string[] = [];
  const failures: string[] = [];
  const sources: [string, PackageAnalysis][] = [...kept.map((n, i) => [n, analyses[i]!] as [string, PackageAnalysis]), [USER_FILES, user]];
  for (const [name, a] of sources) {
    // A library the same package ships outside the search path is loaded by its path first
    // (the JRE's libjava loads server/libjvm.so), and ld.so then matches it by name.
    const own = new Set(a.files.filter((f) => f.elf).map((f) => f.path.slice(f.path.lastIndexOf("/") + 1)));
    for (const f of a.files) {
      // SysV init scripts are for an init system no container runs; their /bin/sh is not missed.
      if (f.path.startsWith("etc/init.d/") && !f.elf) continue;
      for (const { ref, owners } of fileReferences(f, index, dirs, spec.architecture)) {
        const what = ref.kind === "needed" ? `library ${ref.target}` : `interpreter ${ref.target}`;
        if (owners.length && owners.every((o) => keptNames.has(o))) continue;
        if (!owners.length && ref.kind === "needed" && own.has(ref.target)) continue;
        if (owners.length) {
          const missing = owners.filter((o) => !keptNames.has(o));
          const why = missing.some((m) => spec.exclude.includes(m)) ? "excluded by the definition" : "left out of the image";
          failures.push(`/${f.path} needs ${what}, but package ${missing.join(", ")} that ships it is ${why}`);
        } else if (name === USER_FILES) {
          failures.push(`/${f.path} needs ${what}, which no package in the image ships`);
        } else {
          warnings.push(`/${f.path} (${name}) needs ${what}, which none of the packages it depends on ships`);
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
