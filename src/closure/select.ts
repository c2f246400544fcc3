// Step 2½: from the Depends closure to what the image keeps. Trims each package (docs, manuals,
// translations), then — for `closure: "runtime"` — keeps only what the image's files reference
// and what its Cmd, Entrypoint and wrappers run, and checks that every program in the result finds
// its libraries and interpreter. After the build steps, `checkPrograms` checks that what the
// container starts is there.
import { analyseFile, analysePackage, shapeOf, shipsNothing, type FileRefs, type PackageAnalysis } from "./analysis.js";
import { PathIndex } from "./pathindex.js";
import { alternativesMap, configProgram, findProgram, pathOf, programCandidates, wrapperProgram, type AlternativesMap, type FoundProgram, type ProgramRoot, type RunConfig } from "./programs.js";
import { envTarget } from "./shebang.js";
import { whiteoutOf } from "../fs/whiteout.js";
import { fileReferences, libraryDirs, runtimeClosure, type ClosureResult, type PackageShape } from "./runtime.js";
import { groupWarnings, warningLine, type ClosureWarning } from "./warnings.js";
import type { UnpackedManifest } from "../debian/deb.js";
import { trimEntries } from "./trim.js";
import type { ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import type { BaseView, FsEntry } from "../fs/types.js";
import { MERGED_DIRS, mergedUsrPath } from "../fs/usrmerge.js";
import { jinfoAlternatives, postinstAlternatives } from "../fs/generated/alternatives.js";
import { BUSYBOX_PATH, busyboxApplets } from "../fs/generated/busybox.js";
import { BUNDLE_PATH, JAVA_CACERTS_PATH } from "../fs/generated/ca-bundle.js";
import type { UnpackedPackage } from "../debian/deb.js";
import type { DebianContext } from "../debian/context.js";
import { parseParagraphs } from "../debian/control.js";
import { mapLimit } from "../concurrency.js";
import { unpackPackage } from "../debian/fetch.js";
import { packagesOf, type Resolution } from "../debian/resolution.js";
import { readFile } from "node:fs/promises";
import * as path from "node:path";

/** The pseudo-package the user's own files count as. */
export const USER_FILES = "(your files)";
/** The pseudo-package the base image's files count as: always there. */
export const BASE_IMAGE = "(base image)";

/** A program the image runs, and where the whole Depends closure has it (for the error when the image does not). */
export interface RunProgram extends ProgramRoot {
  inClosure?: FoundProgram;
}

export interface Selection {
  packages: UnpackedPackage[];
  closure?: ClosureResult;
  /** Problems found in Debian's own packages that do not stop the build, one line per file. */
  warnings: string[];
  /** What Cmd/Entrypoint and the wrappers run. */
  programs: RunProgram[];
  /** The warnings and notes the check printed, in order (every selection of a session shares them), to say again when the layers are reused. */
  said: Said[];
  /** The closure's state, for what the build steps' output references. */
  session: ClosureSession;
}

export interface Said {
  level: "warn" | "info";
  text: string;
}

export interface ClosureSession {
  /** Resolve an absolute path among the files of every package of the Depends closure (listing them all). */
  locate(p: string): Promise<{ owners: string[] } | undefined>;
  /** The ELF needs and `#!` of files, resolved on that same index. */
  references(f: FileRefs): Promise<ReturnType<typeof fileReferences>>;
  /** The selection again, with more packages wanted (each with its reason); quiet about what was said before. */
  reselect(wanted: [string, string][]): Promise<Selection>;
  /** The image's ld.so search directories. */
  dirs(): string[];
  architecture: string;
}

/** The packages `roots` declare, then what those declare, and so on: one list per step, each name once. */
function levelsFrom(roots: string[], edges: [string, string][]): string[][] {
  const declared = new Map<string, string[]>();
  for (const [from, to] of edges) declared.set(from, [...(declared.get(from) ?? []), to]);
  const seen = new Set(roots);
  const levels: string[][] = [];
  for (let level = roots; level.length; ) {
    const next = [...new Set(level.flatMap((n) => declared.get(n) ?? []))].filter((n) => !seen.has(n)).sort();
    for (const n of next) seen.add(n);
    if (next.length) levels.push(next);
    level = next;
  }
  return levels;
}

export function trimPackages<P extends { manifest: UnpackedManifest }>(packages: P[], spec: ImageSpec): P[] {
  return packages.map((p) => {
    const kept = trimEntries(p.manifest.entries.map((e) => ({ path: mergedUsrPath(e.path), type: e.type, entry: e })), spec.trim);
    return { ...p, manifest: { ...p.manifest, entries: kept.map((k) => k.entry) } };
  });
}

/**
 * The packages the image keeps, unpacked and trimmed. Only packages the closure visits are
 * unpacked; the others are known by their file lists alone. `config` is the image's (base merged):
 * what it runs is kept.
 */
export async function selectPackages(spec: ImageSpec, resolution: Resolution, userEntries: FsEntry[], ctx: DebianContext, base?: BaseView, config: RunConfig = {}): Promise<Selection> {
  const allPackages = packagesOf(resolution);
  const edges = resolution.edges.map((e): [string, string] => [e.from, e.to]);
  const { roots } = resolution;
  // A package the base image already has, at the same version, is the base's to provide.
  const inBase = new Set(parseParagraphs(base?.files.get("var/lib/dpkg/status") ?? "").map((p) => `${p["Package"]} ${p["Version"]}`));
  const provided = allPackages.filter((p) => inBase.has(`${p.name} ${p.version}`));
  if (provided.length) ctx.reporter.info(`cairn: ${provided.length} packages come with the base image: ${provided.map((p) => p.name).join(", ")}`);
  const packages = allPackages.filter((p) => !inBase.has(`${p.name} ${p.version}`));
  const lockedByName = new Map(packages.map((p) => [p.name, p]));
  const user = await analyseUserFiles(userEntries);
  const all = packages.map((p) => p.name);

  // Packages are unpacked as the closure reaches them (all of them for closure: "depends").
  const index = indexOf([], userEntries);
  for (const [p, e] of base?.paths ?? []) index.add(p, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: BASE_IMAGE });
  const shapes = new Map<string, PackageShape>([[USER_FILES, { programs: true, modules: [] }]]);
  const listed = new Map<string, UnpackedPackage>();
  const confPackages: string[] = [];
  const altCandidates: { link: string; path: string; priority: number }[] = [];
  let alternatives: AlternativesMap = new Map();
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
      altCandidates.push(...(await alternativesOf(p)));
      // The applet links assemble makes (`sh`, `ls`), where no package ships the command.
      const bb = p.manifest.entries.find((e) => e.type === "file" && mergedUsrPath(e.path) === BUSYBOX_PATH);
      if (bb) for (const name of busyboxApplets(await readFile(path.join(p.dir, "files", bb.path)))) index.addFallback(`usr/bin/${name}`, { type: "symlink", linkname: "busybox", owner: p.locked.name });
    }
    alternatives = alternativesMap(altCandidates);
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

  // What the container starts and what the wrappers run: found where the engine would find it,
  // among the packages asked for first, else in the whole Depends closure.
  const cmd = configProgram(config);
  const wanted: ProgramRoot[] = [
    ...(cmd ? [cmd] : []),
    ...user.files.filter((f) => f.runs).map((f) => ({ label: `the wrapper /${f.path}`, word: f.runs!, candidates: [f.runs!] })),
  ];
  await expand([...roots, ...spec.keep]);
  const programs: RunProgram[] = [];
  // Where a program lives is nearly always close to what was asked for (redis-server's binary is
  // in redis-tools, which it declares): the declared packages are unpacked level by level until it
  // is found, not the whole closure at once — most of which the image then leaves out.
  const levels = levelsFrom([...roots, ...spec.keep], edges);
  for (const w of wanted) {
    let found = findProgram(w.candidates, index, alternatives);
    for (const level of levels) {
      if (found) break;
      await expand(level);
      found = findProgram(w.candidates, index, alternatives);
    }
    if (!found) {
      await expand(all);
      found = findProgram(w.candidates, index, alternatives);
    }
    programs.push({ ...w, ...(found ? { inClosure: found } : {}) });
  }
  const programWants = programs.flatMap((p) => (p.inClosure?.lookup.owners ?? []).filter((o) => lockedByName.has(o)).map((o): [string, string] => [o, `${p.label} runs ${p.word}`]));
  const isEmpty = (name: string) => listed.has(name) && shipsNothing(listed.get(name)!.manifest.entries.map((e) => ({ path: mergedUsrPath(e.path), type: e.type })));

  const reported = new Set<string>(); // warnings said already (a reselect says only the new ones)
  const said: Said[] = [];
  const say = (level: Said["level"], text: string) => {
    said.push({ level, text });
    ctx.reporter[level](text);
  };
  const select = async (more: [string, string][]): Promise<Selection> => {
    let keptNames: string[];
    let closure: ClosureResult | undefined;
    if (spec.closure === "runtime") {
      closure = await runtimeClosure({
        shapes, analyse, dirs: () => dirs, expand, all, edges, roots: [...roots, USER_FILES], wanted: [...programWants, ...more], madeFrom: MADE_FROM, keep: spec.keep, exclude: spec.exclude, index, architecture: spec.architecture, isEmpty,
      });
      keptNames = closure.kept.filter((n) => n !== USER_FILES);
      if (!more.length) reportLeftOut(closure, keptNames.length, packages.length, ctx);
    } else {
      await expand(all);
      const ex = new Set(spec.exclude);
      keptNames = all.filter((n) => !ex.has(n)).sort();
    }
    const kept = await mapLimit(keptNames, 2, unpack);
    const keptAnalyses = await Promise.all(keptNames.map(analyse));
    const runs = runFiles(programs, keptAnalyses, index);
    const found = checkReferences(keptNames, keptAnalyses, user, index, dirs, spec, runs);
    const fresh = found.filter((w) => !reported.has(warningLine(w)));
    for (const w of fresh) reported.add(warningLine(w));
    // What the image runs is worth a warning; what nothing runs (a module's `#!`), one note.
    for (const line of groupWarnings(fresh.filter((w) => w.run))) say("warn", line);
    const quiet = groupWarnings(fresh.filter((w) => !w.run));
    if (quiet.length) say("info", `cairn: note (nothing in the image runs these): ${quiet.slice(0, 2).join("; ")}${quiet.length > 2 ? `; and ${quiet.length - 2} more` : ""}`);
    const warnings = [...new Set(found.map(warningLine))].sort();
    return { packages: kept, ...(closure ? { closure } : {}), warnings, programs, said, session };
  };
  const session: ClosureSession = {
    async locate(p) {
      await expand(all);
      const found = index.lookup(p);
      return found?.type === "file" ? { owners: found.owners } : undefined;
    },
    async references(f) {
      await expand(all);
      return fileReferences(f, index, dirs, spec.architecture);
    },
    reselect: select,
    dirs: () => dirs,
    architecture: spec.architecture,
  };
  return select([]);
}

function reportLeftOut(closure: ClosureResult, kept: number, of: number, ctx: DebianContext): void {
  const left = closure.leftOut.filter((l) => l.name !== USER_FILES);
  if (!left.length) return;
  // The packages a kept one declared are worth a line each; what hangs only from those, one line.
  const direct = left.filter((l) => !l.reason.startsWith("only needed by"));
  const rest = left.filter((l) => l.reason.startsWith("only needed by"));
  ctx.reporter.info(`cairn: kept ${kept} of ${of} packages; left out ${left.length} that nothing in the image uses:`);
  for (const l of direct) ctx.reporter.info(`  - ${l.name}: ${l.reason}`);
  if (rest.length) ctx.reporter.info(`  - ${rest.length} more needed only by those: ${rest.map((l) => l.name).join(", ")}`);
}

/** The image paths the container runs: the programs found, and the interpreters their `#!` names. */
function runFiles(programs: RunProgram[], analyses: PackageAnalysis[], index: PathIndex): Set<string> {
  const byPath = new Map(analyses.flatMap((a) => a.files.map((f) => [f.path, f] as const)));
  const out = new Set<string>();
  let todo = programs.flatMap((p) => (p.inClosure ? [p.inClosure.lookup.path.slice(1)] : []));
  for (let hops = 0; todo.length && hops < 4; hops++) {
    for (const p of todo) out.add(p);
    todo = todo.flatMap((p) => {
      const sb = byPath.get(p)?.shebang;
      const found = sb ? index.lookup(sb.interpreter) : undefined;
      return found?.type === "file" && !out.has(found.path.slice(1)) ? [found.path.slice(1)] : [];
    });
  }
  return out;
}

/** Alternatives a package registers: literal postinst calls and Java's .jinfo files. */
async function alternativesOf(p: UnpackedPackage): Promise<{ link: string; path: string; priority: number }[]> {
  const out = p.manifest.postinst?.includes("update-alternatives") ? postinstAlternatives(p.manifest.postinst) : [];
  for (const e of p.manifest.entries) {
    if (e.type === "file" && /^(\.\/)?usr\/lib\/jvm\/\.[^/]+\.jinfo$/.test(e.path)) out.push(...jinfoAlternatives(await readFile(path.join(p.dir, "files", e.path), "utf8")));
  }
  return out;
}

/**
 * Files no package ships but cairn generates in their stead, owned by the package whose maintainer
 * script would have made them: a link into one (the JRE's lib/security/cacerts) keeps that package,
 * and with it what the file is made from.
 */
const GENERATED_OWNERS: readonly [path: string, owner: string][] = [[BUNDLE_PATH, "ca-certificates"], [JAVA_CACERTS_PATH, "ca-certificates-java"]];
const MADE_FROM: ReadonlyMap<string, readonly string[]> = new Map([["ca-certificates-java", ["ca-certificates"]]]);

/** An index holding the /usr-merge links, the files cairn generates and the user's files; packages are added as listed. */
function indexOf(packages: UnpackedPackage[], userEntries: FsEntry[]): PathIndex {
  const index = new PathIndex();
  for (const d of MERGED_DIRS) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
  for (const [p, owner] of GENERATED_OWNERS) index.add(p, { type: "file", owner });
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
    if (e.type !== "file" || !e.content) continue;
    const disk = e.content.kind === "path" ? e.content.path : undefined;
    const refs = disk ? await analyseFile(disk, e.path, e.mode) : bytesRefs(e);
    const text = refs?.shebang?.interpreter === "/bin/sh" && e.size < 65536 ? (disk ? await readFile(disk, "utf8") : e.content.kind === "bytes" ? e.content.data.toString("utf8") : "") : "";
    const runs = wrapperProgram(text);
    if (refs) files.push(runs ? { ...refs, runs } : refs);
  }
  return { files, programs: true, modules: [], uses: [], ldSoConf: [] };
}

/** A generated text (`text()`, makeWrapper) is only looked at for its `#!`. */
function bytesRefs(e: FsEntry): FileRefs | undefined {
  if (e.content?.kind !== "bytes" || !(e.mode & 0o111)) return undefined;
  const m = /^#![ \t]*(\S+)(?:[ \t]+([^\n]*?))?[ \t]*\n/.exec(e.content.data.subarray(0, 256).toString("utf8"));
  return m ? { path: e.path, shebang: { interpreter: m[1]!, ...(m[2] ? { arg: m[2] } : {}) } } : undefined;
}

/**
 * Every reference of every kept file must land in a kept file. A miss caused by cairn's closure or
 * the definition's `exclude` fails the build; a library no package of the Depends closure ships
 * at all is Debian's own choice (an optional plugin) and only warned about — unless it is one of
 * the user's files that needs it. What a wrapper runs is checked after the build steps, which may make it.
 */
function checkReferences(kept: string[], analyses: PackageAnalysis[], user: PackageAnalysis, index: PathIndex, dirs: string[], spec: ImageSpec, runs: Set<string>): ClosureWarning[] {
  const keptNames = new Set([...kept, USER_FILES, BASE_IMAGE, ""]);
  const warnings: ClosureWarning[] = [];
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
        const what = ref.kind === "needed" ? `library ${ref.target}` : ref.kind === "runs" ? `program ${ref.target}` : `interpreter ${ref.target}`;
        if (owners.length && owners.every((o) => keptNames.has(o))) continue;
        if (!owners.length && ref.kind === "needed" && own.has(ref.target)) continue;
        if (!owners.length && ref.kind === "runs") continue;
        if (owners.length) {
          const missing = owners.filter((o) => !keptNames.has(o));
          const why = missing.some((m) => spec.exclude.includes(m)) ? "excluded by the definition" : "left out of the image";
          failures.push(`/${f.path} needs ${what}, but package ${missing.join(", ")} that ships it is ${why}`);
        } else if (name === USER_FILES && !(ref.kind === "shebang" && isDependencyScript(f.path) && !runs.has(f.path))) {
          failures.push(`/${f.path} needs ${what}, which no package in the image ships`);
        } else {
          // An installed dependency's helper script (better-sqlite3's deps/download.sh, bcrypt's
          // build-all.sh) is as much someone else's as a package's file: noted, unless the image runs it.
          warnings.push({ file: f.path, pkg: name === USER_FILES ? "node_modules" : name, what, run: runs.has(f.path) });
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
  return warnings;
}

/** A file of an installed npm dependency, not of the application's own sources. */
function isDependencyScript(p: string): boolean {
  return /(^|\/)node_modules\//.test(p);
}

/** The finished image's paths as a PathIndex, owned by their origins; the base's where no whiteout hides them. */
export function imageIndex(entries: FsEntry[], base?: BaseView): PathIndex {
  const index = new PathIndex();
  const hidden = entries.flatMap((e) => whiteoutOf(e.path) ?? []);
  for (const e of entries) if (!whiteoutOf(e.path)) index.add(e.path, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: e.origin });
  const isHidden = (p: string) => hidden.some((w) => (w.target === "" ? true : p.startsWith(w.target + "/") || (!w.opaque && p === w.target)));
  for (const [p, e] of base?.paths ?? []) if (!isHidden(p)) index.add(p, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}), owner: BASE_IMAGE });
  return index;
}

/**
 * What the container starts must be in the finished image (build steps included): the program
 * Entrypoint or Cmd names, what each wrapper runs, and the interpreters of the scripts among them.
 * A miss fails the build, naming the program and the package of the Depends closure that ships it.
 */
export async function checkPrograms(entries: FsEntry[], selection: Selection, config: RunConfig, base?: BaseView): Promise<void> {
  const index = imageIndex(entries, base);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const kept = new Set(selection.packages.map((p) => p.locked.name));
  for (const program of selection.programs) {
    const found = findProgram(program.candidates, index);
    const label = program.label[0]!.toUpperCase() + program.label.slice(1);
    if (!found) {
      const where = program.inClosure;
      const pkgs = (where?.lookup.owners ?? []).filter((o) => o !== "" && o !== USER_FILES && o !== BASE_IMAGE);
      const looked = program.candidates.length > 1 ? ` (looked for ${program.candidates.join(", ")} — the image's PATH)` : "";
      if (pkgs.length) {
        const why = pkgs.some((n) => !kept.has(n)) ? "but it is left out of the image" : "but a build step removed it";
        throw new CairnError(ErrorCode.MISSING_PROGRAM, `${label} runs "${program.word}", which is not in the image; package ${pkgs.join(", ")} of the Depends closure ships ${where!.lookup.path}, ${why}.`,
          pkgs.some((n) => !kept.has(n)) ? `Take ${pkgs.join(", ")} out of \`exclude\`, or put it in \`keep\`.` : "Keep the step from deleting it, or name another program.");
      }
      throw new CairnError(ErrorCode.MISSING_PROGRAM, `${label} runs "${program.word}", which is not in the image${looked}, and no package of its Depends closure ships it.`,
        `Add the package that ships it to \`contents\` (on Debian, \`apt-file search bin/${path.posix.basename(program.word)}\` names it), or fix the name.`);
    }
    // A script's interpreter (and env's program) must be there too, or exec fails just the same.
    let at = found.lookup.path;
    for (let hops = 0; hops < 4; hops++) {
      const needs = await interpretersOf(byPath.get(at.slice(1)), config);
      let next: FoundProgram | undefined;
      for (const need of needs) {
        next = findProgram(need.candidates, index);
        if (!next) {
          throw new CairnError(ErrorCode.MISSING_PROGRAM, `${label} runs "${program.word}" (${at}), ${need.what}, which is not in the image.`,
            `Add the package that ships ${need.name} to \`contents\`.`);
        }
      }
      if (!next) break;
      at = next.lookup.path;
    }
  }
}

/** What exec needs to run a file: its ELF loader, or its `#!` interpreter (for `#!/usr/bin/env NAME`, env and NAME). */
async function interpretersOf(e: FsEntry | undefined, config: RunConfig): Promise<{ name: string; what: string; candidates: string[] }[]> {
  if (e?.type !== "file" || !e.content) return [];
  const refs = e.content.kind === "path" ? await analyseFile(e.content.path, e.path, e.mode) : bytesRefs(e);
  const loader = refs?.elf?.interpreter;
  if (loader) return [{ name: loader, what: `whose loader is ${loader}`, candidates: [loader] }];
  const sb = refs?.shebang;
  if (!sb) return [];
  const out = [{ name: sb.interpreter, what: `a script for ${sb.interpreter}`, candidates: [sb.interpreter] }];
  const target = envTarget(sb);
  if (target) out.push({ name: target, what: `a script that ${sb.interpreter} runs with ${target}`, candidates: programCandidates(target, pathOf(config.Env), "/") });
  return out;
}
