// Image sizes measured the same way for every tool: uncompressed = the layers as tars (what the
// diffIDs hash), compressed = the layers gzipped. cairn's layers are already compressed, so its own
// blobs count; podman's saved layers and mmdebstrap's rootfs are plain tars, so gzip level 6
// (gzip's default, node's zlib) of each stands in for what a push would send.
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import type { Readable } from "node:stream";
import { decompressStream, type Compression } from "../src/debian/decompress.js";
import type { ImageSizes } from "./report.js";
import { run } from "./measure.js";

async function countBytes(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Uint8Array).length;
  return n;
}

async function compressionOfFile(path: string): Promise<Compression> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return "gz";
    if (b.readUInt32LE(0) === 0xfd2fb528) return "zst";
    return "none";
  } finally {
    await fh.close();
  }
}

/** Sizes of one layer file, compressed or not. */
export async function layerSizes(path: string): Promise<ImageSizes> {
  const kind = await compressionOfFile(path);
  const size = (await stat(path)).size;
  if (kind === "none") return { uncompressed: size, compressed: await countBytes(createReadStream(path).pipe(createGzip({ level: 6 }))) };
  return { uncompressed: await countBytes(decompressStream(kind, createReadStream(path))), compressed: size };
}

async function sumLayers(paths: string[]): Promise<ImageSizes> {
  const total = { uncompressed: 0, compressed: 0 };
  for (const p of paths) {
    const s = await layerSizes(p);
    total.uncompressed += s.uncompressed;
    total.compressed += s.compressed;
  }
  return total;
}

/** An image archive with a docker-save `manifest.json` (cairn's output, `podman save --format docker-archive`). */
export async function archiveSizes(tarPath: string, scratch: string): Promise<ImageSizes> {
  const dir = await mkdtemp(join(scratch, "sizes-"));
  try {
    await run("tar", ["-xf", tarPath, "-C", dir]);
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { Layers?: string[] }[];
    if (manifest.length !== 1 || !Array.isArray(manifest[0].Layers)) throw new Error(`bench: ${tarPath}: manifest.json should describe exactly one image`);
    return await sumLayers(manifest[0].Layers.map((l) => join(dir, l)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A root filesystem tar (mmdebstrap's output), counted as the one layer it would be. */
export const rootfsSizes = (tarPath: string) => layerSizes(tarPath);
