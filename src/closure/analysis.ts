// What each file of a package refers to (ELF interpreter and needed libraries, `#!` lines) and
// what kind of package it is (programs, interpreter modules, plain data). Computed once per .deb
// and cached by its sha256: a package's contents never change.
import { open } from "node:fs/promises";
import * as path from "node:path";
import type { UnpackedPackage } from "../debian/deb.js";
import { mergedUsrPath } from "../fs/usrmerge.js";
import type { Store } from "../store/store.js";
import { readElfInfo } from "./elf.js";
import { parseShebang } from "./shebang.js";

/** Bumped when the analysis changes, so cached analyses are redone. */
const ANALYSIS_FORMAT = 2;

export interface FileRefs {
  /** Image path (after the /usr merge), no leading "/". */
  path: string;
  elf?: { interpreter?: string; needed: string[]; rpath: string[]; runpath: string[] };
  /** Only for executable files. */
  shebang?: { interpreter: string; arg?: string };
  /** The program a makeWrapper script runs (only the user's files are read for it). */
  runs?: string;
}

export interface PackageAnalysis {
  files: FileRefs[];
  /** Ships something to run: files in a bin directory, or ELF executables. */
  programs: boolean;
  /** Interpreters whose module directories it fills (python, perl, ...). */
  modules: string[];
  /** Interpreters its own files run under or embed. */
  uses: string[];
  /** ld.so.conf.d snippets it ships: their text. */
  ldSoConf: string[];
}

const MODULE_DIRS: [RegExp, string][] = [
  [/^usr\/lib\/python3(\.\d+)?\//, "python"],
  [/^usr\/share\/perl5?\//, "perl"],
  [/^usr\/lib\/[^/]+-linux-[^/]+\/perl(5|-base)?\//, "perl"],
  [/^usr\/(lib|share)\/ruby\//, "ruby"],
  [/^usr\/lib\/[^/]+-linux-[^/]+\/ruby\//, "ruby"],
  [/^usr\/share\/rubygems-integration\//, "ruby"],
  [/^usr\/(share|lib)\/nodejs\//, "node"],
  [/^usr\/lib\/[^/]+-linux-[^/]+\/nodejs\//, "node"],
  [/^usr\/share\/java\//, "java"],
  [/^usr\/lib\/jvm\//, "java"],
  [/^usr\/share\/lua\//, "lua"],
  [/^usr\/lib\/[^/]+-linux-[^/]+\/lua\//, "lua"],
  [/^usr\/(share|lib)\/tcltk\//, "tcl"],
];

/** The interpreter family a program belongs to, by its name (python3.11 → python). */
export function interpreterFamily(program: string): string | undefined {
  const b = path.posix.basename(program);
  if (/^python[23]?(\.\d+)?$/.test(b)) return "python";
  if (/^perl(5[.\d]*)?$/.test(b)) return "perl";
  if (/^ruby[\d.]*$/.test(b)) return "ruby";
  if (b === "node" || b === "nodejs") return "node";
  if (b === "java") return "java";
  if (/^lua[\d.]*$/.test(b)) return "lua";
  if (/^(tclsh|wish)[\d.]*$/.test(b)) return "tcl";
  return undefined;
}

const EMBEDDED = [
  [/^libpython3/, "python"], [/^libperl/, "perl"], [/^libruby/, "ruby"], [/^libnode/, "node"], [/^libjvm/, "java"], [/^liblua/, "lua"], [/^libtcl/, "tcl"],
] as const;

const BIN_DIR = /^usr\/(local\/)?(s?bin|games)\//;

/** Programs and interpreter modules, judged from paths alone (a file list is enough). */
export function shapeOf(paths: Iterable<string>): { programs: boolean; modules: string[] } {
  let programs = false;
  const modules = new Set<string>();
  for (const p of paths) {
    if (BIN_DIR.test(p)) programs = true;
    for (const [re, family] of MODULE_DIRS) if (re.test(p)) modules.add(family);
  }
  return { programs, modules: [...modules].sort() };
}

/** Packaging metadata and documentation: what a transitional package ships besides nothing. */
const PACKAGING = /^usr\/share\/(doc|doc-base|bug|lintian)\//;

/**
 * A transitional or meta package (nginx-light, imagemagick): nothing but directories, its
 * copyright and packaging metadata. What it declares is what whoever asked for it wants.
 */
export function shipsNothing(entries: Iterable<{ path: string; type: string }>): boolean {
  for (const e of entries) if (e.type !== "dir" && !PACKAGING.test(e.path)) return false;
  return true;
}

/** What one file refers to: an ELF's interpreter and libraries, or an executable script's `#!`. */
export async function analyseFile(diskPath: string, imagePath: string, mode: number): Promise<FileRefs | undefined> {
  const head = await readHead(diskPath, 256);
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
    const info = await readElfInfo(diskPath);
    if (!info) return undefined;
    return { path: imagePath, elf: { ...(info.interpreter ? { interpreter: info.interpreter } : {}), needed: info.needed, rpath: info.rpath, runpath: info.runpath } };
  }
  if (head[0] === 0x23 && head[1] === 0x21 && mode & 0o111) {
    const sb = parseShebang(head);
    return sb ? { path: imagePath, shebang: sb } : undefined;
  }
  return undefined;
}

export async function analysePackage(pkg: UnpackedPackage, store: Store): Promise<PackageAnalysis> {
  const key = `${ANALYSIS_FORMAT}-${pkg.locked.sha256}`;
  const cached = await store.getEntry<PackageAnalysis>("analysis", key);
  if (cached) return cached;
  const files: FileRefs[] = [];
  const modules = new Set<string>();
  const uses = new Set<string>();
  const ldSoConf: string[] = [];
  let programs = false;
  for (const e of pkg.manifest.entries) {
    const p = mergedUsrPath(e.path);
    for (const [re, family] of MODULE_DIRS) if (re.test(p)) modules.add(family);
    if (e.type === "symlink" || e.type === "hardlink") {
      if (BIN_DIR.test(p)) programs = true;
      continue;
    }
    if (e.type !== "file") continue;
    if (BIN_DIR.test(p)) programs = true;
    const disk = path.join(pkg.dir, "files", e.path);
    const refs = await analyseFile(disk, p, e.mode);
    if (refs?.elf) {
      if (refs.elf.interpreter) programs = true;
      const family = interpreterFamily(p);
      if (family && refs.elf.interpreter) uses.add(family);
      for (const n of refs.elf.needed) for (const [re, fam] of EMBEDDED) if (re.test(n)) uses.add(fam);
      // The interpreter's own library (libnode, libpython3.x) loads its modules itself: libnode
      // reads node-acorn's acorn.js at every start.
      for (const [re, fam] of EMBEDDED) if (re.test(path.posix.basename(p))) uses.add(fam);
      files.push(refs);
    } else if (refs?.shebang) {
      const sb = refs.shebang;
      const family = interpreterFamily(sb.interpreter) ?? (path.posix.basename(sb.interpreter) === "env" && sb.arg ? interpreterFamily(sb.arg.split(/\s+/).filter((a) => !a.startsWith("-"))[0] ?? "") : undefined);
      if (family) uses.add(family);
      files.push(refs);
    } else if (/^etc\/ld\.so\.conf\.d\/[^/]+\.conf$/.test(p)) {
      ldSoConf.push((await readHead(disk, 65536)).toString("utf8"));
    }
  }
  for (const m of modules) uses.add(m);
  const analysis: PackageAnalysis = { files, programs, modules: [...modules].sort(), uses: [...uses].sort(), ldSoConf };
  await store.putEntry("analysis", key, analysis);
  return analysis;
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
