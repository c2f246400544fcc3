// Decompressors for what Debian archives hold: gzip (node's zlib: decompression output does not
// depend on the zlib version), xz (xz-embedded as WebAssembly) and zstd (fzstd). All pure JS or
// bundled with node, so reading a .deb never shells out.
import { Readable } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { CairnError, ErrorCode } from "../errors.js";

const require = createRequire(import.meta.url);
// Required on first use: most builds find every package already unpacked.
const xz = () =>
  require("xz-decompress") as {
    XzReadableStream: new (input: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
  };
const zstd = () => require("fzstd") as typeof import("fzstd");

export type Compression = "gz" | "xz" | "zst" | "none";

/** The compression named by a file name's extension (data.tar.xz, Packages.gz, ...). */
export function compressionOf(name: string): Compression {
  if (name.endsWith(".gz")) return "gz";
  if (name.endsWith(".xz")) return "xz";
  if (name.endsWith(".zst")) return "zst";
  return "none";
}

/** Decompress a stream; the result is a node Readable of the plain bytes. */
export function decompressStream(kind: Compression, input: Readable): Readable {
  switch (kind) {
    case "none":
      return input;
    case "gz":
      return input.pipe(createGunzip());
    case "xz":
      return Readable.fromWeb(new (xz().XzReadableStream)(Readable.toWeb(input) as ReadableStream<Uint8Array>) as never);
    case "zst":
      return Readable.from(zstdChunks(input));
  }
}

async function* zstdChunks(input: Readable): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new (zstd().Decompress)((chunk) => out.push(chunk));
  for await (const chunk of input) {
    d.push(chunk as Uint8Array);
    while (out.length) yield out.shift()!;
  }
  d.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

/**
 * Decompress a whole buffer (indexes: small). Damaged data is an INDEX_MISSING naming `what`;
 * streams leave that to their reader (a .deb's is a BAD_DEB).
 */
export async function decompressBuffer(kind: Compression, data: Uint8Array, what = "the index"): Promise<Uint8Array> {
  try {
    return await decompressWhole(kind, data);
  } catch (e) {
    throw new CairnError(ErrorCode.INDEX_MISSING, `${what} is not valid ${kind} data (${(e as Error)?.message ?? String(e)}).`,
      "The mirror is serving a damaged file: try again later or use another mirror.", { cause: e });
  }
}

async function decompressWhole(kind: Compression, data: Uint8Array): Promise<Uint8Array> {
  switch (kind) {
    case "none":
      return data;
    case "gz":
      return gunzipSync(data);
    case "zst":
      return zstd().decompress(data);
    case "xz": {
      const chunks: Buffer[] = [];
      for await (const c of decompressStream("xz", Readable.from([Buffer.from(data)]))) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }
  }
}
