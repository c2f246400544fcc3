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
import { createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import type { Readable } from "node:stream";
import { sniffedTar } from "../../image/layer.js";
import { platformString } from "../registry/pull.js";
import { digestOf } from "../../image/manifest.js";
import { MediaType, type DiffId, type Digest, type ImageSource, type ImageView, type Layer } from "../../image/types.js";
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

/**
 * The manifest digest of an image tar or OCI folder: its index.json's first image, or the one made
 * for a docker-archive. When index.json names an image index (cairn's tar of several platforms),
 * the manifest for `want` is taken from it — without `want`, such a file is refused by the caller.
 */
export async function localManifestDigest(file: string, store?: Store, want?: WantedPlatform): Promise<string> {
  const dir = await isDirectory(file);
  let first: { digest?: unknown; mediaType?: unknown } | undefined;
  if (dir) {
    const index = JSON.parse(await readFile(path.join(file, "index.json"), "utf8").catch(() => "{}")) as { manifests?: { digest?: unknown; mediaType?: unknown }[] };
    first = index.manifests?.[0];
    if (typeof first?.digest !== "string") throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an OCI image layout (no index.json naming a manifest).`, HINT);
  } else {
    const members = await readMembers(file, (name) => name === "index.json" || name === "manifest.json");
    const index = members.get("index.json") as { manifests?: { digest?: unknown; mediaType?: unknown }[] } | null | undefined;
    first = index?.manifests?.[0];
    if (first?.digest === undefined) {
      if (members.has("manifest.json")) return (await dockerArchive(file, store)).digest;
      throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an image tar (no index.json or manifest.json in it).`, HINT);
    }
  }
  const digest = first.digest;
  if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: its index.json names the manifest ${JSON.stringify(digest)}, not sha256:<64 hex>.`, HINT);
  if (first.mediaType !== MediaType.ociIndex || !want) return digest;
  return platformManifest(file, dir, digest, want);
}

/** The manifest of `want`'s platform in the image index `digest` of a tar or folder. */
async function platformManifest(file: string, dir: boolean, digest: string, want: WantedPlatform): Promise<string> {
  const member = `blobs/sha256/${digest.slice(7)}`;
  const index = (dir ? JSON.parse(await readFile(path.join(file, member), "utf8").catch(() => "{}")) : (await readMembers(file, (name) => name === member)).get(member)) as
    { manifests?: { digest?: unknown; platform?: { os?: string; architecture?: string; variant?: string } }[] } | undefined;
  const manifests = index?.manifests ?? [];
  const found = entryFor(manifests, want);
  if (typeof found?.digest === "string" && /^sha256:[0-9a-f]{64}$/.test(found.digest)) return found.digest;
  const has = manifests.map((m) => platformString({ os: "linux", ...m.platform })).join(", ") || "none";
  throw new CairnError(ErrorCode.PLATFORM_MISSING, `${file} holds images for ${has}, not ${want.name}.`, `Build the base for ${want.name} too (its platforms), or leave ${want.name} out of this image's platforms.`);
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

/**
 * An image tar unpacked into `workDir` (its members are needed more than once and a tar cannot
 * seek): OCI layout (index.json) or docker-archive (manifest.json), compressed layers or not.
 */
/** The platform a reader asks of a tar or layout that may hold several: OCI's words (`arm64`, `arm` + `v7`). */
export interface WantedPlatform {
  architecture: string;
  variant?: string;
  /** As the user wrote it, for messages (`linux/arm/v7`). */
  name: string;
}

/** `want` from a platform in OCI's words (an image config's, or platformOf's). */
export function asWanted(p: { architecture: string; variant?: string }): WantedPlatform {
  return { architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}), name: platformString({ os: "linux", ...p }) };
}

type PlatformEntry = { platform?: { os?: string; architecture?: string; variant?: string } };

/** An index's entry for `want`: linux, that architecture, and its variant when both name one. */
function entryFor<E extends PlatformEntry>(entries: readonly E[], want: WantedPlatform): E | undefined {
  return entries.find((e) => (e.platform?.os ?? "linux") === "linux" && e.platform?.architecture === want.architecture && (!want.variant || !e.platform.variant || e.platform.variant === want.variant));
}

export async function readImageTar(file: string, workDir: string, want?: WantedPlatform): Promise<ImageView> {
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
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} could not be read as an image tar: ${(e as Error).message}.`, HINT);
  }
  const bad = (why: string) => new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not a readable image tar: ${why}.`, HINT);
  const members = layoutMembers(workDir, bad);
  // A platform asked of a tar that is both: its OCI index has every platform, manifest.json one.
  if (want && (await members.exists("index.json"))) return ociLayoutIn(members, path.basename(file), bad, want);
  if (await members.exists("manifest.json")) return onPlatform(await dockerArchiveIn(members, file, bad), file, want);
  if (await members.exists("index.json")) return ociLayoutIn(members, path.basename(file), bad, want);
  throw notAnImage(file);
}

/** The image, when it is for the platform asked (a docker-archive holds one image of one platform). */
function onPlatform(image: ImageView, file: string, want: WantedPlatform | undefined): ImageView {
  if (!want) return image;
  const config = JSON.parse(image.config.toString("utf8")) as { architecture?: string; variant?: string };
  if (config.architecture === want.architecture && (!want.variant || !config.variant || config.variant === want.variant)) return image;
  const has = platformString({ os: "linux", ...config });
  throw new CairnError(ErrorCode.PLATFORM_MISSING, `${file} holds one image, for ${has}, not ${want.name}.`, `Leave out --platform, or give a tar built for ${want.name} (cairn build --platform ${want.name}).`);
}

/** An OCI image layout folder (`oci:DIR`, cairn's -o DIR.oci), read in place. */
export async function readLayoutDir(dir: string, want?: WantedPlatform): Promise<ImageView> {
  const bad = (why: string) => new CairnError(ErrorCode.BAD_REFERENCE, `${dir} is not a readable OCI image layout: ${why}.`, HINT);
  const members = layoutMembers(dir, bad);
  if (!(await members.exists("index.json"))) throw new CairnError(ErrorCode.BAD_REFERENCE, `${dir} is not an OCI image layout (no index.json in it).`, HINT);
  return ociLayoutIn(members, path.basename(dir), bad, want);
}

/** The image tar at `file` as a source: unpacked into `workDir` (which the caller removes) on each read. */
export function archiveSource(file: string, workDir: string): ImageSource {
  return { read: () => readImageTar(file, workDir) };
}

type Bad = (why: string) => CairnError;

/** What Docker calls a layer in a docker-archive (a plain tar, as a rule; its bytes are sniffed anyway). */
const DOCKER_ARCHIVE_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
type Members = ReturnType<typeof layoutMembers>;

/**
 * The members of an unpacked image tar or layout. Every JSON member is untrusted: a path it names
 * must stay inside, a member must be there and hold JSON, and each field is checked before use.
 */
function layoutMembers(root: string, bad: Bad) {
  const member = (p: unknown): string => {
    // Normalised as the members were when unpacked.
    const name = typeof p === "string" ? path.posix.normalize(p.replace(/^\.?\//, "")) : "..";
    if (name.startsWith("..") || path.posix.isAbsolute(name)) throw bad(`it names ${JSON.stringify(p)} where a member belongs`);
    return path.join(root, name);
  };
  const bytes = (p: unknown): Promise<Buffer> =>
    fs.readFile(member(p)).catch((e: NodeJS.ErrnoException) => {
      throw e.code === "ENOENT" || e.code === "EISDIR" || e.code === "ENOTDIR" ? bad(`it names ${p}, which it does not hold`) : e;
    });
  const json = (text: Buffer, p: unknown): any => {
    try {
      return JSON.parse(text.toString("utf8"));
    } catch {
      throw bad(`${p} is not JSON`);
    }
  };
  return {
    member,
    bytes,
    read: async (p: unknown): Promise<any> => json(await bytes(p), p),
    json,
    exists: async (p: string) => !!(await fs.stat(path.join(root, p)).catch(() => undefined)),
    blob: (digest: unknown) => {
      if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(`it names the blob ${JSON.stringify(digest)}, not sha256:<64 hex>`);
      return `blobs/${digest.replace(":", "/")}`;
    },
    sizeOf: async (p: string) => (await fs.stat(member(p)).catch(() => { throw bad(`it names ${p}, which it does not hold`); })).size,
  };
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A layer of a tar someone else wrote: its media type is not trusted (docker-archives have none),
 * its first bytes tell gzip or plain; its diffId is what the config lists for it.
 */
function tarLayer(file: string, digest: string, size: number, mediaType: string, diffId: string | undefined): Layer {
  const compressed = () => createReadStream(file);
  return {
    digest: digest as Digest, diffId: (diffId ?? digest) as DiffId, size, mediaType, compressed,
    uncompressed: () => sniffedTar(compressed()),
  };
}

const diffIdsOf = (config: any): (string | undefined)[] => (Array.isArray(config?.rootfs?.diff_ids) ? config.rootfs.diff_ids.map((d: unknown) => (typeof d === "string" ? d : undefined)) : []);

async function dockerArchiveIn(members: Members, file: string, bad: Bad): Promise<ImageView> {
  const list = await members.read("manifest.json");
  const m = Array.isArray(list) ? list[0] : undefined;
  if (!isObject(m)) throw notAnImage(file);
  if (typeof m.Config !== "string" || !Array.isArray(m.Layers) || !m.Layers.every((l: unknown) => typeof l === "string")) throw bad("its manifest.json lacks a Config file and a list of Layers");
  const config = await members.bytes(m.Config);
  const diffIds = diffIdsOf(members.json(config, m.Config));
  const layers = await Promise.all((m.Layers as string[]).map(async (l, i) => tarLayer(members.member(l), digestFromName(l), await members.sizeOf(l), DOCKER_ARCHIVE_LAYER, diffIds[i])));
  // A tar that is both (cairn's, docker 25's): the OCI index names the manifest digest, when it
  // is the manifest of this very config.
  let manifestDigest: string | undefined;
  let platforms: string[] | undefined;
  if (await members.exists("index.json")) {
    const d = (await members.read("index.json"))?.manifests?.[0]?.digest;
    const readBlob = async (x: unknown) => (typeof x === "string" && /^sha256:[0-9a-f]{64}$/.test(x) && (await members.exists(members.blob(x))) ? await members.read(members.blob(x)) : undefined);
    const indexed = await readBlob(d);
    const isThis = (mf: any) => typeof mf?.config?.digest === "string" && m.Config.endsWith(mf.config.digest.replace("sha256:", ""));
    if (isThis(indexed)) manifestDigest = d;
    // An index of platforms (cairn's multi-platform tar): manifest.json holds one of them.
    if (Array.isArray(indexed?.manifests)) {
      const entries = (indexed.manifests as unknown[]).filter(isObject) as { digest?: unknown; platform?: { os?: string; architecture?: string; variant?: string } }[];
      platforms = entries.map((e) => platformString(e.platform ?? {}));
      for (const e of entries) if (isThis(await readBlob(e.digest))) manifestDigest = e.digest as string;
    }
  }
  const tags = Array.isArray(m.RepoTags) ? m.RepoTags.filter((t: unknown): t is string => typeof t === "string") : [];
  return checked({ repoTags: tags, origin: path.basename(file), ...(manifestDigest ? { manifestDigest: manifestDigest as Digest } : {}), config, layers, ...(platforms ? { platforms } : {}) }, bad);
}

async function ociLayoutIn(members: Members, origin: string, bad: Bad, want?: WantedPlatform): Promise<ImageView> {
  const index = await members.read("index.json");
  const top = Array.isArray(index?.manifests) ? index.manifests[0] : undefined;
  let manifestDigest: unknown = top?.digest;
  let manifest = await members.read(members.blob(manifestDigest));
  let platforms: string[] | undefined;
  // An index of platforms: the one asked for, else the first linux one.
  if (Array.isArray(manifest?.manifests)) {
    const entries = (manifest.manifests as unknown[]).filter(isObject) as (PlatformEntry & { digest?: unknown })[];
    platforms = entries.map((e) => platformString(e.platform ?? {}));
    const pick = want ? entryFor(entries, want) : (entries.find((e) => e.platform?.os === "linux") ?? entries[0]);
    if (!pick) throw new CairnError(ErrorCode.PLATFORM_MISSING, `${origin} has no image for ${want!.name}; it holds ${platforms.join(", ")}.`, `Pick one of those with --platform, or build for ${want!.name} too.`);
    manifestDigest = pick.digest;
    manifest = await members.read(members.blob(manifestDigest));
  }
  if (!isObject(manifest) || !Array.isArray(manifest.layers) || !manifest.layers.every((l: unknown) => isObject(l) && typeof l.digest === "string")) {
    throw bad("its manifest lacks a list of layers");
  }
  const config = await members.bytes(members.blob(manifest.config?.digest));
  const diffIds = diffIdsOf(members.json(config, "its config"));
  const refName = top?.annotations?.["org.opencontainers.image.ref.name"];
  // A tar that is also a docker-archive names the image in full there (`redis:7`, not the ref name `7`).
  const dockerList = (await members.exists("manifest.json")) ? await members.read("manifest.json") : undefined;
  const dockerTags = Array.isArray(dockerList) && Array.isArray(dockerList[0]?.RepoTags) ? (dockerList[0].RepoTags as unknown[]).filter((t): t is string => typeof t === "string") : [];
  const layers = (manifest.layers as { digest: string; size: unknown; mediaType?: unknown }[]).map((l, i) =>
    tarLayer(members.member(members.blob(l.digest)), l.digest, typeof l.size === "number" ? l.size : 0, typeof l.mediaType === "string" ? l.mediaType : MediaType.ociLayerGzip, diffIds[i]));
  const image = checked({ repoTags: dockerTags.length ? dockerTags : typeof refName === "string" ? [refName] : [], origin, manifestDigest: manifestDigest as Digest, config, layers, ...(platforms ? { platforms } : {}) }, bad);
  return platforms ? image : onPlatform(image, origin, want);
}

function checked(image: ImageView, bad: Bad): ImageView {
  let config: unknown;
  try {
    config = JSON.parse(image.config.toString("utf8"));
  } catch {
    throw bad("its image config is not JSON");
  }
  if (!isObject(config)) throw bad("its image config is not a JSON object");
  return image;
}


function notAnImage(file: string): CairnError {
  return new CairnError(ErrorCode.BAD_REFERENCE, `${file} is not an image tar (no manifest.json or index.json in it).`, HINT);
}

/** skopeo names docker-archive layers by digest (`<hex>.tar`); docker by folder (`<hex>/layer.tar`). */
function digestFromName(member: string): string {
  const m = /([0-9a-f]{64})/.exec(member);
  return m ? `sha256:${m[1]}` : member;
}

