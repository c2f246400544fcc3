// A base image from a tar on disk. Two layouts reach us: an OCI layout (index.json and blobs/, as
// cairn, docker save 25+ and `skopeo copy oci-archive:` write) and the older docker-archive
// (manifest.json naming a config file and one tar per layer, as docker save before 25 and
// `skopeo copy docker-archive:` write). A docker-archive has no manifest of its own, so one is
// made from what it holds — the layers as they are stored, each by the sha256 of its bytes — and
// its digest is what cairn.lock pins, the same every time for the same file.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { CairnError, ErrorCode } from "../../errors.js";
import { digestOf } from "../../image/manifest.js";
import { MediaType } from "../../image/types.js";
import { canonicalJson, type Store } from "../../store/store.js";

/** Bumped when the manifest made for a docker-archive changes shape. */
const ARCHIVE_FORMAT = 1;

export interface DockerArchive {
  /** Digest of the manifest made for it (canonical JSON). */
  digest: string;
  manifest: Buffer;
  config: Buffer;
  /** Tar member → sha256 hex of its bytes, for every layer. */
  layers: [member: string, hex: string][];
}

const HINT = "Give a tar written by cairn build, docker save, podman save or skopeo copy (oci-archive: or docker-archive:), or an OCI layout folder.";

/** The manifest digest of an image tar or OCI folder: its index.json's first image, or the one made for a docker-archive. */
export async function localManifestDigest(file: string, store?: Store): Promise<string> {
  if (await isDirectory(file)) {
    const index = JSON.parse(await readFile(path.join(file, "index.json"), "utf8").catch(() => "{}")) as { manifests?: { digest?: string }[] };
    const digest = index.manifests?.[0]?.digest;
    if (!digest) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an OCI image layout (no index.json naming a manifest).`, HINT);
    return digest;
  }
  const members = await readMembers(file, (name) => name === "index.json" || name === "manifest.json");
  const index = members.get("index.json") as { manifests?: { digest?: unknown }[] } | null | undefined;
  const digest = index?.manifests?.[0]?.digest;
  if (typeof digest === "string" && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
  if (digest !== undefined) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its index.json names the manifest ${JSON.stringify(digest)}, not sha256:<64 hex>.`, HINT);
  if (members.has("manifest.json")) return (await dockerArchive(file, store)).digest;
  throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an image tar (no index.json or manifest.json in it).`, HINT);
}

/**
 * A docker-archive read whole once: the config, and each layer hashed as stored. Remembered by
 * the file's size, times and inode (as git's index does), so an unchanged base is not re-read.
 */
export async function dockerArchive(file: string, store?: Store): Promise<DockerArchive> {
  const st = await stat(file);
  const stamp = `${ARCHIVE_FORMAT}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  const key = createHash("sha256").update(path.resolve(file)).digest("hex");
  const known = await store?.getEntry<{ stamp: string; manifest: string; config: string; layers: [string, string][] }>("docker-archive", key);
  if (known?.stamp === stamp) {
    const manifest = Buffer.from(known.manifest, "base64");
    return { digest: digestOf(manifest), manifest, config: Buffer.from(known.config, "base64"), layers: known.layers };
  }
  const tar = await import("tar-stream");
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), extract);
  feeding.catch(() => {});
  const contents = new Map<string, Buffer>();
  const hashed = new Map<string, { hex: string; size: number; gzip: boolean }>();
  try {
    for await (const item of extract) {
      const name = path.posix.normalize(item.header.name.replace(/^\.?\//, ""));
      if (item.header.type !== "file") {
        item.resume();
        continue;
      }
      // JSON members are small and read whole; every other file is hashed as it streams by.
      if (name.endsWith(".json")) {
        const chunks: Buffer[] = [];
        for await (const c of item as unknown as AsyncIterable<Buffer>) chunks.push(c);
        contents.set(name, Buffer.concat(chunks));
        continue;
      }
      const h = createHash("sha256");
      let size = 0;
      let head: Buffer | undefined;
      for await (const c of item as unknown as AsyncIterable<Buffer>) {
        head ??= c;
        h.update(c);
        size += c.length;
      }
      hashed.set(name, { hex: h.digest("hex"), size, gzip: head?.[0] === 0x1f && head[1] === 0x8b });
    }
    await feeding;
  } catch (e) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} could not be read as an image tar: ${(e as Error).message}.`, HINT);
  }
  let list: unknown;
  try {
    list = JSON.parse(contents.get("manifest.json")?.toString("utf8") ?? "[]");
  } catch {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its manifest.json is not JSON.`, HINT);
  }
  const [entry, ...more] = (Array.isArray(list) ? list : []) as { Config?: unknown; Layers?: unknown[] }[];
  if (typeof entry?.Config !== "string" || !entry.Config || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === "string")) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its manifest.json names no image.`, HINT);
  }
  if (more.length) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} holds ${more.length + 1} images; a base is one.`, "Save just the one image (docker save IMAGE:TAG), or use its OCI form (skopeo copy ... oci-archive:FILE).");
  const config = contents.get(path.posix.normalize(entry.Config));
  if (!config) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its manifest.json names the config ${entry.Config}, which is not in the tar.`, HINT);
  const layers = (entry.Layers as string[]).map((l) => {
    const member = path.posix.normalize(l);
    const h = hashed.get(member);
    if (!h) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its manifest.json names the layer ${l}, which is not in the tar.`, HINT);
    return { member, ...h };
  });
  const manifest = Buffer.from(canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${l.hex}`, size: l.size })),
  }));
  const result: DockerArchive = { digest: digestOf(manifest), manifest, config, layers: layers.map((l) => [l.member, l.hex]) };
  await store?.putEntry("docker-archive", key, { stamp, manifest: manifest.toString("base64"), config: config.toString("base64"), layers: result.layers });
  return result;
}

/** Every blob of a docker-archive into the store (layers verified against their hashes), and the made manifest. */
export async function storeDockerArchive(file: string, archive: DockerArchive, store: Store): Promise<void> {
  await store.writeBlob(archive.config, undefined, `the config of ${file}`);
  await store.writeBlob(archive.manifest, undefined, `the manifest made for ${file}`);
  const wanted = new Map(archive.layers);
  const tar = await import("tar-stream");
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), extract);
  feeding.catch(() => {});
  for await (const item of extract) {
    const hex = wanted.get(path.posix.normalize(item.header.name.replace(/^\.?\//, "")));
    if (hex && item.header.type === "file" && !(await store.hasBlob(hex))) await store.writeBlobStream(item as unknown as AsyncIterable<Uint8Array>, hex, `a layer of ${file}`);
    else item.resume();
  }
  await feeding;
}

async function readMembers(file: string, want: (name: string) => boolean): Promise<Map<string, unknown>> {
  const tar = await import("tar-stream");
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), extract);
  feeding.catch(() => {});
  const found = new Map<string, unknown>();
  try {
    for await (const item of extract) {
      const name = item.header.name.replace(/^\.\//, "");
      if (!want(name)) {
        item.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of item as unknown as AsyncIterable<Buffer>) chunks.push(c);
      found.set(name, JSON.parse(Buffer.concat(chunks).toString("utf8")));
    }
    await feeding;
  } catch (e) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} could not be read as an image tar: ${(e as Error).message}.`, HINT);
  }
  return found;
}

export async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
