// fetchzip()'s archives, unpacked: a source tarball (tar, or tar compressed with gzip, xz or zstd,
// told by its first bytes, not its name) unpacked once into the store beside its blob, by the
// same checked tar reader as a .deb, and listed as the image entries under its destination.
// Ownership is the image's (0:0) and modes only "executable or not", as Nix's unpacking gives,
// so an archive made on someone's laptop unpacks the same for everyone.
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { asCorrupt, unpackTar, type DebEntry } from "../debian/deb.js";
import { decompressStream, type Compression } from "../debian/decompress.js";
import { fmt } from "../debian/deb-limits.js";
import type { FetchedSpec } from "../define/spec.js";
import { fetchCall, locationOf } from "../define/call-site.js";
import { CairnError, ErrorCode } from "../errors.js";
import type { Store } from "../store/store.js";
import type { FsEntry } from "./types.js";

/** Bumped when what an unpacked tree holds changes, so an old one is not read as new. */
const LAYOUT = "v1";
const LISTING = "archive.json";
const MAX_ENTRIES = 1_000_000;
const GiB = 1024 * 1024 * 1024;

/** The compression a file's first bytes tell, or a name for what it is instead. */
export function sniffArchive(head: Uint8Array): Compression | { other: string } {
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x1f, 0x8b)) return "gz";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return "zst";
  if (Buffer.from(head.subarray(257, 262)).toString("latin1") === "ustar") return "none";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return { other: "a zip archive" };
  if (starts(0x42, 0x5a, 0x68)) return { other: "bzip2 data" };
  return { other: "not a tar archive (nor gzip, xz or zstd)" };
}

/**
 * The entries a fetchzip() puts at its destination: the archive's, with its one top folder
 * taken off when `stripRoot` (as Nix's fetchzip does). The archive's blob is in the store already.
 */
export async function archiveEntries(c: FetchedSpec & { unpack: { stripRoot: boolean } }, store: Store, dest: string): Promise<FsEntry[]> {
  const sha256 = c.sha256!;
  const dir = await store.tree(`archive-${LAYOUT}-${sha256}`, (d) => unpackArchive(store.blobPath(sha256), d, c));
  const listed = JSON.parse(await fs.readFile(path.join(dir, LISTING), "utf8")) as DebEntry[];
  const origin = `files:${c.url}`;
  let rel = (p: string) => p;
  if (c.unpack.stripRoot) {
    const tops = new Set(listed.map((e) => e.path.split("/")[0]!));
    const [top] = tops;
    const topEntry = listed.find((e) => e.path === top);
    if (tops.size !== 1 || (topEntry && topEntry.type !== "dir")) {
      throw new CairnError(
        ErrorCode.BAD_ARCHIVE,
        `${at(c)}${fetchCall(c)} holds ${tops.size === 0 ? "nothing" : tops.size === 1 ? `only the file "${top}"` : `${tops.size} entries at its top (${[...tops].slice(0, 3).map((t) => `"${t}"`).join(", ")}${tops.size > 3 ? ", …" : ""})`}, not one folder to take off.`,
        tops.size === 0 ? "Check the URL: the archive is empty." : "Give stripRoot: false to unpack it as it is.",
        { data: { subject: c.url } },
      );
    }
    rel = (p) => p.slice(top!.length + 1);
  }
  const under = (p: string) => (dest ? (p ? `${dest}/${p}` : dest) : p);
  const out: FsEntry[] = [];
  if (dest) out.push({ path: dest, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, origin });
  for (const e of listed) {
    const p = rel(e.path);
    if (!p) continue; // the stripped top folder itself: the destination stands for it
    const base = { path: under(p), uid: 0, gid: 0, size: 0, origin };
    if (e.type === "dir") out.push({ ...base, type: "dir", mode: 0o755 });
    else if (e.type === "symlink") out.push({ ...base, type: "symlink", mode: 0o777, linkname: e.linkname! });
    else if (e.type === "hardlink") out.push({ ...base, type: "hardlink", mode: 0o644, linkname: under(rel(e.linkname!)) });
    else {
      out.push({
        ...base, type: "file", mode: e.mode & 0o111 ? 0o755 : 0o644, size: e.size, sha256: e.sha256!,
        content: { kind: "path", path: path.join(dir, "files", e.path) },
      });
    }
  }
  return out;
}

async function unpackArchive(blob: string, dir: string, c: FetchedSpec): Promise<void> {
  const head = Buffer.alloc(512);
  const fh = await fs.open(blob, "r");
  const size = (await fh.stat()).size;
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const kind = sniffArchive(head);
  if (typeof kind !== "string") {
    throw new CairnError(
      ErrorCode.BAD_ARCHIVE,
      `${at(c)}${fetchCall(c)} is ${kind.other}; cairn unpacks tar archives, plain or compressed with gzip, xz or zstd.`,
      kind.other === "a zip archive" || kind.other === "bzip2 data"
        ? "Most projects publish a .tar.gz or .tar.xz of the same release (GitHub serves /archive/<tag>.tar.gz for every tag): fetch that one, or fetchurl() this file and unpack it in the derivation's build."
        : "Check the URL: it may serve an HTML page rather than the archive.",
      { data: { subject: c.url } },
    );
  }
  // Source archives compress text about tenfold; far beyond that is a bomb, not a release.
  const maxBytes = size * 100 + GiB;
  const bad = (why: string, cause?: unknown) =>
    new CairnError(ErrorCode.BAD_ARCHIVE, `${at(c)}${fetchCall(c)} is malformed, so cairn refuses it: ${why}.`, "The file matched its sha256, so fetching it again gives the same bytes: use another release or source.", { cause, data: { subject: c.url } });
  let raw: Readable | undefined;
  const entries = await unpackTar(() => decompressStream(kind, (raw = createReadStream(blob))), path.join(dir, "files"), {
    bad,
    corrupt: (e) => asCorrupt(bad, "the archive", e),
    unit: "in the same archive",
    what: "the archive",
    maxEntries: MAX_ENTRIES,
    tooManyEntries: () => bad(`it holds more than ${MAX_ENTRIES} entries`),
    maxBytes,
    tooManyBytes: (name) => bad(`it unpacks to more than ${fmt(maxBytes)} (at "${name}"), a hundred times its size`),
  }).finally(() => raw?.destroy());
  await fs.writeFile(path.join(dir, LISTING), JSON.stringify(entries) + "\n");
}

function at(c: FetchedSpec): string {
  const where = locationOf(c);
  return where ? `${where}: ` : "";
}
