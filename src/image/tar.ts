// The deterministic tar writer for image layers. Hand-written ustar rather than tar-stream's packer,
// so every byte is ours: tar-stream fills uname/gname/devmajor its own way and names PAX headers
// after the entry, and any change there would change every layer's diffID.
//
// Rules (DESIGN.md §4): entries arrive sorted bytewise by path and unique; ustar headers, with a PAX
// extended header only when ustar cannot say it (long or non-ASCII path/linkname, numbers too big
// for their octal field); empty uname/gname; directories end in "/"; two zero blocks at the end.
// Output comes in fixed CHUNK-sized pieces whatever the sources yield, so it is memory-flat and the
// chunk boundaries are a function of the bytes alone.

export interface TarEntry {
  /** No leading "/" or "./"; directories without a trailing "/". */
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink";
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Files: exact content length. */
  size?: number;
  /** Symlinks: the target as is. Hardlinks: the path of an earlier file entry. */
  linkname?: string;
  /** Files: opened lazily, must yield exactly `size` bytes. */
  content?: () => AsyncIterable<Uint8Array>;
}

const BLOCK = 512;
/** What writeTar yields at a time: big enough that a 40 MB archive is a few dozen writes. */
export const TAR_CHUNK = 1024 * 1024;
/** File pieces at least this big are passed through rather than copied (createReadStream's are 64 KiB, blobs' 1 MiB). */
const DIRECT = 64 * 1024;
/** The name of every PAX extended header: constant, so it never leaks a pid or an entry name. */
export const PAX_HEADER_NAME = "PaxHeader";

const enc = new TextEncoder();

/** Bytewise comparison of UTF-8 encodings (not UTF-16 code units, which order astral chars differently). */
export function sortTarPaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Serialise entries as a tar stream. Throws (a bug in the caller) on unsorted, duplicate or inconsistent entries. */
export async function* writeTar(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Uint8Array> {
  const out = new Chunker(TAR_CHUNK);
  let prev: Uint8Array | undefined;
  const files = new Set<string>();
  for await (const e of entries) {
    const pathBytes = checkEntry(e);
    if (prev && Buffer.compare(prev, pathBytes) >= 0) {
      throw new Error(`tar entries out of order or duplicated: "${e.path}" after "${Buffer.from(prev).toString("utf8")}"`);
    }
    prev = pathBytes;
    if (e.type === "hardlink" && !files.has(e.linkname!)) {
      throw new Error(`tar hardlink "${e.path}" points to "${e.linkname}", which is not an earlier file entry`);
    }
    if (e.type === "file") files.add(e.path);
    yield* out.push(headerBlocks(e));
    if (e.type === "file") {
      const size = e.size!;
      let n = 0;
      if (e.content) {
        for await (const chunk of e.content()) {
          n += chunk.length;
          if (n > size) break;
          // A big piece of a file goes out as it is, not copied into a chunk of its own.
          if (chunk.length >= DIRECT) {
            yield* out.flush();
            yield chunk;
          } else yield* out.push(chunk);
        }
      }
      if (n !== size) throw new Error(`tar entry "${e.path}": content gave ${n > size ? "more than" : n} bytes, size says ${size}`);
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) yield* out.push(new Uint8Array(pad));
    }
  }
  yield* out.push(new Uint8Array(2 * BLOCK));
  yield* out.flush();
}

function checkEntry(e: TarEntry): Uint8Array {
  const p = e.path;
  if (!p || p.startsWith("/") || p.endsWith("/") || p.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(`tar entry path "${p}" is not normalised (no leading "/" or "./", no trailing "/", no empty, "." or ".." parts)`);
  }
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) throw new Error(`tar entry "${p}": mode ${e.mode} is not permission bits`);
  for (const [k, v] of [["uid", e.uid], ["gid", e.gid], ["mtime", e.mtime]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`tar entry "${p}": ${k} ${v} is not a non-negative integer`);
  }
  if (e.type === "file") {
    if (!Number.isSafeInteger(e.size) || e.size! < 0) throw new Error(`tar entry "${p}": a file needs a size`);
    if (e.size! > 0 && !e.content) throw new Error(`tar entry "${p}": a non-empty file needs content`);
  } else if (e.size) {
    throw new Error(`tar entry "${p}": only files have a size`);
  }
  if ((e.type === "symlink" || e.type === "hardlink") !== !!e.linkname) {
    throw new Error(`tar entry "${p}": ${e.linkname ? "only links have" : "a link needs"} a linkname`);
  }
  return enc.encode(p);
}

const TYPEFLAG = { file: "0", hardlink: "1", symlink: "2", dir: "5" } as const;

/** The header block(s) for one entry: an optional PAX header + its records, then the ustar header. */
export function headerBlocks(e: TarEntry): Uint8Array {
  const name = e.type === "dir" ? e.path + "/" : e.path;
  const link = e.linkname ?? "";
  const size = e.type === "file" ? e.size! : 0;
  const pax: [string, string][] = [];

  const split = splitUstarName(name);
  if (!split) pax.push(["path", name]);
  if (!isAscii(link) || enc.encode(link).length > 100) pax.push(["linkpath", link]);
  // Octal fields: 7 digits for mode/uid/gid, 11 for size/mtime; beyond that only PAX can say it.
  if (e.uid > 0o7777777) pax.push(["uid", String(e.uid)]);
  if (e.gid > 0o7777777) pax.push(["gid", String(e.gid)]);
  if (size > 0o77777777777) pax.push(["size", String(size)]);
  if (e.mtime > 0o77777777777) pax.push(["mtime", String(e.mtime)]);

  const fields: UstarFields = {
    name: split ? split.name : asciiFallback(name, 100),
    prefix: split ? split.prefix : "",
    mode: e.mode,
    uid: e.uid > 0o7777777 ? 0 : e.uid,
    gid: e.gid > 0o7777777 ? 0 : e.gid,
    size: size > 0o77777777777 ? 0 : size,
    mtime: e.mtime > 0o77777777777 ? 0 : e.mtime,
    typeflag: TYPEFLAG[e.type],
    linkname: pax.some(([k]) => k === "linkpath") ? asciiFallback(link, 100) : link,
  };
  const header = ustarHeader(fields);
  if (!pax.length) return header;

  pax.sort(([a], [b]) => (a < b ? -1 : 1)); // fixed record order
  const body = enc.encode(pax.map(([k, v]) => paxRecord(k, v)).join(""));
  const paxHeader = ustarHeader({
    name: PAX_HEADER_NAME, prefix: "", mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, typeflag: "x", linkname: "",
  });
  const padded = new Uint8Array(Math.ceil(body.length / BLOCK) * BLOCK);
  padded.set(body);
  return concat([paxHeader, padded, header]);
}

/** "<len> key=value\n" where len counts the whole record, its own digits included. */
export function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restLen = enc.encode(rest).length;
  let len = restLen + 1;
  while (String(len).length + restLen !== len) len = String(len).length + restLen;
  return `${len}${rest}`;
}

/** Split a path into ustar name (≤100 bytes) and prefix (≤155 bytes) at a "/", or null if it can't be (or isn't ASCII). */
export function splitUstarName(p: string): { name: string; prefix: string } | null {
  if (!isAscii(p)) return null;
  if (p.length <= 100) return { name: p, prefix: "" };
  // The shortest prefix that leaves a name of ≤100 bytes; the name may not be empty.
  for (let i = p.indexOf("/"); i !== -1 && i <= 155; i = p.indexOf("/", i + 1)) {
    if (p.length - i - 1 <= 100 && i + 1 < p.length) return { name: p.slice(i + 1), prefix: p.slice(0, i) };
  }
  return null;
}

interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

/** One 512-byte ustar header. Offsets per POSIX.1-1988 (pax(1), "ustar Interchange Format"). */
export function ustarHeader(f: UstarFields): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, 0, 100, f.name);
  putOctal(b, 100, 8, f.mode);
  putOctal(b, 108, 8, f.uid);
  putOctal(b, 116, 8, f.gid);
  putOctal(b, 124, 12, f.size);
  putOctal(b, 136, 12, f.mtime);
  b.fill(0x20, 148, 156); // the checksum is computed with its own field as 8 spaces
  putString(b, 156, 1, f.typeflag);
  putString(b, 157, 100, f.linkname);
  putString(b, 257, 6, "ustar"); // "ustar\0"
  putString(b, 263, 2, "00");
  // uname (265) and gname (297) stay empty: names are resolved from the image's own /etc/passwd.
  putOctal(b, 329, 8, 0); // devmajor
  putOctal(b, 337, 8, 0); // devminor
  putString(b, 345, 155, f.prefix);
  let sum = 0;
  for (const x of b) sum += x;
  putOctal(b, 148, 7, sum); // six digits, NUL, and the eighth byte stays a space (as GNU tar writes it)
  return b;
}

function putString(b: Uint8Array, off: number, len: number, s: string): void {
  const bytes = enc.encode(s);
  if (bytes.length > len) throw new Error(`tar header field at ${off}: "${s}" is longer than ${len} bytes`);
  b.set(bytes, off);
}

/** Zero-padded octal, (len - 1) digits and a NUL. */
function putOctal(b: Uint8Array, off: number, len: number, n: number): void {
  const s = n.toString(8).padStart(len - 1, "0");
  if (s.length > len - 1) throw new Error(`tar header field at ${off}: ${n} does not fit in ${len - 1} octal digits`);
  putString(b, off, len - 1, s);
  b[off + len - 1] = 0;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** What old readers see when the real value is in a PAX record: ASCII, non-ASCII as "_", truncated. */
function asciiFallback(s: string, max: number): string {
  return s.replace(/[^\x00-\x7f]/g, "_").slice(0, max);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, off), (off += p.length);
  return out;
}

/** Re-cuts a byte stream into pieces of exactly `size` bytes (the last one shorter). */
export class Chunker {
  private buf: Uint8Array | undefined;
  private n = 0;
  constructor(private readonly size: number) {}
  *push(data: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < data.length) {
      // Allocated when needed: a flush between big pieces then costs no buffer.
      const buf = (this.buf ??= new Uint8Array(this.size));
      const take = Math.min(this.size - this.n, data.length - off);
      buf.set(data.subarray(off, off + take), this.n);
      this.n += take;
      off += take;
      if (this.n === this.size) {
        yield buf;
        this.buf = undefined; // the consumer may keep the chunk it was given
        this.n = 0;
      }
    }
  }
  *flush(): Generator<Uint8Array> {
    if (this.n) yield this.buf!.subarray(0, this.n);
    this.buf = undefined;
    this.n = 0;
  }
}
