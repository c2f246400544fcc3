// What an ELF file asks of the dynamic linker: its PT_INTERP and the DT_NEEDED / DT_RPATH /
// DT_RUNPATH / DT_SONAME entries of its dynamic segment. Only the few byte ranges that hold them
// are read, so a 2 MB libc or a 20 MB libjvm costs a handful of small reads.
//
// The parser is written once, as a generator that asks for byte ranges; `parseElf` answers from a
// buffer, `readElfInfoFrom` / `readElfInfo` from a file.

import { open } from "node:fs/promises";

export type ElfType = "exec" | "dyn" | "rel" | "core" | "other";

export interface ElfInfo {
  class: 32 | 64;
  endian: "le" | "be";
  /** e_machine (62 = x86-64, 183 = AArch64, 3 = i386, 40 = ARM, ...). */
  machine: number;
  type: ElfType;
  /** PT_INTERP: the program interpreter the kernel loads (`/lib64/ld-linux-x86-64.so.2`). */
  interpreter?: string;
  /** DT_NEEDED, in file order (which is ld.so's load order). */
  needed: string[];
  /** DT_RPATH split on ":", unexpanded (`$ORIGIN/../lib`); [] when absent. */
  rpath: string[];
  /** DT_RUNPATH split on ":", unexpanded; [] when absent. */
  runpath: string[];
  soname?: string;
  /** DF_1_NODEFLIB: ld.so skips ld.so.cache and the default directories for this object's needs. */
  noDefaultLib?: true;
  /** The file is cut short or inconsistent; the other fields hold what could be read. */
  malformed?: true;
}

/** Bytes worth reading up front: the ELF header and, for ordinary files, the program headers and
 * PT_INTERP (glibc's loader itself starts with 832 bytes). */
export const ELF_PROBE_BYTES = 4096;

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_SONAME = 14, DT_RPATH = 15;
const DT_RUNPATH = 29, DT_FLAGS_1 = 0x6ffffffb, DF_1_NODEFLIB = 0x800;
/** No real dynamic segment comes near this; it bounds what garbage can make us read. */
const MAX_DYNAMIC_BYTES = 1 << 20;
const MAX_PH_ENTSIZE = 1024;
/** Longer than any real soname or search path; bounds the reads for an unterminated string. */
const MAX_STRING_BYTES = 1 << 16;

interface Range { offset: number; length: number }
type Steps<T> = Generator<Range, T, Uint8Array>;

class Malformed extends Error {}

/** Fixed-width reads in the file's byte order; throws Malformed past the end. */
class Fields {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly le: boolean, private readonly is64: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number): number { this.check(at, 2); return this.view.getUint16(at, this.le); }
  u32(at: number): number { this.check(at, 4); return this.view.getUint32(at, this.le); }
  /** An Elf32_Addr/Off or Elf64_Addr/Off/Xword as a safe integer. */
  word(at: number): number {
    if (!this.is64) return this.u32(at);
    this.check(at, 8);
    const v = this.view.getBigUint64(at, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`value too large at ${at}`);
    return Number(v);
  }
  /** A signed d_tag; tags beyond 2^53 (none are defined) come back as -1. */
  tag(at: number): number {
    if (!this.is64) { this.check(at, 4); return this.view.getInt32(at, this.le); }
    this.check(at, 8);
    const v = this.view.getBigInt64(at, this.le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n ? -1 : Number(v);
  }
  private check(at: number, n: number): void {
    if (at + n > this.bytes.length) throw new Malformed(`truncated at ${at}`);
  }
}

interface Load { vaddr: number; offset: number; filesz: number }

function elfType(t: number): ElfType {
  return t === 1 ? "rel" : t === 2 ? "exec" : t === 3 ? "dyn" : t === 4 ? "core" : "other";
}

function isElfMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function* need(offset: number, length: number): Steps<Uint8Array> {
  const got = yield { offset, length };
  if (got.length < length) throw new Malformed(`file ends before byte ${offset + length}`);
  return got;
}

const utf8 = new TextDecoder("utf-8");

function* elfSteps(): Steps<ElfInfo | undefined> {
  const head = yield { offset: 0, length: 64 };
  if (!isElfMagic(head) || head.length < 6) return undefined;
  const cls = head[4] === 1 ? 32 : head[4] === 2 ? 64 : undefined;
  const endian = head[5] === 1 ? "le" : head[5] === 2 ? "be" : undefined;
  if (!cls || !endian) return undefined;
  const info: ElfInfo = { class: cls, endian, machine: 0, type: "other", needed: [], rpath: [], runpath: [] };
  try {
    yield* fill(info, new Fields(head, endian === "le", cls === 64));
  } catch {
    // Whatever went wrong (short file, absurd offsets), the caller still gets what was read.
    info.malformed = true;
  }
  return info;
}

function* fill(info: ElfInfo, h: Fields): Steps<void> {
  const is64 = info.class === 64;
  info.type = elfType(h.u16(16));
  info.machine = h.u16(18);
  const phoff = h.word(is64 ? 32 : 28);
  const phentsize = h.u16(is64 ? 54 : 42);
  const phnum = h.u16(is64 ? 56 : 44);
  if (phnum === 0) return; // relocatable objects and some core files have no segments
  if (phentsize < (is64 ? 56 : 32) || phentsize > MAX_PH_ENTSIZE) throw new Malformed("bad e_phentsize");
  // 0xffff (PN_XNUM) would defer the count to a section header; neither the kernel nor ld.so accept that.
  if (phnum === 0xffff) throw new Malformed("PN_XNUM program header count");
  if (phnum * phentsize > MAX_DYNAMIC_BYTES) throw new Malformed("program header table too large");

  const ph = new Fields(yield* need(phoff, phnum * phentsize), info.endian === "le", is64);
  const loads: Load[] = [];
  let interp: Range | undefined;
  let dynamic: Range | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const type = ph.u32(at);
    const offset = ph.word(at + (is64 ? 8 : 4));
    const vaddr = ph.word(at + (is64 ? 16 : 8));
    const filesz = ph.word(at + (is64 ? 32 : 16));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_INTERP && !interp) interp = { offset, length: filesz };
    else if (type === PT_DYNAMIC && !dynamic) dynamic = { offset, length: filesz };
  }

  if (interp) {
    if (interp.length > 4096) throw new Malformed("PT_INTERP too long");
    const bytes = yield* need(interp.offset, interp.length);
    const nul = bytes.indexOf(0);
    info.interpreter = utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  }
  if (!dynamic) return;
  if (dynamic.length > MAX_DYNAMIC_BYTES) throw new Malformed("PT_DYNAMIC too large");

  const dyn = new Fields(yield* need(dynamic.offset, dynamic.length), info.endian === "le", is64);
  const entsize = is64 ? 16 : 8;
  const needed: number[] = [];
  // ld.so keeps the last entry of each single-valued tag (get-dynamic-info.h overwrites).
  let soname: number | undefined, rpath: number | undefined, runpath: number | undefined;
  let strtab: number | undefined, strsz = Number.MAX_SAFE_INTEGER;
  for (let at = 0; at + entsize <= dynamic.length; at += entsize) {
    const tag = dyn.tag(at);
    if (tag === DT_NULL) break;
    const val = dyn.word(at + entsize / 2);
    if (tag === DT_NEEDED) needed.push(val);
    else if (tag === DT_SONAME) soname = val;
    else if (tag === DT_RPATH) rpath = val;
    else if (tag === DT_RUNPATH) runpath = val;
    else if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else if (tag === DT_FLAGS_1 && (val & DF_1_NODEFLIB) !== 0) info.noDefaultLib = true;
  }
  const wanted = [...needed, soname, rpath, runpath].filter((v): v is number => v !== undefined);
  if (wanted.length === 0) return;
  if (strtab === undefined) throw new Malformed("DT_STRTAB missing");
  const base = fileOffset(loads, strtab);
  const strings = yield* readStrings(base, strsz, wanted);
  info.needed = needed.map((o) => strings.get(o)!);
  if (soname !== undefined) info.soname = strings.get(soname);
  if (rpath !== undefined) info.rpath = strings.get(rpath)!.split(":");
  if (runpath !== undefined) info.runpath = strings.get(runpath)!.split(":");
}

/** DT_STRTAB holds a virtual address; the PT_LOAD segment containing it says where it is in the file. */
function fileOffset(loads: Load[], vaddr: number): number {
  for (const l of loads) if (vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz) return l.offset + (vaddr - l.vaddr);
  throw new Malformed("DT_STRTAB outside every PT_LOAD segment");
}

/** NUL-terminated strings at the given offsets of a string table: one read around them, then more
 * only for a string that runs past it. */
function* readStrings(base: number, size: number, offsets: number[]): Steps<Map<number, string>> {
  const out = new Map<number, string>();
  for (const o of offsets) if (o >= size) throw new Malformed("string offset past DT_STRSZ");
  const lo = Math.min(...offsets);
  const hi = Math.min(size, Math.max(...offsets) + 256);
  // Strings sit together near the start of .dynstr; scattered offsets are read one by one.
  const chunk = hi - lo <= MAX_STRING_BYTES ? yield { offset: base + lo, length: hi - lo } : new Uint8Array();
  for (const o of offsets) {
    if (out.has(o)) continue;
    const nul = o - lo < chunk.length ? chunk.indexOf(0, o - lo) : -1;
    if (nul >= 0) { out.set(o, utf8.decode(chunk.subarray(o - lo, nul))); continue; }
    for (let len = 4096; len <= MAX_STRING_BYTES; len *= 4) {
      const want = Math.min(len, size - o);
      const more = yield { offset: base + o, length: want };
      const end = more.indexOf(0);
      if (end >= 0) { out.set(o, utf8.decode(more.subarray(0, end))); break; }
      if (more.length < want || want === size - o) throw new Malformed("unterminated string");
    }
    if (!out.has(o)) throw new Malformed("string too long");
  }
  return out;
}

/** The ELF facts of a file held in memory (or of a prefix of it: then `malformed` says what was
 * out of reach). undefined when the bytes are not ELF. Never throws. */
export function parseElf(bytes: Uint8Array): ElfInfo | undefined {
  const steps = elfSteps();
  let r = steps.next();
  while (!r.done) {
    const { offset, length } = r.value;
    r = steps.next(bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)));
  }
  return r.value;
}

/** Reads `length` bytes at `offset`, fewer at the end of the file. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Like parseElf over any random-access source. I/O errors of `read` propagate. */
export async function readElfInfoFrom(read: ReadAt): Promise<ElfInfo | undefined> {
  const steps = elfSteps();
  let r = steps.next();
  while (!r.done) r = steps.next(await read(r.value.offset, r.value.length));
  return r.value;
}

/** The ELF facts of a file on disk, reading ELF_PROBE_BYTES and then only the ranges needed.
 * undefined when the file is not ELF; I/O errors (missing file, a directory) propagate. */
export async function readElfInfo(path: string): Promise<ElfInfo | undefined> {
  const fh = await open(path, "r");
  try {
    const probe = Buffer.alloc(ELF_PROBE_BYTES);
    const { bytesRead } = await fh.read(probe, 0, ELF_PROBE_BYTES, 0);
    const prefix = probe.subarray(0, bytesRead);
    if (!isElfMagic(prefix)) return undefined;
    const whole = bytesRead < ELF_PROBE_BYTES;
    return await readElfInfoFrom(async (offset, length) => {
      if (whole || offset + length <= prefix.length) {
        return prefix.subarray(Math.min(offset, prefix.length), Math.min(offset + length, prefix.length));
      }
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead: n } = await fh.read(buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    });
  } finally {
    await fh.close();
  }
}
