// Decompressors for what Debian archives hold: gzip (node's zlib: decompression output does not
// depend on the zlib version), xz (the host's xz when it has one, else xz-embedded as WebAssembly)
// and zstd (fzstd). Decoding gives the same bytes whichever decoder runs.
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { createRequire } from "node:module";
import { CairnError, ErrorCode } from "../errors.js";
import { findOnPath } from "../executables.js";

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

/** Below this many compressed bytes, starting a process costs more than decoding in WebAssembly. */
const SMALL_XZ = 64 * 1024;

/**
 * Decompress a stream; the result is a node Readable of the plain bytes. `size` (the compressed
 * length, when known) lets a small xz stream skip the host's xz.
 */
export function decompressStream(kind: Compression, input: Readable, size?: number): Readable {
  switch (kind) {
    case "none":
      return input;
    case "gz":
      return input.pipe(createGunzip());
    case "xz":
      // The host's xz, when there is one: native (about 1.5× the WebAssembly decoder) and in a
      // process of its own, so it decompresses on the other core while this one unpacks. Decoding
      // gives the same bytes whoever does it; the WebAssembly one is there for hosts without xz.
      return unxz(hostXz() && !(size !== undefined && size < SMALL_XZ) ? "host" : "wasm", input);
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
 * A buffer's plain bytes as they are decoded (a Packages index: ~50 MB plain, so never held
 * whole). Damaged data is an INDEX_MISSING naming `what`; streams leave that to their reader (a
 * .deb's is a BAD_DEB).
 */
export async function* decompressChunks(kind: Compression, data: Uint8Array, what = "the index"): AsyncGenerator<Uint8Array> {
  try {
    for await (const c of decompressStream(kind, Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]))) yield c as Uint8Array;
  } catch (e) {
    throw new CairnError(ErrorCode.INDEX_MISSING, `${what} is not valid ${kind} data (${(e as Error)?.message ?? String(e)}).`,
      "The mirror is serving a damaged file: try again later or use another mirror.", { cause: e });
  }
}

/** decompressChunks, whole. */
export async function decompressBuffer(kind: Compression, data: Uint8Array, what = "the index"): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of decompressChunks(kind, data, what)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** xz decoded by the host's xz or the WebAssembly decoder (exported for the tests, which compare them). */
export function unxz(decoder: "host" | "wasm", input: Readable): Readable {
  if (decoder === "host" && hostXz()) return Readable.from(xzProcess(hostXz()!, input));
  return Readable.fromWeb(new (xz().XzReadableStream)(Readable.toWeb(input) as ReadableStream<Uint8Array>) as never);
}

let xzPath: string | null | undefined;
/** The host's xz on PATH (CAIRN_XZ=wasm asks for the WebAssembly decoder), looked up once. */
function hostXz(): string | undefined {
  if (xzPath === undefined) {
    xzPath = process.env["CAIRN_XZ"] === "wasm" ? null : (findOnPath("xz") ?? null);
  }
  return xzPath ?? undefined;
}

/**
 * `xz -dc` fed `input`: its output, ending only once xz has exited, and failing if it did not exit
 * 0 — so a corrupt or cut stream is an error, never a tar that merely ends early.
 */
async function* xzProcess(bin: string, input: Readable): AsyncGenerator<Buffer> {
  // -T0: a stream of several blocks (dpkg-deb writes big packages so) is decoded on every core.
  const child = spawn(bin, ["-dcq", "-T0"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  exited.catch(() => {});
  const feeding = pipeline(input, child.stdin).catch(() => {}); // xz's exit code tells what went wrong
  let done = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    await feeding;
    if (code !== 0) throw new Error(stderr.trim().replace(/^xz: \(stdin\): /, "") || `xz exited with ${code}`);
    done = true;
  } finally {
    if (!done) {
      child.kill();
      input.destroy();
    }
  }
}
