// What ldconfig reads to build /etc/ld.so.cache — /etc/ld.so.conf and its includes, the listed and
// trusted directories, each library's ELF facts — over any view of a filesystem: the image being
// assembled, or a directory on the host (which is how the tests hold it against ldconfig itself).
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import type { ElfInfo } from "./elf.js";
import { readElfInfo } from "./elf.js";
import { hostImageFs, multiarchTriplet, parseLdSoConf } from "./ldso.js";
import { cacheDirectories, isDsoName, ldCacheSupports, ldSoCache, type CacheDirectory, type LibraryEntry } from "../fs/generated/ldcache.js";

export interface LibraryView {
  /** An absolute path with symlinks resolved; undefined when it leads nowhere. */
  resolve(path: string): { path: string; type: "file" | "dir" } | undefined;
  /** The entries of a directory given by its resolved path. */
  list(dir: string): { name: string; type: "file" | "dir" | "symlink" | "hardlink" }[];
  /** ELF facts of a file given by its resolved path; undefined when it is not ELF. */
  elf(file: string): Promise<ElfInfo | undefined>;
  /** Text of a file given by its resolved path. */
  text(file: string): Promise<string>;
}

/** What Debian's /etc/ld.so.conf (from libc-bin) says, for images that leave libc-bin out. */
export const DEFAULT_LD_SO_CONF = "include /etc/ld.so.conf.d/*.conf\n";
const MAX_INCLUDE_DEPTH = 16;

/** The directories /etc/ld.so.conf lists, includes expanded in glob(3)'s sorted order. */
export async function ldSoConfDirs(view: LibraryView): Promise<string[]> {
  const dirs: string[] = [];
  const read = async (file: string, text: string, depth: number): Promise<void> => {
    const conf = parseLdSoConf(text);
    dirs.push(...conf.dirs);
    if (depth >= MAX_INCLUDE_DEPTH) return;
    for (const pattern of conf.includes) {
      const absolute = pattern.startsWith("/") ? pattern : posix.join(posix.dirname(file), pattern);
      for (const match of expandGlob(view, absolute)) {
        const r = view.resolve(match);
        if (r?.type === "file") await read(match, await view.text(r.path), depth + 1);
      }
    }
  };
  const conf = view.resolve("/etc/ld.so.conf");
  await read("/etc/ld.so.conf", conf?.type === "file" ? await view.text(conf.path) : DEFAULT_LD_SO_CONF, 0);
  return dirs;
}

/**
 * /etc/ld.so.cache for the filesystem in `view`, or undefined when cairn does not know the
 * architecture's library flags. `generator` is the text ldconfig would put its version in.
 */
export async function scanLdSoCache(view: LibraryView, arch: string, generator?: string): Promise<Buffer | undefined> {
  const triplet = multiarchTriplet(arch);
  if (!triplet || !ldCacheSupports(arch)) return undefined;
  const dirs = cacheDirectories(await ldSoConfDirs(view), triplet, (d) => {
    const r = view.resolve(d);
    return r?.type === "dir" ? r.path : undefined;
  });
  const scanned: CacheDirectory[] = [];
  for (const dir of dirs) scanned.push({ path: dir.path, entries: await libraries(view, dir.canonical) });
  return ldSoCache(arch, scanned, generator);
}

async function libraries(view: LibraryView, dir: string): Promise<LibraryEntry[]> {
  const out: LibraryEntry[] = [];
  for (const e of view.list(dir)) {
    if (e.type === "dir" || !isDsoName(e.name)) continue;
    const target = view.resolve(`${dir}/${e.name}`);
    if (target?.type !== "file") continue; // dangling, or a directory (hwcap subdirectories: not modelled)
    const info = await view.elf(target.path);
    if (!info || info.type !== "dyn" || info.malformed) continue;
    out.push({ name: e.name, link: e.type === "symlink", ...(info.soname !== undefined ? { soname: info.soname } : {}), elfClass: info.class, machine: info.machine, needed: info.needed, ...(info.interpreter !== undefined ? { interpreter: info.interpreter } : {}) });
  }
  return out;
}

/** Paths matching a glob pattern (`*`, `?`, `[...]` within one component), sorted bytewise. */
function expandGlob(view: LibraryView, pattern: string): string[] {
  let found = ["/"];
  for (const part of pattern.split("/").filter(Boolean)) {
    const next: string[] = [];
    for (const base of found) {
      if (!/[*?[]/.test(part)) {
        next.push(posix.join(base, part));
        continue;
      }
      const dir = view.resolve(base);
      if (dir?.type !== "dir") continue;
      const re = globRegExp(part);
      for (const e of view.list(dir.path)) if (!e.name.startsWith(".") && re.test(e.name)) next.push(posix.join(base, e.name));
    }
    found = next;
  }
  return found.filter((p) => view.resolve(p)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function globRegExp(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = part.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = part.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** A LibraryView of a directory on the host taken as the root (as `ldconfig -r ROOT` sees it). */
export function hostLibraryView(root: string): LibraryView {
  const fs = hostImageFs(root);
  const host = (p: string) => posix.join(root, p);
  return {
    resolve: (p) => fs.resolve(p),
    list: (dir) =>
      readdirSync(host(dir)).map((name) => {
        const st = lstatSync(host(`${dir}/${name}`));
        return { name, type: st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file" };
      }),
    elf: (file) => readElfInfo(host(file)),
    text: async (file) => readFileSync(host(file), "utf8"),
  };
}
