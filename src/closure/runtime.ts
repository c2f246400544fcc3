// The runtime closure: which of the Depends closure's packages the image really needs, found the
// way Nix finds references — by looking at what the files point to — instead of trusting Depends,
// which also lists what only maintainer scripts use (adduser, debconf, perl for redis-server).
//
// A package is kept when it is asked for (or in `keep`, or `wanted`: what Cmd or a wrapper runs,
// what a build step's output points to), when a transitional package asked for declares it, or
// when a kept package
//   1. references one of its files: an ELF interpreter or needed library (resolved as ld.so
//      would), a `#!` interpreter, or a symlink target; or
//   2. declares it and it carries modules for an interpreter the kept package uses
//      (python3-starlette → python3-anyio); or
//   3. declares it and it ships no programs (libraries, data: dlopen and data files leave no trace).
// Everything else is left out, with the reason. Pure over the per-package analyses.
import * as path from "node:path";
import type { PackageAnalysis } from "./analysis.js";
import { dstValuesFor, parseLdSoConf, resolveNeeded, searchDirs } from "./ldso.js";
import { envTarget } from "./shebang.js";
import type { PathIndex } from "./pathindex.js";

/** What a package is, from its file list alone (no contents needed). */
export type PackageShape = Pick<PackageAnalysis, "programs" | "modules">;

export interface ClosureInput {
  /** Every package of the Depends closure, by name. */
  shapes: Map<string, PackageShape>;
  /** The full analysis of a package the closure visits (unpacking it if need be). */
  analyse: (name: string) => Promise<PackageAnalysis>;
  /** ld.so search directories of the image (they may grow as packages are listed). */
  dirs: () => string[];
  /** Make these packages' file lists known (adding to `shapes` and `index`); for lazy listing. */
  expand?: (names: string[]) => Promise<void>;
  /** Every package of the Depends closure, listed or not; default: the keys of `shapes`. */
  all?: string[];
  /** Declared dependencies: from → to (package names). */
  edges: [string, string][];
  roots: string[];
  /** More packages to keep, each with its reason: what Cmd or a wrapper runs, what a step's output references. */
  wanted?: [name: string, because: string][];
  keep: string[];
  exclude: string[];
  index: PathIndex;
  architecture: string;
  /** Whether a package ships no files at all once trimmed (a transitional or meta package). */
  isEmpty?: (name: string) => boolean;
  /** Packages whose generated files (what their maintainer scripts would make) are made from
   *  other packages' files: ca-certificates-java's keystore from ca-certificates' CAs. */
  madeFrom?: ReadonlyMap<string, readonly string[]>;
}

export interface Reference {
  /** Image path of the referring file. */
  file: string;
  kind: "needed" | "interpreter" | "shebang" | "symlink" | "runs";
  /** What it asks for: a library name or a path. */
  target: string;
}

export interface LeftOut {
  name: string;
  reason: string;
}

export interface ClosureResult {
  kept: string[];
  leftOut: LeftOut[];
  /** Why each kept package is there: the packages (or "root"/"keep") that pulled it in. */
  keptBecause: Map<string, string[]>;
  /** References from package files into other packages, for `cairn why`. */
  references: Map<string, { from: string; ref: Reference }[]>;
}

export const PATH_DIRS = ["usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"];

/** The ld.so search directories of an image whose packages ship these ld.so.conf.d snippets (their text). */
export function libraryDirs(ldSoConf: Iterable<string>, architecture: string): string[] {
  const conf = [...ldSoConf].flatMap((t) => parseLdSoConf(t).dirs);
  return searchDirs(architecture, [...new Set(conf)].sort());
}

export interface ResolvedRef {
  ref: Reference;
  /** Owners of what it resolved to (links passed and the file); empty when it resolved nowhere. */
  owners: string[];
}

/** Resolve every reference one file makes. */
export function fileReferences(f: PackageAnalysis["files"][number], index: PathIndex, dirs: string[], architecture = "amd64"): ResolvedRef[] {
  const out: ResolvedRef[] = [];
  const file = f.path;
  const look = (kind: Reference["kind"], target: string, p: string | undefined) => {
    const found = p ? index.lookup(p) : undefined;
    out.push({ ref: { file, kind, target }, owners: found?.type === "file" ? found.owners : [] });
  };
  if (f.elf) {
    if (f.elf.interpreter) look("interpreter", f.elf.interpreter, f.elf.interpreter);
    const origin = "/" + path.posix.dirname(file);
    for (const name of f.elf.needed) {
      const resolved = resolveNeeded(name, { ...dstValuesFor(architecture), origin, rpath: f.elf.rpath, runpath: f.elf.runpath, dirs }, { resolve: (p: string) => index.lookup(p) });
      look("needed", name, resolved);
    }
  }
  if (f.shebang) {
    const interp = f.shebang.interpreter;
    if (path.posix.basename(interp) === "env") {
      look("shebang", interp, interp);
      const prog = envTarget(f.shebang);
      if (prog) look("shebang", prog, prog.includes("/") ? prog : PATH_DIRS.map((d) => `/${d}/${prog}`).find((p) => index.lookup(p)?.type === "file"));
    } else look("shebang", interp, interp);
  }
  if (f.runs) look("runs", f.runs, f.runs);
  return out;
}

export async function runtimeClosure(input: ClosureInput): Promise<ClosureResult> {
  const { shapes, index } = input;
  const expand = input.expand ?? (async () => {});
  const exclude = new Set(input.exclude);
  const declared = new Map<string, string[]>();
  for (const [from, to] of input.edges) {
    if (!declared.has(from)) declared.set(from, []);
    declared.get(from)!.push(to);
  }
  for (const list of declared.values()) list.sort();

  const keptBecause = new Map<string, string[]>();
  const references = new Map<string, { from: string; ref: Reference }[]>();
  const queue: string[] = [];
  const want = (name: string, because: string) => {
    if (exclude.has(name) || !shapes.has(name)) return;
    const list = keptBecause.get(name);
    if (list) {
      if (!list.includes(because)) list.push(because);
      return;
    }
    keptBecause.set(name, [because]);
    queue.push(name);
  };
  const closureOf = (name: string) => {
    const seen = new Set([name]);
    const order = [name];
    for (let j = 0; j < order.length; j++) for (const d of declared.get(order[j]!) ?? []) if (!seen.has(d)) (seen.add(d), order.push(d));
    return order;
  };
  await expand([...input.roots, ...input.keep, ...(input.wanted ?? []).map(([n]) => n)]);
  for (const r of [...input.roots].sort()) want(r, "root");
  for (const k of [...input.keep].sort()) want(k, "keep");
  for (const [name, because] of input.wanted ?? []) want(name, because);
  // A transitional or meta package asked for (nginx-light → nginx, imagemagick → imagemagick-6.q16)
  // ships nothing of its own: what it declares is what the user asked for.
  const empty = [...input.roots].sort().filter((r) => input.isEmpty?.(r));
  await expand(empty.flatMap((r) => declared.get(r) ?? []));
  for (const r of empty) for (const d of declared.get(r) ?? []) want(d, r);

  // Breadth-first in a fixed order, so the reasons recorded are the same every time.
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i]!;
    // What a package points to is almost always among what it declares; only when something
    // stays unresolved are the file lists of its whole dependency closure read.
    await expand([name, ...(declared.get(name) ?? [])]);
    const a = await input.analyse(name);
    const resolveAll = () => [
      ...a.files.flatMap((f) => fileReferences(f, index, input.dirs(), input.architecture)),
      ...index.symlinksOwnedBy(name).map((link) => ({
        ref: { file: link, kind: "symlink" as const, target: index.get(link)?.linkname ?? "" },
        owners: index.lookup("/" + link)?.owners ?? [],
      })),
    ];
    let refs = resolveAll();
    // Libraries may come from anywhere below; a package script's interpreter must be a declared
    // dependency (Debian Policy 10.4), so its unresolved `#!` is not searched further. What the
    // user's files run (no declared dependencies) is looked for in the whole closure.
    if (input.expand && refs.some((r) => r.owners.length === 0 && (r.ref.kind !== "shebang" || !declared.has(name)))) {
      await expand(declared.has(name) ? closureOf(name) : (input.all ?? []));
      refs = resolveAll();
    }
    for (const { ref, owners } of refs) {
      for (const owner of owners) {
        if (owner === name) continue;
        if (!references.has(owner)) references.set(owner, []);
        references.get(owner)!.push({ from: name, ref });
        want(owner, name);
      }
    }
    for (const source of input.madeFrom?.get(name) ?? []) want(source, name);
    for (const dep of declared.get(name) ?? []) {
      const d = shapes.get(dep);
      if (!d) continue;
      if (!d.programs) want(dep, name);
      else if (d.modules.some((m) => a.uses.includes(m))) want(dep, name);
    }
  }

  const kept = [...keptBecause.keys()].sort();
  const leftOut: LeftOut[] = [];
  for (const name of [...(input.all ?? shapes.keys())].sort()) {
    if (keptBecause.has(name)) continue;
    if (exclude.has(name)) {
      leftOut.push({ name, reason: "excluded by the definition" });
      continue;
    }
    const by = [...declared].filter(([from, tos]) => tos.includes(name)).map(([from]) => from).sort();
    const keptBy = by.filter((b) => keptBecause.has(b));
    leftOut.push({
      name,
      reason: keptBy.length
        ? `declared by ${keptBy.join(", ")}, but only its programs would be used and nothing in the image runs them`
        : `only needed by packages that are left out (${by.join(", ") || "none"})`,
    });
  }
  return { kept, leftOut, keptBecause, references };
}
