// A layer from filesystem entries: deterministic tar → sha256 (the diffID) → pinned gzip →
// content-addressed blob (the digest). Keyed by the hash of every input, so a layer whose entries
// and contents are unchanged is never tarred or compressed again.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { inputKey, type Store } from "../store/store.js";
import { compressLayer, LAYER_MEDIA_TYPE, type Compressor } from "./compress.js";
import { decompressStream } from "../debian/decompress.js";
import { listingOf, putListing } from "./listing.js";
import { writeTar, type TarEntry } from "./tar.js";
import { MediaType, type DiffId, type Digest, type Layer } from "./types.js";

/** Bumped whenever the bytes cairn writes for the same entries change. */
export const LAYER_FORMAT = 1;

export interface LayerRecord {
  diffId: DiffId;
  digest: Digest;
  size: number;
  /** Default: gzip, as cairn writes; base images may bring plain tar layers. */
  mediaType?: string;
}

export async function buildLayer(entries: FsEntry[], mtime: number, store: Store, compressor: Compressor = "gzip"): Promise<Layer> {
  const key = inputKey({
    format: LAYER_FORMAT,
    mtime,
    entries: entries.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? e.linkname ?? ""]),
    // gzip's keys stay as they were before there was a choice: the same layers, found again.
    ...(compressor === "gzip" ? {} : { compressor }),
  });
  const cached = await store.getEntry<LayerRecord>("layer", key);
  if (cached && (await store.hasBlob(cached.digest.slice(7)))) return storedLayer(cached, store);

  const diff = createHash("sha256");
  let tarSize = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of writeTar(entries.map((e) => tarEntry(e, mtime)))) {
      diff.update(chunk);
      tarSize += chunk.length;
      yield chunk;
    }
  }
  const { hex, size } = await store.writeBlobStream(compressLayer(compressor, hashed(), layerBytes(entries)));
  const record: LayerRecord = {
    diffId: `sha256:${diff.digest("hex")}` as DiffId, digest: `sha256:${hex}` as Digest, size,
    ...(compressor === "gzip" ? {} : { mediaType: LAYER_MEDIA_TYPE[compressor] }),
  };
  // Listed from the entries just tarred, so inspecting this layer later needs no pass over it.
  await putListing(store, record, await listingOf(entries, tarSize));
  await store.putEntry("layer", key, record);
  return storedLayer(record, store);
}

/** About how big a layer's tar is: its files' sizes. */
export function layerBytes(entries: readonly FsEntry[]): number {
  return entries.reduce((n, e) => n + (e.size ?? 0), 0);
}

export function storedLayer(r: LayerRecord, store: Store): Layer {
  return layerOf({ digest: r.digest, diffId: r.diffId, size: r.size, mediaType: r.mediaType ?? MediaType.ociLayerGzip, compressed: () => store.openBlob(r.digest.slice(7)), checked: true });
}

/** A layer from its stored bytes: its tar is those bytes, gunzipped when the media type says gzip. */
export function layerOf(l: Omit<Layer, "uncompressed">): Layer {
  return { ...l, uncompressed: () => untar(l.mediaType, l.compressed()) };
}

/**
 * A layer's stored bytes as its tar: gunzipped or un-zstd'd as `mediaType` says, as they are
 * otherwise. Decompressing needs no pinned library: only compression must give the same bytes on every node.
 */
export function untar(mediaType: string, stored: Readable): Readable {
  if (/zstd$/.test(mediaType)) return decompressStream("zst", stored);
  if (!/gzip$/.test(mediaType)) return stored;
  const gunzip = createGunzip();
  // An error on either side ends the other, and reaches whoever reads.
  pipeline(stored, gunzip).catch(() => {});
  return gunzip;
}

function tarEntry(e: FsEntry, mtime: number): TarEntry {
  const base = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime };
  if (e.type === "symlink" || e.type === "hardlink") return { ...base, linkname: e.linkname! };
  if (e.type === "dir") return base;
  const content = e.content;
  if (!content) throw new Error(`cairn bug: file /${e.path} has no content source`);
  return {
    ...base,
    size: e.size,
    content: content.kind === "bytes" ? async function* () { yield content.data; } : () => checkedRead(content.path, e),
  };
}

/**
 * A file's bytes as they go into a layer, checked against the sha256 its entry was made with:
 * the layer's cache key holds that hash, so bytes changed since (a poisoned cache tree, a source
 * edited mid-build) must fail the build, not be stored under it.
 */
async function* checkedRead(file: string, e: FsEntry): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    yield chunk as Buffer;
  }
  if (e.sha256 && hash.digest("hex") !== e.sha256) {
    throw new CairnError(
      ErrorCode.CACHE_DAMAGED,
      `/${e.path} (read from ${file}) no longer has the sha256 ${e.sha256} it had when the build began: it was changed meanwhile.`,
      "If that file is in cairn's cache, run `cairn cache verify --repair` and build again; if it is one of yours, build again once it stops changing.",
    );
  }
}

/**
 * The tar of a layer whose media type cannot be trusted (one read from an image tar someone else
 * wrote): its first bytes tell gzip, zstd or plain.
 */
export function sniffedTar(stored: Readable): Readable {
  return Readable.from(sniffed(stored));
}

async function* sniffed(input: Readable): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  const kind = head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd ? "zstd" : head[0] === 0x1f && head[1] === 0x8b ? "gzip" : "tar";
  yield* untar(kind, Readable.from(all())) as AsyncIterable<Buffer>;
}
