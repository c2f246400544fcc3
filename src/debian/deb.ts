// Reading a .deb: the control files (streamed, capped at a size no real control.tar nears) and the
// data tar (streamed: each regular file's bytes go to disk as they are decompressed, hashed on the
// way; entries and unpacked bytes bounded, see deb-limits.ts). Symlinks and hardlinks are
// only recorded, never made on the host, and no file gets setuid/setgid on the host: the image's
// real metadata lives in manifest.json, the disk only holds content.
import type { LockedPackage } from "./lockfile.js";
import { createHash } from "node:crypto";
import { chmodSync, createReadStream, mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type * as tar from "tar-stream";
import { CairnError, ErrorCode } from "../errors.js";
import { readArMembers, type ArMember } from "./ar.js";
import { badDeb, capBytes, DEFAULT_LIMITS, fmt, sizeLimit, tooBig, type DebLimits, type DebOrigin } from "./deb-limits.js";
import { decompressStream, type Compression } from "./decompress.js";

export { DEFAULT_LIMITS, type DebLimits, type DebOrigin } from "./deb-limits.js";

/** Which package a .deb is (named in every error) and the bounds to unpack it within. */
export interface DebOptions {
  origin?: DebOrigin;
  limits?: Partial<DebLimits>;
}

// Loaded on first use: a build whose packages are already unpacked never reads a .deb.
const tarStream = () => import("tar-stream");

export interface DebControl {
  /** The raw text of the control file. */
  control: string;
  md5sums?: string;
  conffiles?: string;
  /** Not run, but read: its literal `update-alternatives` calls become generated links. */
  postinst?: string;
}

export interface DebEntry {
  /** Normalised: no leading "./" or "/", no trailing "/", never "." or containing "..". */
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink";
  /** Permission bits including setuid/setgid/sticky; no file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Bytes of content for files; 0 for everything else. */
  size: number;
  /** sha256 (hex) of a file's content. */
  sha256?: string;
  /** Symlinks: the target exactly as written. Hardlinks: the normalised path of the target. */
  linkname?: string;
}

export interface UnpackedManifest extends DebControl {
  /** In archive order. */
  entries: DebEntry[];
}

export const MANIFEST_FILE = "manifest.json";
export const FILES_DIR = "files";

const CONTROL_TEXTS = ["control", "md5sums", "conffiles", "postinst"] as const;

/**
 * Read control, md5sums, conffiles and postinst from a .deb's control.tar. Streamed and capped:
 * a small .deb whose control.tar expands to gigabytes is refused, never held in memory.
 */
export async function readDebControl(debPath: string, opts: DebOptions = {}): Promise<DebControl> {
  const bad = badFor(debPath, opts.origin);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { control } = await debMembers(debPath, opts.origin);
  const kind = memberCompression(bad, control, "control");
  if (control.size === 0) throw bad(`${control.name} is empty`);
  const texts = new Map<string, string>();
  const raw = createReadStream(debPath, { start: control.offset, end: control.offset + control.size - 1 });
  const cap = capBytes(limits.maxControlBytes, () =>
    tooBig(debPath, opts.origin, `${control.name} expands to more than ${fmt(limits.maxControlBytes)} (control archives hold a few KB)`, "deb-control-size", limits));
  const extract = (await tarStream()).extract();
  const feeding = pipeline(decompress(kind, raw, control.size), cap, extract);
  feeding.catch(() => {}); // the same error surfaces through the iteration below
  try {
    for await (const entry of extract) {
      const p = normalisePath(bad, entry.header.name);
      const wanted = (CONTROL_TEXTS as readonly (string | null)[]).includes(p);
      const chunks: Buffer[] = [];
      for await (const c of entry) if (wanted) chunks.push(c as Buffer);
      if (wanted) texts.set(p!, Buffer.concat(chunks).toString("utf8"));
    }
    await feeding;
  } catch (e) {
    raw.destroy();
    if (e instanceof CairnError) throw e;
    // The cap's error may reach the iteration only as the extractor's "premature close".
    const cause = await feeding.then(() => e, (f: unknown) => (f instanceof CairnError ? f : e));
    throw asCorrupt(bad, control.name, cause);
  }
  const text = texts.get("control");
  if (text === undefined) throw bad(`${control.name} has no control file`);
  const out: DebControl = { control: text };
  if (texts.has("md5sums")) out.md5sums = texts.get("md5sums");
  if (texts.has("conffiles")) out.conffiles = texts.get("conffiles");
  if (texts.has("postinst")) out.postinst = texts.get("postinst");
  return out;
}

/**
 * Unpack a .deb into destDir: file contents under destDir/files/<path> (mode 0644 or 0755), and
 * destDir/manifest.json holding the control files and every entry's real metadata.
 */
export async function unpackDeb(debPath: string, destDir: string, opts: DebOptions = {}): Promise<UnpackedManifest> {
  const bad = badFor(debPath, opts.origin);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const control = await readDebControl(debPath, opts);
  const maxBytes = sizeLimit(control.control, limits);
  const { data } = await debMembers(debPath, opts.origin);
  const kind = memberCompression(bad, data, "data");
  if (data.size === 0) throw bad(`${data.name} is empty`);
  const filesDir = path.join(destDir, FILES_DIR);
  await fs.mkdir(filesDir, { recursive: true });

  let raw: Readable | undefined;
  const open = () => decompress(kind, (raw = createReadStream(debPath, { start: data.offset, end: data.offset + data.size - 1 })), data.size);
  const entries = await unpackTar(open, filesDir, {
    bad,
    corrupt: (e) => asCorrupt(bad, data.name, e),
    unit: "in the same package",
    what: data.name,
    maxEntries: limits.maxEntries,
    tooManyEntries: () => tooBig(debPath, opts.origin, `${data.name} holds more than ${limits.maxEntries} entries`, "deb-entries", limits),
    maxBytes: maxBytes.bytes,
    tooManyBytes: (at) => tooBig(debPath, opts.origin, `${data.name} unpacks to more than ${maxBytes.what} (at "${at}")`, maxBytes.limit, limits),
  }).finally(() => raw?.destroy());
  const manifest: UnpackedManifest = { ...control, entries };
  await fs.writeFile(path.join(destDir, MANIFEST_FILE), JSON.stringify(manifest) + "\n");
  return manifest;
}

/** How unpackTar names what it unpacks, and the bounds it unpacks within. */
export interface TarUnpackOptions {
  /** A malformed archive: the error that names it. */
  bad: Bad;
  /** What a failure of the stream itself becomes (a CairnError or a host I/O error passes as is). */
  corrupt: (e: unknown) => unknown;
  /** "in the same package" or "in the same archive". */
  unit: string;
  /** The tar as messages name it ("data.tar.xz", "the archive"). */
  what: string;
  maxEntries: number;
  tooManyEntries: () => CairnError;
  maxBytes: number;
  tooManyBytes: (at: string) => CairnError;
}

/**
 * Unpack a tar stream's regular files under filesDir (content only, mode 0644 or 0755) and return
 * every entry's real metadata. `open` gives the (decompressed) tar; its caller closes what it opened. Nothing that could escape filesDir is made: ".." is refused, links
 * are only recorded, and no path may lie beneath a link or file of the same archive.
 */
export async function unpackTar(open: () => Readable, filesDir: string, o: TarUnpackOptions): Promise<DebEntry[]> {
  const { bad } = o;
  await fs.mkdir(filesDir, { recursive: true });
  const extract = (await tarStream()).extract();
  // Opened only now, and piped at once: a decompressor reads ahead, and its error must find a reader.
  const feeding = pipeline(open(), extract);
  feeding.catch(() => {}); // surfaces through the iteration below

  const entries: DebEntry[] = [];
  const seen = new Map<string, DebEntry>();
  /** Every folder an entry so far lies beneath (made implicitly on disk) → the first such entry. */
  const parents = new Map<string, string>();
  const madeDirs = new Set<string>();
  let count = 0;
  let bytes = 0;
  try {
    for await (const item of extract) {
      const h = item.header;
      // Checked on the header, before any content is written: the limits fail fast.
      if (++count > o.maxEntries) throw o.tooManyEntries();
      bytes += h.type === "file" || h.type === "contiguous-file" ? (h.size ?? 0) : 0;
      if (bytes > o.maxBytes) throw o.tooManyBytes(h.name);
      const p = normalisePath(bad, h.name);
      if (p === null) {
        item.resume(); // the root "." entry: the image's root is not ours to describe
        continue;
      }
      // Linux's own bounds (PATH_MAX, NAME_MAX): a longer path could not be unpacked anywhere.
      if (Buffer.byteLength(p) >= 4096 || p.split("/").some((c) => Buffer.byteLength(c) > 255)) {
        throw bad(`an entry's path is longer than Linux allows (${Buffer.byteLength(p)} bytes: "${p.slice(0, 60)}…")`);
      }
      if (seen.has(p)) throw bad(`"${p}" appears twice in ${o.what}`);
      const under = nonDirAncestor(p, seen);
      if (under?.type === "symlink") throw bad(`"${p}" lies beneath "${under.path}", a symlink ${o.unit} (a path that escapes through it)`);
      if (under) throw bad(`"${p}" lies beneath "${under.path}", a file ${o.unit}`);
      const entry: DebEntry = {
        path: p,
        type: entryType(bad, p, h.type),
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        uname: h.uname ?? "",
        gname: h.gname ?? "",
        size: 0,
      };
      const child = entry.type === "dir" ? undefined : parents.get(p);
      if (child !== undefined) throw bad(`"${p}" is a ${entry.type}, but "${child}" lies beneath it earlier in ${o.what}`);
      if (entry.type === "file") {
        const { size, sha256 } = await writeContent(item, path.join(filesDir, p), entry.mode, madeDirs);
        entry.size = size;
        entry.sha256 = sha256;
      } else {
        item.resume();
        if (entry.type === "dir") await mkdirOnce(path.join(filesDir, p), madeDirs);
        if (entry.type === "symlink") {
          if (!h.linkname) throw bad(`symlink "${p}" has no target`);
          entry.linkname = h.linkname;
        }
        if (entry.type === "hardlink") {
          const target = h.linkname ? normalisePath(bad, h.linkname) : null;
          if (target === null || seen.get(target)?.type !== "file") {
            throw bad(`hardlink "${p}" points to "${h.linkname ?? ""}", which is not an earlier file`);
          }
          entry.linkname = target;
        }
      }
      seen.set(p, entry);
      for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) if (!parents.has(p.slice(0, i))) parents.set(p.slice(0, i), p);
      entries.push(entry);
    }
    await feeding;
  } catch (e) {
    throw o.corrupt(e); // the caller closes its source (destroying a decompressor mid-read throws elsewhere)
  }
  return entries;
}

/** Read back the manifest unpackDeb wrote. */
export async function loadUnpacked(dir: string): Promise<UnpackedManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const m = JSON.parse(await fs.readFile(file, "utf8")) as UnpackedManifest;
  if (typeof m?.control !== "string" || !Array.isArray(m.entries)) {
    throw new CairnError(
      ErrorCode.BAD_DEB,
      `${file} is not an unpacked-package manifest (no control text or entries).`,
      `Delete ${dir} so the package is unpacked again.`,
    );
  }
  return m;
}

/**
 * fzstd hands over everything one pushed chunk decompresses to at once: 64 KiB of RLE blocks is
 * 2 GiB. Fed in 1 KiB pieces, no step holds more than a few tens of MiB, so the caps can act.
 */
function decompress(kind: Compression, raw: Readable, size: number): Readable {
  if (kind !== "zst") return decompressStream(kind, raw, size);
  return decompressStream(kind, Readable.from(pieces(raw, 1024)));
}

async function* pieces(src: AsyncIterable<unknown>, size: number): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    const chunk = c as Uint8Array;
    for (let i = 0; i < chunk.length; i += size) yield chunk.subarray(i, i + size);
  }
}

export type Bad = (why: string, cause?: unknown) => CairnError;
const badFor = (debPath: string, origin?: DebOrigin): Bad => (why, cause) => badDeb(debPath, origin, why, cause);

/** Normalise a tar member name; null for the root entry. Rejects ".." (path escape). */
export function normalisePath(bad: Bad | string, name: string): string | null {
  const parts = name.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw (typeof bad === "string" ? badFor(bad) : bad)(`the entry "${name}" has a ".." component`);
  return parts.length ? parts.join("/") : null;
}

/** The outermost ancestor of `p` the package made something other than a directory, if any. */
function nonDirAncestor(p: string, seen: Map<string, DebEntry>): DebEntry | undefined {
  for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) {
    const parent = seen.get(p.slice(0, i));
    if (parent && parent.type !== "dir") return parent;
  }
  return undefined;
}

async function debMembers(debPath: string, origin?: DebOrigin): Promise<{ control: ArMember; data: ArMember }> {
  const bad = badFor(debPath, origin);
  const members = await readArMembers(debPath, origin);
  const first = members[0];
  if (first?.name !== "debian-binary") throw bad(`the first member is "${first?.name ?? ""}", not "debian-binary"`);
  const version = Buffer.from(await readSlice(bad, debPath, { ...first, size: Math.min(first.size, 64) })).toString("latin1");
  if (!version.startsWith("2.")) throw bad(`debian-binary says format "${version.trim()}", cairn reads only 2.x`);
  const control = members.find((m) => m.name.startsWith("control.tar"));
  const data = members.find((m) => m.name.startsWith("data.tar"));
  if (!control) throw bad("it has no control.tar member");
  if (!data) throw bad("it has no data.tar member");
  return { control, data };
}

function memberCompression(bad: Bad, m: ArMember, stem: "control" | "data"): Compression {
  const ext = m.name.slice(`${stem}.tar`.length);
  const kinds: Record<string, Compression> = { "": "none", ".gz": "gz", ".xz": "xz", ".zst": "zst" };
  const kind = kinds[ext];
  if (kind === undefined) throw bad(`${m.name} uses a compression cairn does not read (gz, xz, zst or none)`);
  return kind;
}

async function readSlice(bad: Bad, file: string, m: ArMember): Promise<Uint8Array> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(m.size);
    const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
    if (bytesRead !== m.size) throw bad(`member "${m.name}" is truncated`);
    return buf;
  } finally {
    await fh.close();
  }
}

function entryType(bad: Bad, p: string, t: tar.Header["type"] | undefined): DebEntry["type"] {
  switch (t) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      throw bad(`"${p}" is a ${t ?? "unknown"} entry; packages may hold only files, directories and links`);
  }
}

const SMALL_FILE = 1 << 20;

async function writeContent(
  src: AsyncIterable<unknown>,
  target: string,
  mode: number,
  madeDirs: Set<string>,
): Promise<{ size: number; sha256: string }> {
  await mkdirOnce(path.dirname(target), madeDirs);
  // Host mode is only "executable or not": special bits and ownership live in the manifest.
  const hostMode = mode & 0o111 ? 0o755 : 0o644;
  const hash = createHash("sha256");
  let size = 0;
  // Most package files are small: gather them and write in one synchronous call, which costs far
  // less than a round of asynchronous open/write/chmod/close per file. Big files stream.
  const held: Uint8Array[] = [];
  let fh: fs.FileHandle | undefined;
  try {
    for await (const c of src) {
      const chunk = c as Uint8Array; // tar-stream entries yield Buffers
      hash.update(chunk);
      size += chunk.length;
      if (!fh && size <= SMALL_FILE) {
        held.push(chunk);
        continue;
      }
      if (!fh) {
        fh = await fs.open(target, "w", hostMode);
        for (const h of held.splice(0)) await fh.write(h);
      }
      await fh.write(chunk);
    }
    if (fh) await fh.chmod(hostMode); // open()'s mode is filtered by the umask
    else {
      writeFileSync(target, held.length === 1 ? held[0]! : Buffer.concat(held));
      chmodSync(target, hostMode);
    }
  } finally {
    await fh?.close();
  }
  return { size, sha256: hash.digest("hex") };
}

async function mkdirOnce(dir: string, made: Set<string>): Promise<void> {
  if (made.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  made.add(dir);
}

/** A failure while reading `member`: cairn's own errors and host I/O errors as they are, anything else `member` being corrupt. */
export function asCorrupt(bad: Bad, member: string, e: unknown): unknown {
  if (e instanceof CairnError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return e; // a host I/O failure, not the package's fault
  return bad(`${member} is corrupt (${(e as Error)?.message ?? String(e)})`, e);
}

/** A locked package as unpacked in the store: its files under `dir`, listed by its manifest. */
export interface UnpackedPackage {
  locked: LockedPackage;
  /** The store directory the package was unpacked into. */
  dir: string;
  manifest: UnpackedManifest;
}
