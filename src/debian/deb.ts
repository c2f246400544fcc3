// Reading a .deb: the control files (small, read whole) and the data tar (streamed: each regular
// file's bytes go to disk as they are decompressed, hashed on the way). Symlinks and hardlinks are
// only recorded, never made on the host, and no file gets setuid/setgid on the host: the image's
// real metadata lives in manifest.json, the disk only holds content.
import { createHash } from "node:crypto";
import { chmodSync, createReadStream, mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type * as tar from "tar-stream";
import { CairnError, ErrorCode } from "../errors.js";
import { readArMembers, type ArMember } from "./ar.js";
import { decompressBuffer, decompressStream, type Compression } from "./decompress.js";

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

/** Read control, md5sums, conffiles and postinst from a .deb's control.tar. */
export async function readDebControl(debPath: string): Promise<DebControl> {
  const { control } = await debMembers(debPath);
  const kind = memberCompression(debPath, control, "control");
  const raw = await readSlice(debPath, control);
  let plain: Uint8Array;
  try {
    plain = await decompressBuffer(kind, raw);
  } catch (e) {
    throw bad(debPath, `${control.name} does not decompress (${(e as Error).message})`, e);
  }
  const texts = new Map<string, string>();
  const extract = (await tarStream()).extract();
  const feeding = pipeline(Readable.from([Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength)]), extract);
  feeding.catch(() => {}); // the same error surfaces through the iteration below
  try {
    for await (const entry of extract) {
      const p = normalisePath(debPath, entry.header.name);
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if ((CONTROL_TEXTS as readonly (string | null)[]).includes(p)) texts.set(p!, Buffer.concat(chunks).toString("utf8"));
    }
    await feeding;
  } catch (e) {
    throw asBadDeb(debPath, control.name, e);
  }
  const text = texts.get("control");
  if (text === undefined) throw bad(debPath, `${control.name} has no control file`);
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
export async function unpackDeb(debPath: string, destDir: string): Promise<UnpackedManifest> {
  const control = await readDebControl(debPath);
  const { data } = await debMembers(debPath);
  const kind = memberCompression(debPath, data, "data");
  if (data.size === 0) throw bad(debPath, `${data.name} is empty`);
  const filesDir = path.join(destDir, FILES_DIR);
  await fs.mkdir(filesDir, { recursive: true });

  const raw = createReadStream(debPath, { start: data.offset, end: data.offset + data.size - 1 });
  const extract = (await tarStream()).extract();
  const feeding = pipeline(decompressStream(kind, raw), extract);
  feeding.catch(() => {}); // surfaces through the iteration below

  const entries: DebEntry[] = [];
  const seen = new Map<string, DebEntry>();
  const madeDirs = new Set<string>();
  try {
    for await (const item of extract) {
      const h = item.header;
      const p = normalisePath(debPath, h.name);
      if (p === null) {
        item.resume(); // the root "." entry: the image's root is not ours to describe
        continue;
      }
      if (seen.has(p)) throw bad(debPath, `"${p}" appears twice in ${data.name}`);
      const entry: DebEntry = {
        path: p,
        type: entryType(debPath, p, h.type),
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        uname: h.uname ?? "",
        gname: h.gname ?? "",
        size: 0,
      };
      if (entry.type === "file") {
        const { size, sha256 } = await writeContent(item, path.join(filesDir, p), entry.mode, madeDirs);
        entry.size = size;
        entry.sha256 = sha256;
      } else {
        item.resume();
        if (entry.type === "dir") await mkdirOnce(path.join(filesDir, p), madeDirs);
        if (entry.type === "symlink") {
          if (!h.linkname) throw bad(debPath, `symlink "${p}" has no target`);
          entry.linkname = h.linkname;
        }
        if (entry.type === "hardlink") {
          const target = h.linkname ? normalisePath(debPath, h.linkname) : null;
          if (target === null || seen.get(target)?.type !== "file") {
            throw bad(debPath, `hardlink "${p}" points to "${h.linkname ?? ""}", which is not an earlier file`);
          }
          entry.linkname = target;
        }
      }
      seen.set(p, entry);
      entries.push(entry);
    }
    await feeding;
  } catch (e) {
    raw.destroy();
    throw asBadDeb(debPath, data.name, e);
  }
  const manifest: UnpackedManifest = { ...control, entries };
  await fs.writeFile(path.join(destDir, MANIFEST_FILE), JSON.stringify(manifest) + "\n");
  return manifest;
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

/** Normalise a tar member name; null for the root entry. Rejects ".." (path escape). */
export function normalisePath(debPath: string, name: string): string | null {
  const parts = name.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw bad(debPath, `the entry "${name}" has a ".." component`);
  return parts.length ? parts.join("/") : null;
}

async function debMembers(debPath: string): Promise<{ control: ArMember; data: ArMember }> {
  const members = await readArMembers(debPath);
  const first = members[0];
  if (first?.name !== "debian-binary") throw bad(debPath, `the first member is "${first?.name ?? ""}", not "debian-binary"`);
  const version = Buffer.from(await readSlice(debPath, first)).toString("latin1");
  if (!version.startsWith("2.")) throw bad(debPath, `debian-binary says format "${version.trim()}", cairn reads only 2.x`);
  const control = members.find((m) => m.name.startsWith("control.tar"));
  const data = members.find((m) => m.name.startsWith("data.tar"));
  if (!control) throw bad(debPath, "it has no control.tar member");
  if (!data) throw bad(debPath, "it has no data.tar member");
  return { control, data };
}

function memberCompression(debPath: string, m: ArMember, stem: "control" | "data"): Compression {
  const ext = m.name.slice(`${stem}.tar`.length);
  const kinds: Record<string, Compression> = { "": "none", ".gz": "gz", ".xz": "xz", ".zst": "zst" };
  const kind = kinds[ext];
  if (kind === undefined) throw bad(debPath, `${m.name} uses a compression cairn does not read (gz, xz, zst or none)`);
  return kind;
}

async function readSlice(file: string, m: ArMember): Promise<Uint8Array> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(m.size);
    const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
    if (bytesRead !== m.size) throw bad(file, `member "${m.name}" is truncated`);
    return buf;
  } finally {
    await fh.close();
  }
}

function entryType(debPath: string, p: string, t: tar.Header["type"] | undefined): DebEntry["type"] {
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
      throw bad(debPath, `"${p}" is a ${t ?? "unknown"} entry; packages may hold only files, directories and links`);
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

function asBadDeb(debPath: string, member: string, e: unknown): unknown {
  if (e instanceof CairnError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return e; // a host I/O failure, not the package's fault
  return bad(debPath, `${member} is corrupt (${(e as Error)?.message ?? String(e)})`, e);
}

function bad(debPath: string, why: string, cause?: unknown): CairnError {
  return new CairnError(
    ErrorCode.BAD_DEB,
    `${debPath} is not a valid .deb: ${why}.`,
    "Delete the file so it is downloaded again; if it persists, the archive serves a broken package.",
    { cause },
  );
}
