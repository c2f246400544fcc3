// The tar-file sink: one file that is both an OCI image layout (skopeo oci-archive:, podman load)
// and a `docker save` archive (manifest.json, read by `docker load`), laid out as docker save 25+
// writes it. Layers are streamed from their source into the tar, never held in memory, and checked
// against their digest on the way: a corrupt cache blob fails the build instead of the image.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { CairnError, ErrorCode, isCairnError } from "../../errors.js";
import { buildIndex, digestOf, refAnnotations, splitRepoTag } from "../../image/manifest.js";
import { sortTarPaths, writeTar, type TarEntry } from "../../image/tar.js";
import { isIndex, MediaType, type Digest, type Image, type ImageIndex, type Layer, type Sink } from "../../image/types.js";
import { canonicalJson } from "../../store/store.js";

export interface ArchiveOptions {
  /** mtime of every tar entry, seconds since the epoch (default 0, as docker save uses). */
  mtime?: number;
}

/** Write `image` as a tar archive to `out`. `out` is not ended: the caller owns it (it may be stdout). */
export async function writeArchive(image: Image | ImageIndex, out: NodeJS.WritableStream, options: ArchiveOptions = {}): Promise<void> {
  const entries = archiveEntries(image, options.mtime ?? 0);
  await pipeline(Readable.from(writeTar(entries)), out, { end: false });
}

/** A sink writing the archive to `file`, atomically: an earlier file there survives a failed build. */
export function archiveSink(file: string, options: ArchiveOptions = {}): Sink {
  return {
    async write(image: Image | ImageIndex): Promise<void> {
      const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
      try {
        const ws = createWriteStream(tmp, { flags: "wx", mode: 0o644 });
        try {
          await writeArchive(image, ws, options);
          ws.end();
          await finished(ws);
        } catch (e) {
          ws.destroy();
          throw e;
        }
        await fs.rename(tmp, file);
      } catch (e) {
        await fs.rm(tmp, { force: true });
        if (isCairnError(e)) throw e;
        throw new CairnError(
          ErrorCode.OUTPUT_FAILED,
          `Could not write the image archive ${file}: ${(e as Error).message}`,
          `Check that ${path.dirname(path.resolve(file))} exists, is writable and has free space, or pick another path with -o.`,
          { cause: e },
        );
      }
    },
  };
}

/**
 * The archive's entries, sorted and unique, as writeTar wants them. For an index, index.json names
 * the image index (each manifest's blobs beside it) and manifest.json the primary platform's image.
 */
export function archiveEntries(image: Image | ImageIndex, mtime: number): TarEntry[] {
  const images = isIndex(image) ? image.manifests.map((m) => m.image) : [image];
  for (const i of images) checkImage(i);
  const hex = (d: Digest) => d.slice("sha256:".length);
  const blob = (d: Digest) => `blobs/sha256/${hex(d)}`;
  const file = (p: string, bytes: Uint8Array): TarEntry => ({
    path: p, type: "file", mode: 0o644, uid: 0, gid: 0, mtime, size: bytes.length, content: async function* () { yield bytes; },
  });
  const dir = (p: string): TarEntry => ({ path: p, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime });

  const top = isIndex(image)
    ? { mediaType: MediaType.ociIndex, digest: image.indexDigest, size: image.index.length }
    : { mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifest.length };
  const index = buildIndex(image.repoTags.length > 0 ? image.repoTags.map((t) => ({ ...top, annotations: refAnnotations(t) })) : [top]);
  // docker load reads one image: the primary platform's.
  const docker = isIndex(image) ? image.primary : image;
  const dockerManifest = [{
    Config: blob(docker.configDigest),
    RepoTags: docker.repoTags.map(familiarRepoTag),
    Layers: docker.layers.map((l) => blob(l.digest)),
  }];

  const entries = new Map<string, TarEntry>();
  const add = (e: TarEntry) => entries.set(e.path, e);
  add(dir("blobs"));
  add(dir("blobs/sha256"));
  add(file("oci-layout", Buffer.from('{"imageLayoutVersion":"1.0.0"}')));
  add(file("index.json", index));
  add(file("manifest.json", Buffer.from(canonicalJson(dockerManifest))));
  if (isIndex(image)) add(file(blob(image.indexDigest), image.index));
  for (const i of images) {
    add(file(blob(i.configDigest), i.config));
    add(file(blob(i.manifestDigest), i.manifest));
    // A layer listed twice (in one image, or the same on two platforms) is one blob; the Map keeps the first.
    for (const layer of i.layers) {
      const p = blob(layer.digest);
      if (!entries.has(p)) add({ path: p, type: "file", mode: 0o644, uid: 0, gid: 0, mtime, size: layer.size, content: () => verified(layer) });
    }
  }
  return [...entries.values()].sort((a, b) => sortTarPaths(a.path, b.path));
}

/** The layer's compressed bytes, failing if they don't match its digest and size (hashed here unless its source checks them). */
async function* verified(layer: Layer): AsyncGenerator<Uint8Array> {
  const h = layer.checked ? undefined : createHash("sha256");
  let n = 0;
  for await (const chunk of layer.compressed() as AsyncIterable<Uint8Array>) {
    h?.update(chunk);
    n += chunk.length;
    if (n > layer.size) break;
    yield chunk;
  }
  const got = h ? `sha256:${h.digest("hex")}` : layer.digest;
  if (n !== layer.size || got !== layer.digest) {
    throw new CairnError(
      ErrorCode.OUTPUT_FAILED,
      `Layer ${layer.digest} read back as ${n > layer.size ? "more than " : ""}${n} bytes with digest ${got}, ` +
        `but it should be ${layer.size} bytes with that digest: its cached copy is damaged.`,
      "Remove the blob from the cache (or use a fresh --cache-dir) and build again.",
    );
  }
}

// Inconsistent images are bugs in cairn, not user errors: plain Errors.
function checkImage(image: Image): void {
  if (digestOf(image.config) !== image.configDigest) throw new Error(`image config does not match its digest ${image.configDigest}`);
  if (digestOf(image.manifest) !== image.manifestDigest) throw new Error(`image manifest does not match its digest ${image.manifestDigest}`);
  const m = JSON.parse(image.manifest.toString("utf8")) as { config?: { digest?: string }; layers?: { digest?: string }[] };
  const listed = (m.layers ?? []).map((l) => l.digest);
  if (m.config?.digest !== image.configDigest || listed.join() !== image.layers.map((l) => l.digest).join()) {
    throw new Error("image manifest does not list the image's config and layers");
  }
}

/** Docker's short form in manifest.json: `docker.io/library/redis:7` → `redis:7`. */
function familiarRepoTag(repoTag: string): string {
  const { name, tag } = splitRepoTag(repoTag);
  const short = name.replace(/^docker\.io\/(library\/(?=[^/]+$))?/, "");
  return `${short}:${tag}`;
}
