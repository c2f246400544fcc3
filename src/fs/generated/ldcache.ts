// /etc/ld.so.cache as `ldconfig` (glibc 2.36, Debian bookworm) writes it, since no maintainer
// script runs ldconfig in an image. Without the cache, ld.so finds libraries in the directories of
// /etc/ld.so.conf.d only through RPATH, and Python's ctypes.util.find_library finds nothing at all
// (distroless issue #150).
//
// The format is glibc's "new" one only (ldconfig's default since 2.32), little-endian:
//   header (48 bytes): "glibc-ld.so.cache" "1.1", nlibs, len_strings, flags (2 = little-endian),
//     3 bytes of padding, extension_offset, 3 unused words;
//   nlibs entries (24 bytes): flags, key, value (offsets from the start of the file),
//     osversion (always 0 now), hwcap (0 outside glibc-hwcaps subdirectories);
//   the string table, with tail merging (a string that ends another one points into it);
//   padding to 4, then the extension directory: magic, count, {tag, flags, offset, size}, and the
//     "generator" section's text (no NUL).
// The layout and ldconfig's choices (which file names count, which key a symlink gets, the sort)
// follow glibc's elf/ldconfig.c, elf/cache.c, elf/stringtable.c and sysdeps/generic/dl-cache.h;
// `ldconfig -r ROOT -C FILE -X` on the host is the reference the tests compare bytes against.
//
// Not modelled: glibc-hwcaps/ and legacy hwcap subdirectories (tls/, x86_64/, haswell/), which
// Debian packages do not ship; the old "dir=libc6" type suffix of ld.so.conf lines.

export const LD_SO_CACHE_PATH = "etc/ld.so.cache";

/** One directory entry ldconfig looks at (see isDsoName), with the ELF facts of the file it is
 * or leads to. Only ELF shared objects (ET_DYN) belong here: ldconfig skips everything else. */
export interface LibraryEntry {
  /** The name in its directory: "libz.so.1". */
  name: string;
  /** A symlink: then class, machine and soname are those of the file it leads to. */
  link: boolean;
  /** DT_SONAME; absent when the file has none (ldconfig then uses `name`). */
  soname?: string;
  elfClass: 32 | 64;
  /** e_machine: 62 x86-64, 3 i386, 183 AArch64. */
  machine: number;
  /** DT_NEEDED and PT_INTERP: decide whether a 32-bit x86 library counts as libc6 or plain ELF. */
  needed?: readonly string[];
  interpreter?: string;
}

export interface CacheDirectory {
  /** The directory as listed (ld.so.conf or the trusted list): what the values start with. */
  path: string;
  entries: readonly LibraryEntry[];
}

export interface CacheEntry {
  /** What ld.so looks up: the soname, or the name of a development link (libfoo.so). */
  key: string;
  /** Directory + "/" + key. */
  value: string;
  flags: number;
}

const FLAG_ELF = 0x0001;
const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_X8664_LIB64 = 0x0300;
const FLAG_X8664_LIBX32 = 0x0800;
const FLAG_AARCH64_LIB64 = 0x0a00;
const EM_386 = 3, EM_X86_64 = 62, EM_AARCH64 = 183;

/** What makes a 32-bit x86 object a libc6 one rather than plain ELF (x86's ldconfig.h): one of
 * these in DT_NEEDED, or one of these interpreters. */
const LIBC6_NEEDED = new Set(["libc.so.6", "libm.so.6"]);
const LIBC6_INTERPRETERS = new Set(["/lib/ld-linux.so.2", "/libx32/ld-linux-x32.so.2", "/lib64/ld-linux-x86-64.so.2"]);

/** The ELF machines each architecture's ldconfig accepts (its sysdeps readelflib.c). */
const ARCH_FAMILY: Record<string, "x86" | "aarch64"> = { amd64: "x86", i386: "x86", arm64: "aarch64" };

/** Whether cacheEntries knows the flags of this Debian architecture's libraries. */
export function ldCacheSupports(arch: string): boolean {
  return Object.hasOwn(ARCH_FAMILY, arch);
}

/** ldconfig's flags for a library of this architecture's ldconfig, or undefined when that
 * ldconfig would reject the file (another machine). */
export function libraryFlags(arch: string, lib: Pick<LibraryEntry, "elfClass" | "machine" | "needed" | "interpreter">): number | undefined {
  const family = Object.hasOwn(ARCH_FAMILY, arch) ? ARCH_FAMILY[arch] : undefined;
  if (family === "x86") {
    if (lib.machine === EM_X86_64) return lib.elfClass === 64 ? FLAG_X8664_LIB64 | FLAG_ELF_LIBC6 : FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6;
    if (lib.machine === EM_386 && lib.elfClass === 32) {
      const libc6 = (lib.interpreter !== undefined && LIBC6_INTERPRETERS.has(lib.interpreter)) || lib.needed?.some((n) => LIBC6_NEEDED.has(n));
      return libc6 ? FLAG_ELF_LIBC6 : FLAG_ELF;
    }
  }
  if (family === "aarch64" && lib.machine === EM_AARCH64 && lib.elfClass === 64) return FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6;
  return undefined;
}

/** The file names ldconfig considers (glibc's _dl_is_dso): lib*.so*, ld-*.so*, ld.so.*, ld64.so.*;
 * without prelink's temporary files. */
export function isDsoName(name: string): boolean {
  if (/\.#prelink#(\.......)?$/.test(name)) return false;
  return ((name.startsWith("lib") || name.startsWith("ld-")) && name.includes(".so")) || name.startsWith("ld.so.") || name.startsWith("ld64.so.");
}

/**
 * The directories ldconfig scans, in its order: the ld.so.conf ones, then Debian's trusted
 * directories. `canonical` resolves a directory in the image (symlinks followed); directories
 * that do not exist are dropped, and one reached twice (with merged /usr, /usr/lib/<triplet> is
 * /lib/<triplet>) keeps the spelling that came first, as ldconfig's inode check does.
 */
export function cacheDirectories(confDirs: readonly string[], triplet: string, canonical: (dir: string) => string | undefined): { path: string; canonical: string }[] {
  const out: { path: string; canonical: string }[] = [];
  const seen = new Set<string>();
  for (const raw of [...confDirs, `/lib/${triplet}`, `/usr/lib/${triplet}`, "/lib", "/usr/lib"]) {
    const dir = raw.trim().replace(/\/+$/, "");
    if (!dir) continue;
    const c = canonical(dir);
    if (c === undefined || seen.has(c)) continue;
    seen.add(c);
    out.push({ path: dir, canonical: c });
  }
  return out;
}

/** What ldconfig records for these directories (search_dir): one entry per key and directory. */
export function cacheEntries(arch: string, dirs: readonly CacheDirectory[]): CacheEntry[] {
  const out: CacheEntry[] = [];
  for (const dir of dirs) {
    const chosen = new Map<string, { name: string; link: boolean; flags: number }>();
    // Name order stands in for readdir order; it only decides between files of one soname.
    for (const lib of [...dir.entries].sort((a, b) => compareBytes(a.name, b.name))) {
      if (!isDsoName(lib.name)) continue;
      const flags = libraryFlags(arch, lib);
      if (flags === undefined) continue;
      const soname = lib.soname ?? lib.name;
      // A link keeps its own name as key when it is the soname link or the development link
      // (libfoo.so → libfoo.so.1); any other link counts as the file it leads to.
      const link = lib.link && (lib.name === soname || (lib.name.endsWith(".so") && soname.startsWith(lib.name)));
      const key = link ? lib.name : soname;
      const old = chosen.get(key);
      if (!old) {
        chosen.set(key, { name: lib.name, link, flags });
      } else if ((!link && old.link) || (link === old.link && libcmp(old.name, lib.name) < 0)) {
        // ldconfig prefers a file to a link, else the "newer" name; a libc6 flag beats plain ELF.
        const typed = (f: number) => (f & 0xff) === FLAG_ELF_LIBC6 || (f & 0xff) === 0x0002;
        if (old.flags !== flags && ((old.flags === FLAG_ELF && typed(flags)) || (typed(old.flags) && flags === FLAG_ELF))) old.flags = flags;
        old.name = lib.name;
        old.link = link;
      }
    }
    for (const [key, lib] of chosen) out.push({ key, value: `${dir.path}/${key}`, flags: lib.flags });
  }
  return out;
}

/**
 * glibc's _dl_cache_libcmp: runs of digits compare as numbers (libfoo.so.10 after libfoo.so.9),
 * a digit sorts after any other character, other bytes compare as C's (signed) char.
 */
export function libcmp(a: string, b: string): number {
  const p = Buffer.from(a, "utf8"), q = Buffer.from(b, "utf8");
  const at = (s: Buffer, i: number) => (i < s.length ? (s[i]! > 127 ? s[i]! - 256 : s[i]!) : 0);
  const digit = (c: number) => c >= 0x30 && c <= 0x39;
  let i = 0, j = 0;
  while (at(p, i) !== 0) {
    const c1 = at(p, i), c2 = at(q, j);
    if (digit(c1)) {
      if (!digit(c2)) return 1;
      // C's int arithmetic, wrapping as the compiled code does.
      let v1 = 0, v2 = 0;
      while (digit(at(p, i))) v1 = (Math.imul(v1, 10) + at(p, i++) - 0x30) | 0;
      while (digit(at(q, j))) v2 = (Math.imul(v2, 10) + at(q, j++) - 0x30) | 0;
      if (v1 !== v2) return (v1 - v2) | 0;
    } else if (digit(c2)) {
      return -1;
    } else if (c1 !== c2) {
      return c1 - c2;
    } else {
      i++;
      j++;
    }
  }
  return at(p, i) - at(q, j);
}

/** ldconfig's order (cache.c compare): keys descending by libcmp, then higher flags first; entries
 * that compare equal keep their order (ldconfig inserts after equals: the first directory wins). */
export function sortCacheEntries(entries: readonly CacheEntry[]): CacheEntry[] {
  return [...entries].sort((a, b) => libcmp(b.key, a.key) || b.flags - a.flags);
}

const MAGIC = "glibc-ld.so.cache1.1";
const HEADER_SIZE = 48;
const ENTRY_SIZE = 24;
const FLAGS_LITTLE_ENDIAN = 2;
const EXTENSION_MAGIC = 0xeaa42174;
const EXTENSION_TAG_GENERATOR = 0;
/** The extension directory ldconfig reserves room for: header and two sections (generator and
 * glibc-hwcaps); without hwcaps the generator text starts one section earlier. */
const EXTENSION_HEADER = 8, EXTENSION_SECTION = 16;

/**
 * The cache file for these entries (sorted here). `generator` is the text of the extension
 * ldconfig fills with its own version ("Cache generated by:" in `ldconfig -p`).
 */
export function encodeLdCache(entries: readonly CacheEntry[], generator = "cairn"): Buffer {
  const sorted = sortCacheEntries(entries);
  const table = stringTable(sorted.flatMap((e) => [e.key, e.value]));
  const stringsAt = HEADER_SIZE + sorted.length * ENTRY_SIZE;
  const extensionAt = align4(stringsAt + table.bytes.length);
  const gen = Buffer.from(generator, "utf8");
  const generatorAt = extensionAt + EXTENSION_HEADER + EXTENSION_SECTION;
  const out = Buffer.alloc(generatorAt + gen.length);

  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(sorted.length, 20);
  out.writeUInt32LE(table.bytes.length, 24);
  out.writeUInt8(FLAGS_LITTLE_ENDIAN, 28);
  out.writeUInt32LE(extensionAt, 32);
  sorted.forEach((e, i) => {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    out.writeInt32LE(e.flags, at);
    out.writeUInt32LE(stringsAt + table.offsets.get(e.key)!, at + 4);
    out.writeUInt32LE(stringsAt + table.offsets.get(e.value)!, at + 8);
    // osversion and hwcap stay 0.
  });
  table.bytes.copy(out, stringsAt);
  out.writeUInt32LE(EXTENSION_MAGIC, extensionAt);
  out.writeUInt32LE(1, extensionAt + 4);
  out.writeUInt32LE(EXTENSION_TAG_GENERATOR, extensionAt + 8);
  out.writeUInt32LE(0, extensionAt + 12);
  out.writeUInt32LE(generatorAt, extensionAt + 16);
  out.writeUInt32LE(gen.length, extensionAt + 20);
  gen.copy(out, generatorAt);
  return out;
}

/** The whole cache for these directories, as ldconfig would write it. */
export function ldSoCache(arch: string, dirs: readonly CacheDirectory[], generator?: string): Buffer {
  return encodeLdCache(cacheEntries(arch, dirs), generator);
}

/**
 * glibc's string table (stringtable.c): unique strings sorted by their reversed bytes, descending,
 * a longer string before its own suffix; a string that ends the one before it shares its bytes.
 */
function stringTable(strings: readonly string[]): { bytes: Buffer; offsets: Map<string, number> } {
  const unique = [...new Set(strings)].map((s) => ({ s, b: Buffer.from(s, "utf8"), offset: 0 }));
  unique.sort((l, r) => {
    const n = Math.min(l.b.length, r.b.length);
    for (let i = 1; i <= n; i++) {
      const d = r.b[r.b.length - i]! - l.b[l.b.length - i]!;
      if (d) return d;
    }
    return r.b.length - l.b.length;
  });
  let size = 0;
  unique.forEach((cur, i) => {
    const prev = unique[i - 1];
    if (prev && prev.b.length >= cur.b.length && prev.b.subarray(prev.b.length - cur.b.length).equals(cur.b)) {
      cur.offset = prev.offset + prev.b.length - cur.b.length;
    } else {
      cur.offset = prev ? prev.offset + prev.b.length + 1 : 0;
    }
    size = cur.offset + cur.b.length + 1;
  });
  const bytes = Buffer.alloc(size);
  for (const u of unique) u.b.copy(bytes, u.offset);
  return { bytes, offsets: new Map(unique.map((u) => [u.s, u.offset])) };
}

/** What a cache file holds, as `ldconfig -p` lists it; undefined when it is not this format. */
export function parseLdCache(buf: Buffer): { entries: (CacheEntry & { osversion: number; hwcap: bigint })[]; generator?: string } | undefined {
  if (buf.length < HEADER_SIZE || buf.toString("latin1", 0, 20) !== MAGIC) return undefined;
  const n = buf.readUInt32LE(20);
  if (HEADER_SIZE + n * ENTRY_SIZE > buf.length) return undefined;
  const str = (at: number) => {
    const end = buf.indexOf(0, at);
    return buf.toString("utf8", at, end < 0 ? buf.length : end);
  };
  const entries = Array.from({ length: n }, (_, i) => {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    return { flags: buf.readInt32LE(at), key: str(buf.readUInt32LE(at + 4)), value: str(buf.readUInt32LE(at + 8)), osversion: buf.readUInt32LE(at + 12), hwcap: buf.readBigUInt64LE(at + 16) };
  });
  let generator: string | undefined;
  const ext = buf.readUInt32LE(32);
  if (ext && ext + EXTENSION_HEADER <= buf.length && buf.readUInt32LE(ext) === EXTENSION_MAGIC) {
    const count = buf.readUInt32LE(ext + 4);
    for (let i = 0; i < count && ext + EXTENSION_HEADER + (i + 1) * EXTENSION_SECTION <= buf.length; i++) {
      const s = ext + EXTENSION_HEADER + i * EXTENSION_SECTION;
      if (buf.readUInt32LE(s) === EXTENSION_TAG_GENERATOR) generator = buf.toString("utf8", buf.readUInt32LE(s + 8), buf.readUInt32LE(s + 8) + buf.readUInt32LE(s + 12));
    }
  }
  return { entries, ...(generator !== undefined ? { generator } : {}) };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
