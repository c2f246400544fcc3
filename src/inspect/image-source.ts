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
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} could not be read as an image tar: ${(e as Error).message}.`, "Give a tar written by cairn build, docker save, podman save or skopeo copy (docker-archive: or oci-archive:).");
  }
  const read = async (p: string) => JSON.parse(await fs.readFile(path.join(workDir, p), "utf8"));
  const exists = async (p: string) => !!(await fs.stat(path.join(workDir, p)).catch(() => undefined));
  const blob = (digest: string) => `blobs/${digest.replace(":", "/")}`;
  const layerFrom = (member: string, digest: string): SourceLayer => ({
    digest, size: 0, open: () => maybeGunzip(createReadStream(path.join(workDir, member))),
  });

  let source: ImageSource;
  if (await exists("manifest.json")) {
    const [m] = (await read("manifest.json")) as { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
    if (!m) throw notAnImage(file);
    const layers = await Promise.all(m.Layers.map(async (l) => ({ ...layerFrom(l, digestFromName(l)), size: (await fs.stat(path.join(workDir, l))).size })));
    // A tar that is both (cairn's, docker 25's): the OCI index names the manifest digest, when it
    // is the manifest of this very config.
    let manifestDigest: string | undefined;
    if (await exists("index.json")) {
      const d = (await read("index.json")).manifests?.[0]?.digest;
      const indexed = typeof d === "string" && (await exists(blob(d))) ? await read(blob(d)) : undefined;
      if (indexed?.config?.digest && m.Config.endsWith(indexed.config.digest.replace("sha256:", ""))) manifestDigest = d;
    }
    source = { reference: m.RepoTags?.[0] ?? path.basename(file), ...(manifestDigest ? { manifestDigest } : {}), config: await read(m.Config), layers };
  } else if (await exists("index.json")) {
    let manifest = await read(blob((await read("index.json")).manifests?.[0]?.digest ?? ""));
    // An index of platforms: the first linux one.
    if (manifest.manifests) manifest = await read(blob((manifest.manifests.find((d: { platform?: { os?: string } }) => d.platform?.os === "linux") ?? manifest.manifests[0]).digest));
    const index = await read("index.json");
    const refName = index.manifests?.[0]?.annotations?.["org.opencontainers.image.ref.name"];
    source = {
      reference: refName ?? path.basename(file),
      manifestDigest: index.manifests?.[0]?.digest,
      config: await read(blob(manifest.config.digest)),
      layers: (manifest.layers as { digest: string; size: number }[]).map((l) => ({ ...layerFrom(blob(l.digest), l.digest), size: l.size })),
    };
  } else {
    throw notAnImage(file);
  }
  return source;
}

function notAnImage(file: string): CairnError {
  return new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an image tar (no manifest.json or index.json in it).`, "Give a tar written by cairn build, docker save, podman save or skopeo copy (docker-archive: or oci-archive:).");
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
