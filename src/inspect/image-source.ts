// Where an image to inspect comes from: a cairn definition (built, from the cache when unchanged,
// with the lock's resolution for what was left out) or any image tar — cairn's, `docker save`'s,
// or skopeo's docker-archive / oci-archive. Both give the same shape: config, layers to open.
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CairnError, ErrorCode } from "../errors.js";
import type { Image } from "../image/types.js";

export interface SourceLayer {
  /** Digest of the blob as stored (compressed or not); for docker-archives, of the tar. */
  digest: string;
  /** Bytes as stored. */
  size: number;
  /** The layer's tar, uncompressed. */
  open(): Readable;
}

export interface ImageSource {
  /** `name:tag`, or the file name when the tar has no tag. */
  reference: string;
  manifestDigest?: string;
  /** The image config (OCI / Docker JSON). */
  config: ImageConfigJson;
  layers: SourceLayer[];
}

export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  config?: Record<string, unknown>;
  history?: { created_by?: string; empty_layer?: boolean }[];
  rootfs?: { diff_ids?: string[] };
  /** When the image was made (RFC 3339). */
  created?: string;
}

/** An image cairn built, as an inspect source. */
export function fromBuiltImage(image: Image): ImageSource {
  return {
    reference: image.repoTags[0] ?? image.manifestDigest,
    manifestDigest: image.manifestDigest,
    config: JSON.parse(image.config.toString("utf8")) as ImageConfigJson,
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size, open: () => maybeGunzip(l.compressed()) })),
  };
}

/**
 * An image tar unpacked into `workDir` (its members are needed more than once and a tar cannot
 * seek): OCI layout (index.json) or docker-archive (manifest.json), compressed layers or not.
 */
export async function fromImageTar(file: string, workDir: string): Promise<ImageSource> {
  const tar = await import("tar-stream");
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), extract);
  feeding.catch(() => {});
  try {
    for await (const item of extract) {
      const name = path.posix.normalize(item.header.name.replace(/^\.?\//, ""));
      if (item.header.type !== "file" || name.startsWith("..")) {
        item.resume();
        continue;
      }
      const to = path.join(workDir, name);
      await fs.mkdir(path.dirname(to), { recursive: true });
      await pipeline(item as unknown as Readable, createWriteStream(to));
    }
    await feeding;
  } catch (e) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} could not be read as an image tar: ${(e as Error).message}.`, TAR_HINT);
  }
  // Every JSON member is untrusted: a path it names must stay inside the tar, a member must be
  // there and hold JSON, and each field is checked before use.
  const bad = (why: string) => new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not a readable image tar: ${why}.`, TAR_HINT);
  const member = (p: unknown): string => {
    // Normalised as the members were when unpacked above.
    const name = typeof p === "string" ? path.posix.normalize(p.replace(/^\.?\//, "")) : "..";
    if (name.startsWith("..")) throw bad(`it names ${JSON.stringify(p)} where a member of the tar belongs`);
    return path.join(workDir, name);
  };
  const read = async (p: unknown): Promise<any> => {
    const text = await fs.readFile(member(p), "utf8").catch((e: NodeJS.ErrnoException) => {
      throw e.code === "ENOENT" || e.code === "EISDIR" || e.code === "ENOTDIR" ? bad(`it names ${p}, which it does not hold`) : e;
    });
    try {
      return JSON.parse(text);
    } catch {
      throw bad(`${p} is not JSON`);
    }
  };
  const exists = async (p: string) => !!(await fs.stat(path.join(workDir, p)).catch(() => undefined));
  const blob = (digest: unknown) => {
    if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(`it names the blob ${JSON.stringify(digest)}, not sha256:<64 hex>`);
    return `blobs/${digest.replace(":", "/")}`;
  };
  const sizeOf = async (p: string) => (await fs.stat(member(p)).catch(() => { throw bad(`it names ${p}, which it does not hold`); })).size;
  const layerFrom = (p: string, digest: string): SourceLayer => ({
    digest, size: 0, open: () => maybeGunzip(createReadStream(path.join(workDir, p))),
  });
  const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

  let source: ImageSource;
  if (await exists("manifest.json")) {
    const list = await read("manifest.json");
    const m = Array.isArray(list) ? list[0] : undefined;
    if (!isObject(m)) throw notAnImage(file);
    if (typeof m.Config !== "string" || !Array.isArray(m.Layers) || !m.Layers.every((l: unknown) => typeof l === "string")) throw bad("its manifest.json lacks a Config file and a list of Layers");
    const layers = await Promise.all((m.Layers as string[]).map(async (l) => ({ ...layerFrom(l, digestFromName(l)), size: await sizeOf(l) })));
    // A tar that is both (cairn's, docker 25's): the OCI index names the manifest digest, when it
    // is the manifest of this very config.
    let manifestDigest: string | undefined;
    if (await exists("index.json")) {
      const d = (await read("index.json"))?.manifests?.[0]?.digest;
      const indexed = typeof d === "string" && /^sha256:[0-9a-f]{64}$/.test(d) && (await exists(blob(d))) ? await read(blob(d)) : undefined;
      const configDigest = indexed?.config?.digest;
      if (typeof configDigest === "string" && m.Config.endsWith(configDigest.replace("sha256:", ""))) manifestDigest = d;
    }
    const tag = Array.isArray(m.RepoTags) && typeof m.RepoTags[0] === "string" ? m.RepoTags[0] : undefined;
    source = { reference: tag ?? path.basename(file), ...(manifestDigest ? { manifestDigest } : {}), config: await read(m.Config), layers };
  } else if (await exists("index.json")) {
    const index = await read("index.json");
    const top = Array.isArray(index?.manifests) ? index.manifests[0] : undefined;
    let manifest = await read(blob(top?.digest));
    // An index of platforms: the first linux one.
    if (Array.isArray(manifest?.manifests)) {
      const entries = manifest.manifests.filter(isObject);
      manifest = await read(blob((entries.find((d: { platform?: { os?: string } }) => d.platform?.os === "linux") ?? entries[0])?.digest));
    }
    if (!isObject(manifest) || !Array.isArray(manifest.layers) || !manifest.layers.every((l: unknown) => isObject(l) && typeof l.digest === "string")) {
      throw bad("its manifest lacks a list of layers");
    }
    const refName = top?.annotations?.["org.opencontainers.image.ref.name"];
    source = {
      reference: typeof refName === "string" ? refName : path.basename(file),
      manifestDigest: top.digest,
      config: await read(blob(manifest.config?.digest)),
      layers: (manifest.layers as { digest: string; size: unknown }[]).map((l) => ({ ...layerFrom(blob(l.digest), l.digest), size: typeof l.size === "number" ? l.size : 0 })),
    };
  } else {
    throw notAnImage(file);
  }
  if (!isObject(source.config)) throw bad("its image config is not a JSON object");
  return source;
}

const TAR_HINT = "Give a tar written by cairn build, docker save, podman save or skopeo copy (docker-archive: or oci-archive:).";

function notAnImage(file: string): CairnError {
  return new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an image tar (no manifest.json or index.json in it).`, TAR_HINT);
}

/** skopeo names docker-archive layers by digest (`<hex>.tar`); docker by folder (`<hex>/layer.tar`). */
function digestFromName(member: string): string {
  const m = /([0-9a-f]{64})/.exec(member);
  return m ? `sha256:${m[1]}` : member;
}

/** Layers come gzipped or plain (zstd is refused by name): the first bytes tell. */
function maybeGunzip(input: Readable): Readable {
  return Readable.from(plainTar(input));
}

async function* plainTar(input: Readable): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, "A layer is zstd-compressed, which cairn's inspectors do not read yet.", "Convert the image with `skopeo copy --dest-compress-format gzip`.");
  }
  if (head[0] === 0x1f && head[1] === 0x8b) yield* Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>;
  else yield* all();
}
