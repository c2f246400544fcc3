// Image sizes measured the same way for every tool: uncompressed = the layers as tars (what the
// diffIDs hash), compressed = the layers gzipped. cairn's layers are already compressed, so its own
// blobs count; podman's and docker's saved layers and mmdebstrap's rootfs are plain tars, so gzip
// level 6 (gzip's default, node's zlib) of each stands in for what a push would send.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
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

/** Unpacks an image archive with a docker-save `manifest.json` into dir; returns its layers' files, in order. */
async function extractLayers(tarPath: string, dir: string): Promise<string[]> {
  await run("tar", ["-xf", tarPath, "-C", dir]);
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { Layers?: string[] }[];
  if (manifest.length !== 1 || !Array.isArray(manifest[0].Layers)) throw new Error(`bench: ${tarPath}: manifest.json should describe exactly one image`);
  return manifest[0].Layers.map((l) => join(dir, l));
}

/** An image archive with a docker-save `manifest.json` (cairn's output, `podman save --format docker-archive`, `docker save`). */
export async function archiveSizes(tarPath: string, scratch: string): Promise<ImageSizes> {
  const dir = await mkdtemp(join(scratch, "sizes-"));
  try {
    return await sumLayers(await extractLayers(tarPath, dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A root filesystem tar (mmdebstrap's output), counted as the one layer it would be. */
export const rootfsSizes = (tarPath: string) => layerSizes(tarPath);

/** The image's layers as plain tars in dir (decompressed if the archive holds them compressed): what the layers' diffIDs hash. */
export async function layerTars(tarPath: string, dir: string): Promise<string[]> {
  // A layer listed twice (the same blob) is compressed once.
  const layers = [...new Set(await extractLayers(tarPath, dir))];
  const out: string[] = [];
  for (const [i, l] of layers.entries()) {
    const kind = await compressionOfFile(l);
    if (kind === "none") { out.push(l); continue; }
    const plain = join(dir, `layer-${i}.tar`);
    await pipeline(decompressStream(kind, createReadStream(l)), createWriteStream(plain));
    await rm(l);
    out.push(plain);
  }
  return out;
}
