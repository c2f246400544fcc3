// The OCI image manifest (config + layer descriptors) and the index.json that names it. Both
// canonical JSON: the manifest digest is what `cairn build` prints and what must match across
// machines.
import { canonicalJson, sha256Hex } from "../store/store.js";
import { MediaType, type Descriptor, type Digest, type ImageIndex, type PlatformImage } from "./types.js";

export function digestOf(bytes: Uint8Array | string): Digest {
  return `sha256:${sha256Hex(bytes)}` as Digest;
}

/** A descriptor of some JSON bytes (the config, a manifest). */
export function describe(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) };
}

export function buildManifest(config: Descriptor, layers: readonly Descriptor[], annotations?: Record<string, string>): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers,
    annotations: annotations && Object.keys(annotations).length > 0 ? annotations : undefined,
  };
  return Buffer.from(canonicalJson(manifest), "utf8");
}

/** `index.json` of an OCI layout: one descriptor per name the manifest is saved under. */
export function buildIndex(manifests: Descriptor | readonly Descriptor[]): Buffer {
  const list = Array.isArray(manifests) ? manifests : [manifests as Descriptor];
  return Buffer.from(canonicalJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: list }), "utf8");
}

/**
 * Annotations `docker save` puts on each manifest of its index.json: the tag alone as the OCI
 * ref name, the full reference (docker.io/library/… for short names) as containerd's image name.
 */
export function refAnnotations(repoTag: string): Record<string, string> {
  const { name, tag } = splitRepoTag(repoTag);
  return {
    "io.containerd.image.name": `${normaliseName(name)}:${tag}`,
    "org.opencontainers.image.ref.name": tag,
  };
}

/** `name:tag` → parts; a `:` inside a registry host (`localhost:5000/x`) is not the tag. */
export function splitRepoTag(repoTag: string): { name: string; tag: string } {
  const slash = repoTag.lastIndexOf("/");
  const colon = repoTag.lastIndexOf(":");
  if (colon > slash && colon > 0 && colon < repoTag.length - 1) {
    return { name: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
  }
  return { name: repoTag, tag: "latest" };
}

// Docker's rule: a first component with a dot or a port, or `localhost`, is a registry host.
function normaliseName(name: string): string {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) return name;
  return slash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/**
 * An image index of one manifest per platform, in the order given; `primary` is the image a
 * docker-archive holds beside it (docker load takes one platform).
 */
export function buildPlatformIndex(manifests: readonly PlatformImage[], primary: PlatformImage): ImageIndex {
  const index = buildIndex(manifests.map(({ platform, image }) => ({
    mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifest.length,
    platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
  })));
  return { repoTags: primary.image.repoTags, index, indexDigest: digestOf(index), manifests, primary: primary.image };
}
