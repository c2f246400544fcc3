// Attaching an artifact (an SBOM) to an image already pushed, as the OCI distribution spec 1.1
// says: an image manifest with an artifactType, the empty config, the artifact as its one layer
// and the image as its `subject`, pushed by digest. A registry with the referrers API indexes it
// by itself; for one without (distribution 2.8, Debian's docker-registry) the client keeps the
// index under the tag `sha256-<hex of the subject>` (the referrers tag schema).
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { CairnError, ErrorCode } from "../../errors.js";
import { MediaType, type Descriptor, type Digest, type DiffId, type Image } from "../../image/types.js";
import { RegistryClient } from "./client.js";
import { pushImage, type PushOptions } from "./push.js";
import { formatReference, parseReference } from "./reference.js";
import { layerOf } from "../../image/layer.js";

/** The spec's empty descriptor: the two bytes `{}`. */
export const EMPTY_CONFIG = { mediaType: "application/vnd.oci.empty.v1+json", digest: `sha256:${sha256("{}")}`, size: 2 } as const;

export interface Artifact {
  /** e.g. application/spdx+json; also the layer's media type. */
  artifactType: string;
  bytes: Buffer;
  /** The image manifest it is about. */
  subject: Descriptor;
  /** Manifest annotations (org.opencontainers.image.created…), written sorted. */
  annotations?: Record<string, string>;
}

/** The artifact's manifest bytes (canonical: fixed key order, sorted annotations). */
export function artifactManifest(a: Artifact): Buffer {
  const annotations = Object.fromEntries(Object.entries(a.annotations ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: a.artifactType,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: a.artifactType, digest: `sha256:${sha256(a.bytes)}`, size: a.bytes.length }],
    subject: { mediaType: a.subject.mediaType, digest: a.subject.digest, size: a.subject.size },
    ...(Object.keys(annotations).length ? { annotations } : {}),
  }));
}

/** The fallback tag of the referrers tag schema: `<alg>-<hex>`. */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

export interface ReferrerResult {
  /** The artifact manifest's digest. */
  digest: string;
  /** How the registry will list it: its referrers API, or the fallback tag cairn updated. */
  listedBy: { api: true } | { tag: string };
}

/** Pushes the artifact to the repository of `ref` and makes the subject's referrers list it. */
export async function pushReferrer(a: Artifact, ref: string, opts: PushOptions = {}): Promise<ReferrerResult> {
  const parsed = parseReference(ref);
  const manifest = artifactManifest(a);
  const manifestDigest = `sha256:${sha256(manifest)}` as Digest;
  const layerDigest = `sha256:${sha256(a.bytes)}` as Digest;
  // The artifact as an Image, so the push (blob checks, uploads, retries) is the images' own.
  const artifact: Image = {
    repoTags: [],
    config: Buffer.from("{}"),
    configDigest: EMPTY_CONFIG.digest as Digest,
    manifest,
    manifestDigest,
    layers: [layerOf({ digest: layerDigest, diffId: layerDigest as string as DiffId, size: a.bytes.length, mediaType: a.artifactType, compressed: () => Readable.from([a.bytes]) })],
  };
  const repo = { ...parsed, tag: undefined, digest: undefined };
  await pushImage(artifact, `${formatReference(repo)}@${manifestDigest}`, { ...opts, reporter: undefined, onProgress: undefined });

  const where = `${parsed.registry}/${parsed.repository}`;
  const client = await RegistryClient.open({
    registry: parsed.registry, repository: parsed.repository, credentials: opts.credentials, insecure: opts.insecure,
    caFile: opts.caFile, action: `attaching an artifact to ${where}`, attempts: opts.attempts, retryDelayMs: opts.retryDelayMs,
  });
  const path = `/v2/${parsed.repository}`;
  const api = await client.request({
    method: "GET", url: `${path}/referrers/${a.subject.digest}`, step: "asking for the referrers API", ok: [200, 400, 404, 405],
    headers: { accept: MediaType.ociIndex },
  });
  if (api.status === 200 && String(api.headers["content-type"] ?? "").startsWith(MediaType.ociIndex)) return { digest: manifestDigest, listedBy: { api: true } };

  // The fallback: read the index under the tag, add this artifact unless it is there, write it back.
  const tag = referrersTag(a.subject.digest);
  const current = await client.request({
    method: "GET", url: `${path}/manifests/${tag}`, step: `reading the referrers index ${tag}`, ok: [200, 404], headers: { accept: MediaType.ociIndex },
  });
  let index: { schemaVersion: number; mediaType: string; manifests: Record<string, unknown>[] } = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  if (current.status === 200) {
    try {
      index = JSON.parse(current.body.toString("utf8"));
      if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    } catch (e) {
      throw new CairnError(ErrorCode.REGISTRY_REJECTED, `attaching an artifact to ${where}: the tag ${tag} holds something other than a referrers index (${(e as Error).message})`,
        `the tag ${tag} is reserved for the OCI referrers tag schema; remove what is tagged there and push again`);
    }
  }
  if (!index.manifests.some((m) => m["digest"] === manifestDigest)) {
    index.manifests.push({
      mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifest.length, artifactType: a.artifactType,
      ...(a.annotations && Object.keys(a.annotations).length ? { annotations: a.annotations } : {}),
    });
    await client.request({
      method: "PUT", url: `${path}/manifests/${tag}`, step: `updating the referrers index ${tag}`, ok: [200, 201],
      headers: { "content-type": MediaType.ociIndex }, body: Buffer.from(JSON.stringify(index)),
    });
  }
  return { digest: manifestDigest, listedBy: { tag } };
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
