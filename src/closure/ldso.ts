// Where glibc's ld.so would find each DT_NEEDED library, over an image's filesystem rather than the
// host's. Mirrors elf/dl-load.c (_dl_map_object) of glibc 2.36 as Debian builds it:
//   a name with "/" is a path; otherwise DT_RPATH of the object and of its loaders (only when the
//   object has no DT_RUNPATH), LD_LIBRARY_PATH, the object's DT_RUNPATH, then ld.so.cache (the
//   ld.so.conf directories) and the trusted directories, unless DF_1_NODEFLIB.
// Not modelled: glibc-hwcaps/ and legacy hwcap subdirectories (x86-64-v3/, tls/), which depend on
// the CPU that runs the image; the process's working directory (assumed "/") for relative paths.

import { posix } from "node:path";
import { lstatSync, readlinkSync } from "node:fs";
import { CairnError, ErrorCode } from "../errors.js";
import type { ElfInfo } from "./elf.js";

export interface ImageFs {
  /** The entry at an absolute image path ("." and ".." allowed), following symlinks (bounded),
   * with the final resolved path; undefined when absent or neither file nor directory. */
  resolve(path: string): { path: string; type: "file" | "dir" } | undefined;
}

/** Debian architecture → multiarch triplet (dpkg-architecture -qDEB_HOST_MULTIARCH). */
const TRIPLETS: Record<string, string> = {
  amd64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
  armhf: "arm-linux-gnueabihf",
  armel: "arm-linux-gnueabi",
  i386: "i386-linux-gnu",
  ppc64el: "powerpc64le-linux-gnu",
  s390x: "s390x-linux-gnu",
  mips64el: "mips64el-linux-gnuabi64",
  riscv64: "riscv64-linux-gnu",
};

/** AT_PLATFORM, which $PLATFORM expands to, where it does not depend on the CPU model. */
const PLATFORMS: Record<string, string> = { amd64: "x86_64", arm64: "aarch64", i386: "i686" };

export function multiarchTriplet(arch: string): string | undefined {
  return Object.hasOwn(TRIPLETS, arch) ? TRIPLETS[arch] : undefined;
}

/** Values of $LIB and $PLATFORM for a Debian architecture. Debian's ld.so expands $LIB to
 * "lib/<triplet>" (seen with LD_DEBUG=libs on bookworm amd64). */
export function dstValuesFor(arch: string): { lib?: string; platform?: string } {
  const t = multiarchTriplet(arch);
  return { lib: t && `lib/${t}`, platform: Object.hasOwn(PLATFORMS, arch) ? PLATFORMS[arch] : undefined };
}

/**
 * The directories searched after RPATH/RUNPATH: the ld.so.conf directories (reached through
 * ld.so.cache, which the caller generates), then Debian's trusted directories, as
 * `ld.so --help` lists them under "System search path" (no lib64: Debian's ld.so has none).
 */
export function searchDirs(arch: string, ldSoConfDirs: string[]): string[] {
  const t = multiarchTriplet(arch);
  if (!t) {
    throw new CairnError(
      ErrorCode.DEFINITION_INVALID,
      `Unknown Debian architecture "${arch}": cannot tell where its dynamic linker looks for libraries.`,
      `Use one of: ${Object.keys(TRIPLETS).join(", ")}.`,
    );
  }
  const dirs = [...ldSoConfDirs, `/lib/${t}`, `/usr/lib/${t}`, "/lib", "/usr/lib"].map(trimSlashes);
  return [...new Set(dirs)];
}

function trimSlashes(p: string): string {
  const s = p.replace(/\/+/g, "/");
  return s.length > 1 ? s.replace(/\/$/, "") : s;
}

/**
 * One ld.so.conf file, as ldconfig reads it: "#" starts a comment; `include PATTERN...` names
 * glob patterns (relative ones are relative to the including file's directory; glob(3) order is
 * sorted) for the caller to expand and read; `hwcap` lines are ignored; any other line is one
 * directory (an old "dir=type" suffix is dropped).
 */
export function parseLdSoConf(text: string): { dirs: string[]; includes: string[] } {
  const dirs: string[] = [];
  const includes: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const m = /^(include|hwcap)[ \t]+(.*)$/i.exec(line);
    if (m && m[1] === "include") includes.push(...m[2]!.split(/[ \t]+/).filter(Boolean));
    else if (m && m[1]!.toLowerCase() === "hwcap") continue;
    else dirs.push(trimSlashes(line.replace(/=.*$/, "").trim()));
  }
  return { dirs, includes };
}

export interface DstValues {
  /** The directory of the object whose entry this is. */
  origin: string;
  /** $LIB; entries using it are dropped when unknown, as ld.so drops what it cannot expand. */
  lib?: string;
  platform?: string;
}

/** Expands $ORIGIN, $LIB, $PLATFORM (also `${...}`); undefined when a value is unknown.
 * "$ORIGINAL" is no token (glibc's is_dst wants a non-identifier character after the name). */
export function expandDst(s: string, v: DstValues): string | undefined {
  let unknown = false;
  const out = s.replace(/\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g, (_m, a, b) => {
    const name = (a ?? b) as "ORIGIN" | "LIB" | "PLATFORM";
    const value = name === "ORIGIN" ? v.origin : name === "LIB" ? v.lib : v.platform;
    if (value === undefined) unknown = true;
    return value ?? "";
  });
  return unknown ? undefined : out;
}

export interface NeededContext extends Omit<DstValues, "origin"> {
  /** The directory of the object that needs the library ($ORIGIN). */
  origin: string;
  /** The object's own DT_RPATH / DT_RUNPATH, unexpanded, as ElfInfo holds them. */
  rpath: string[];
  runpath: string[];
  /** DT_RPATH of the objects that loaded this one, up to the executable, already expanded. */
  inheritedRpath?: string[];
  /** LD_LIBRARY_PATH of the image's environment, if it sets one. */
  libraryPath?: string[];
  /** searchDirs(...) */
  dirs: string[];
  /** DF_1_NODEFLIB on the object: skip `dirs`. */
  noDefaultLib?: boolean;
}

/** Absolute, with duplicate slashes removed; ".." is left for ImageFs.resolve, which must apply
 * it after symlinks as the kernel does. Relative paths are taken from "/", the usual cwd. */
function absolute(p: string): string {
  return ("/" + p).replace(/\/+/g, "/");
}

/** Every path ld.so would try for `name`, in order. */
export function* candidates(name: string, ctx: NeededContext): Generator<string> {
  if (name.includes("$")) {
    const e = expandDst(name, ctx);
    if (e === undefined) return;
    name = e;
  }
  if (name.includes("/")) { yield absolute(name); return; }
  const expand = (list: string[]) =>
    list.flatMap((d) => {
      const e = expandDst(d, ctx);
      return e === undefined ? [] : [absolute(e)];
    });
  const lists: string[][] = [];
  if (ctx.runpath.length === 0) lists.push(expand(ctx.rpath), (ctx.inheritedRpath ?? []).map(absolute));
  lists.push(expand(ctx.libraryPath ?? []), expand(ctx.runpath));
  if (!ctx.noDefaultLib) lists.push(ctx.dirs);
  const seen = new Set<string>();
  for (const dir of lists.flat()) {
    const p = absolute(`${dir}/${name}`);
    if (!seen.has(p)) { seen.add(p); yield p; }
  }
}

/** The path ld.so would open for a DT_NEEDED `name` (the first candidate that is a file). */
export function resolveNeeded(name: string, ctx: NeededContext, fs: ImageFs): string | undefined {
  for (const p of candidates(name, ctx)) if (fs.resolve(p)?.type === "file") return p;
  return undefined;
}

/** ImageFs over a directory tree on the host; symlinks never lead out of `root` (absolute targets
 * and ".." stop at it, as in a chroot). */
export function hostImageFs(root: string): ImageFs {
  const MAX_LINKS = 40; // Linux's MAXSYMLINKS
  return {
    resolve(path) {
      let done: string[] = [];
      const todo = path.split("/").reverse();
      let links = 0;
      let isDir = true;
      while (todo.length > 0) {
        const c = todo.pop()!;
        if (c === "" || c === ".") continue;
        if (!isDir) return undefined; // a file used as a directory
        if (c === "..") { done.pop(); continue; }
        const host = posix.join(root, ...done, c);
        const st = lstatSync(host, { throwIfNoEntry: false });
        if (!st) return undefined;
        if (st.isSymbolicLink()) {
          if (++links > MAX_LINKS) return undefined;
          const target = readlinkSync(host);
          if (target.startsWith("/")) done = [];
          todo.push(...target.split("/").reverse());
          continue;
        }
        if (!st.isDirectory() && !st.isFile()) return undefined;
        isDir = st.isDirectory();
        done.push(c);
      }
      return { path: "/" + done.join("/"), type: isDir ? "dir" : "file" };
    },
  };
}

export interface Closure {
  /** Each loaded object, by the path ld.so opens (the start path for the program), → the paths of
   * what it needs in DT_NEEDED order, the program's PT_INTERP last. Canonical files: fs.resolve. */
  files: Map<string, string[]>;
  /** Needs that nothing satisfies (or that only a non-ELF file would, which ld.so rejects).
   * `by: ""` when the start path itself is absent. */
  missing: { by: string; name: string }[];
}

interface Loaded {
  path: string;
  real: string;
  info: ElfInfo;
  /** Names it answers to: the names it was loaded by and its DT_SONAME. */
  names: Set<string>;
  /** Expanded DT_RPATHs of its loaders, nearest first. */
  inherited: string[];
}

export interface ClosureOptions {
  /** Debian architecture, for $LIB and $PLATFORM. */
  arch?: string;
  libraryPath?: string[];
}

/**
 * Follows DT_NEEDED from `startPath` breadth-first, as ld.so loads them (a start that is not ELF,
 * such as a script, gives an empty closure; see shebang.ts): a name already loaded
 * (by a name it was loaded under or its soname, or the same file) is reused, libraries of the
 * wrong class or machine are passed over, and a program's PT_INTERP is loaded too.
 */
export async function closureOf(
  startPath: string,
  fs: ImageFs,
  readElf: (imagePath: string) => Promise<ElfInfo | undefined>,
  dirs: string[],
  options: ClosureOptions = {},
): Promise<Closure> {
  const files = new Map<string, string[]>();
  const missing: Closure["missing"] = [];
  const start = fs.resolve(startPath);
  if (start?.type !== "file") return { files, missing: [{ by: "", name: startPath }] };
  const main = await readElf(start.path);
  if (!main) return { files, missing };

  const dst = options.arch ? dstValuesFor(options.arch) : {};
  const infos = new Map<string, ElfInfo | undefined>();
  const infoOf = async (real: string) => {
    if (!infos.has(real)) infos.set(real, await readElf(real));
    return infos.get(real);
  };
  const loaded: Loaded[] = [];
  const add = (l: Loaded) => {
    if (l.info.soname) l.names.add(l.info.soname);
    loaded.push(l);
    files.set(l.path, []);
    return l;
  };
  const first = add({ path: startPath, real: start.path, info: main, names: new Set(), inherited: [] });
  // The kernel maps PT_INTERP; ld.so then answers to it (libc needs "ld-linux-x86-64.so.2").
  let interp: Loaded | undefined;
  if (main.interpreter) {
    const path = absolute(main.interpreter);
    const r = fs.resolve(path);
    const info = r?.type === "file" ? await infoOf(r.path) : undefined;
    if (r && info) interp = add({ path, real: r.path, info, names: new Set([main.interpreter]), inherited: [] });
    else missing.push({ by: startPath, name: main.interpreter });
  }
  const compatible = (i: ElfInfo) => i.class === main.class && i.machine === main.machine && i.endian === main.endian;

  // `loaded` grows while we walk it: that is the breadth-first order.
  for (let k = 0; k < loaded.length; k++) {
    const o = loaded[k]!;
    if (o === interp) continue; // the dynamic linker links itself
    const origin = posix.dirname(k === 0 ? o.real : o.path);
    const ownRpath = o.info.runpath.length
      ? []
      : o.info.rpath.flatMap((d) => expandDst(d, { origin, ...dst }) ?? []);
    const ctx: NeededContext = {
      origin, rpath: o.info.rpath, runpath: o.info.runpath, inheritedRpath: o.inherited,
      libraryPath: options.libraryPath, dirs, noDefaultLib: o.info.noDefaultLib, ...dst,
    };
    const deps = files.get(o.path)!;
    for (const name of o.info.needed) {
      let hit = loaded.find((l) => l.names.has(name) || l.path === name);
      if (!hit) {
        for (const p of candidates(name, ctx)) {
          const r = fs.resolve(p);
          if (r?.type !== "file") continue;
          const same = loaded.find((l) => l.real === r.path);
          if (same) { hit = same; break; }
          const info = await infoOf(r.path);
          if (!info) break; // ld.so stops with "invalid ELF header"
          if (!compatible(info)) continue;
          hit = add({ path: p, real: r.path, info, names: new Set(), inherited: [...ownRpath, ...o.inherited] });
          break;
        }
      }
      if (!hit) { missing.push({ by: o.path, name }); continue; }
      hit.names.add(name);
      deps.push(hit.path);
    }
  }
  if (interp) files.get(first.path)!.push(interp.path);
  return { files, missing };
}
