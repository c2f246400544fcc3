// Which files of an image use which packages at run time: ELF programs and libraries through
// their DT_NEEDED sonames and PT_INTERP, scripts through their #! line. The layers are read once
// more (only ELF files are held whole, for their dynamic section); the rest is pure lookup.
import { posix } from "node:path";
import { parseElf } from "../closure/elf.js";
import { envTarget, parseShebang, SHEBANG_PROBE_BYTES } from "../closure/shebang.js";
import { readLayer } from "../image/flatten.js";
import type { ImageView } from "../image/types.js";
import type { FinalFile, InspectedImage } from "./model.js";

export interface FileUse {
  /** Path in the image, without leading "/". */
  path: string;
  /** DT_NEEDED sonames. */
  needed: string[];
  /** PT_INTERP of an ELF file (the dynamic loader). */
  interpreter?: string;
  /** A script's #! interpreter; for `#!/usr/bin/env NAME`, NAME as env would look it up. */
  shebang?: string;
}

export interface FileReference {
  /** The file that uses the package (with leading "/"). */
  path: string;
  /** Its DT_NEEDED sonames that the package provides. */
  needed: string[];
  /** Its PT_INTERP, when the package provides it (the dynamic loader). */
  interpreter?: string;
  /** Its #! interpreter, when the package provides it. */
  shebang?: string;
  /** Symlinks and hard links in the image that lead to the file (/usr/bin/redis-server). */
  aliases: string[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Reads every regular file of the final filesystem that starts with ELF magic or "#!". */
export async function scanFileUses(source: ImageView, image: InspectedImage): Promise<FileUse[]> {
  const uses: FileUse[] = [];
  for (const [index, layer] of source.layers.entries()) {
    await readLayer(layer, async (e, content) => {
      const path = e.path;
      const final = image.files.get(path);
      if (e.type !== "file" || final?.layer !== index || final.kind !== "file") return;
      const chunks: Buffer[] = [];
      let held = 0;
      let kind: "elf" | "script" | "other" | undefined;
      for await (const c of content) {
        if (kind === "other" || (kind === "script" && held >= SHEBANG_PROBE_BYTES)) continue;
        chunks.push(c);
        held += c.length;
        if (kind === undefined && held >= 4) {
          const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          kind = ELF_MAGIC.every((b, i) => head[i] === b) ? "elf" : head[0] === 0x23 && head[1] === 0x21 ? "script" : "other";
        }
      }
      const bytes = Buffer.concat(chunks);
      if (kind === "elf") {
        const elf = parseElf(bytes);
        if (elf && (elf.needed.length || elf.interpreter)) uses.push({ path, needed: elf.needed, ...(elf.interpreter ? { interpreter: elf.interpreter } : {}) });
      } else if (kind === "script" && e.mode & 0o111) {
        const s = parseShebang(bytes);
        if (s) uses.push({ path, needed: [], shebang: envTarget(s) ?? s.interpreter });
      }
    });
  }
  return uses.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The files that use `pkg`, leaving out the package's own files. */
export function referencesTo(image: InspectedImage, uses: FileUse[], pkg: string): FileReference[] {
  const sonames = new Map<string, string[]>();
  for (const p of image.files.keys()) {
    const base = posix.basename(p);
    if (/\.so(\.|$)/.test(base)) (sonames.get(base) ?? sonames.set(base, []).get(base)!).push(p);
  }
  const searchPath = pathDirs(image);
  const owned = (p: string | undefined) => p !== undefined && ownersOf(image.files, p).includes(pkg);
  const aliases = symlinksTo(image.files);
  const out: FileReference[] = [];
  for (const u of uses) {
    if (image.files.get(u.path)?.package === pkg) continue;
    const needed = u.needed.filter((so) => (sonames.get(so) ?? []).some(owned));
    const interpreter = u.interpreter && owned(u.interpreter) ? u.interpreter : undefined;
    let shebang: string | undefined;
    if (u.shebang) {
      const found = u.shebang.includes("/") ? u.shebang : searchPath.map((d) => `${d}/${u.shebang}`).find((p) => resolveInImage(image.files, p));
      if (owned(found)) shebang = u.shebang;
    }
    if (needed.length || interpreter || shebang) {
      out.push({ path: `/${u.path}`, needed, ...(interpreter ? { interpreter } : {}), ...(shebang ? { shebang } : {}), aliases: (aliases.get(u.path) ?? []).map((a) => `/${a}`) });
    }
  }
  return out;
}

/** The packages owning a path and every symlink passed on the way to it. */
export function ownersOf(files: Map<string, FinalFile>, p: string): string[] {
  const r = resolveInImage(files, p);
  if (!r) return [];
  return [...new Set([...r.via, r.path].map((q) => files.get(q)?.package).filter((x): x is string => !!x))];
}

/**
 * Where a path leads in the image, symlinks followed in every component. The model keeps link
 * targets without their leading "/", so a target is read as relative when that names something,
 * else from the root.
 */
export function resolveInImage(files: Map<string, FinalFile>, p: string, budget = { hops: 40 }): { path: string; via: string[] } | undefined {
  const todo = p.split("/").filter(Boolean);
  const done: string[] = [];
  while (todo.length) {
    const c = todo.shift()!;
    if (c === ".") continue;
    if (c === "..") { done.pop(); continue; }
    const here = [...done, c].join("/");
    const f = files.get(here);
    if (f?.kind === "symlink" && f.linkname !== undefined) {
      // One budget for every branch tried: a loop tried both ways must not double at each hop.
      if (--budget.hops < 0) return undefined;
      for (const start of [[...done, ...f.linkname.split("/")], f.linkname.split("/")]) {
        const r = resolveInImage(files, normalise([...start, ...todo]).join("/"), budget);
        if (r) return { path: r.path, via: [here, ...r.via] };
      }
      return undefined;
    }
    done.push(c);
  }
  const path = done.join("/");
  return files.has(path) ? { path, via: [] } : undefined;
}

function normalise(parts: string[]): string[] {
  const out: string[] = [];
  for (const s of parts) {
    if (!s || s === ".") continue;
    if (s === "..") out.pop();
    else out.push(s);
  }
  return out;
}

/** Regular file → the symlinks and hard links that lead to it (a layer stores equal files once,
 * as hard links: redis-check-rdb is redis-check-aof, and redis-server a symlink to it). */
function symlinksTo(files: Map<string, FinalFile>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [p, f] of files) {
    if (f.kind !== "symlink" && f.kind !== "hardlink") continue;
    let r = f.kind === "hardlink" ? f.linkname : resolveInImage(files, p)?.path;
    const hop = r === undefined ? undefined : files.get(r);
    if (hop?.kind === "hardlink") r = hop.linkname;
    if (r !== undefined && files.get(r)?.kind === "file") (out.get(r) ?? out.set(r, []).get(r)!).push(p);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** The image's PATH (its config's Env), else Debian's default. */
function pathDirs(image: InspectedImage): string[] {
  const env = (image.config.config?.["Env"] as string[] | undefined) ?? [];
  const value = env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  return value.split(":").filter(Boolean).map((d) => d.replace(/^\/+/, ""));
}
