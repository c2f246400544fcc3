// A layer from filesystem entries: deterministic tar → sha256 (the diffID) → pinned gzip →
// content-addressed blob (the digest). Keyed by the hash of every input, so a layer whose entries
// and contents are unchanged is never tarred or compressed again.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { inputKey, type Store } from "../store/store.js";
import { gzipOffThread } from "./gzip-pool.js";
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

export async function buildLayer(entries: FsEntry[], mtime: number, store: Store): Promise<Layer> {
  const key = inputKey({
    format: LAYER_FORMAT,
    mtime,
    entries: entries.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? e.linkname ?? ""]),
  });
  const cached = await store.getEntry<LayerRecord>("layer", key);
  if (cached && (await store.hasBlob(cached.digest.slice(7)))) return storedLayer(cached, store);

  const diff = createHash("sha256");
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of writeTar(entries.map((e) => tarEntry(e, mtime)))) {
      diff.update(chunk);
      yield chunk;
    }
  }
  const { hex, size } = await store.writeBlobStream(gzipOffThread(hashed()));
  const record: LayerRecord = { diffId: `sha256:${diff.digest("hex")}` as DiffId, digest: `sha256:${hex}` as Digest, size };
  await store.putEntry("layer", key, record);
  return storedLayer(record, store);
}

/** Streams a layer's tar, uncompressed, into `into` (gzip or plain, as its media type says). */
export function feedLayerTar(layer: Layer, into: NodeJS.WritableStream): Promise<void> {
  const feeding = /gzip$/.test(layer.mediaType) ? pipeline(layer.compressed(), createGunzip(), into) : pipeline(layer.compressed(), into);
  feeding.catch(() => {}); // the reader sees the error; this keeps it from being unhandled meanwhile
  return feeding;
}

export function storedLayer(r: LayerRecord, store: Store): Layer {
  return {
    digest: r.digest,
    diffId: r.diffId,
    size: r.size,
    mediaType: r.mediaType ?? MediaType.ociLayerGzip,
    compressed: () => store.openBlob(r.digest.slice(7)),
  };
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
