// How a layer's tar is stored: gzip (the default; every engine reads it, Docker 20.10 nothing
// else), zstd (smaller and faster to unpack; containerd 1.5+, podman), or none. Each is pinned
// (fflate, zstd's WebAssembly build, exact versions in package.json) and fed fixed 1 MiB blocks, so
// the bytes depend on the tar alone — never on the node version or where chunks happened to fall.
import { createRequire } from "node:module";
import { gzipOffThread } from "./gzip-pool.js";
import { GZIP_BLOCK, gzip } from "./gzip.js";
import { Chunker } from "./tar.js";
import { MediaType } from "./types.js";

export type Compressor = "gzip" | "zstd" | "none";
export const COMPRESSORS: readonly Compressor[] = ["gzip", "zstd", "none"];

export const LAYER_MEDIA_TYPE: Record<Compressor, string> = {
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
  none: MediaType.ociLayer,
};

/** zstd's default level: about gzip -6's ratio at several times its speed. */
const ZSTD_LEVEL = 3;

const require = createRequire(import.meta.url);
let zstd: Promise<{ compress(data: Uint8Array, level: number): Uint8Array }> | undefined;
const loadZstd = () =>
  (zstd ??= (async () => {
    const z = require("@bokuweb/zstd-wasm") as { init(): Promise<void>; compress(data: Uint8Array, level: number): Uint8Array };
    await z.init();
    return z;
  })());

/** Below this many bytes of tar, starting a worker thread costs more than compressing here. */
const SMALL_LAYER = 256 * 1024;

/** `bytes`: about how big the tar is (its files' sizes), to keep small layers on this thread. */
export function compressLayer(kind: Compressor, tar: AsyncIterable<Uint8Array>, bytes = Infinity): AsyncIterable<Uint8Array> {
  if (kind === "gzip") return bytes < SMALL_LAYER ? gzip(tar) : gzipOffThread(tar);
  if (kind === "none") return tar;
  return zstdFrames(tar);
}

/** One zstd frame per fixed block: a valid zstd stream (frames concatenate), decoded by every reader. */
async function* zstdFrames(tar: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const z = await loadZstd();
  const blocks = new Chunker(GZIP_BLOCK);
  for await (const chunk of tar) for (const block of blocks.push(chunk)) yield z.compress(block, ZSTD_LEVEL);
  for (const block of blocks.flush()) if (block.length) yield z.compress(block, ZSTD_LEVEL);
}
