// The image vocabulary, after go-containerregistry's v1: a Layer knows its two digests and opens
// its bytes lazily (a new stream per call); an Image is a config plus layers, never mutated.
import type { Readable } from "node:stream";

/** `sha256:<hex>` of a compressed blob as stored and pushed. */
export type Digest = string & { readonly __brand: "Digest" };
/** `sha256:<hex>` of a layer's uncompressed tar, as listed in the config's rootfs.diff_ids. */
export type DiffId = string & { readonly __brand: "DiffId" };

export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  /** In an index: the platform the manifest is for. */
  platform?: { architecture: string; os: string; variant?: string };
}

export interface Layer {
  /** Digest of the compressed bytes. */
  readonly digest: Digest;
  /** Digest of the uncompressed tar. */
  readonly diffId: DiffId;
  /** Size of the compressed bytes. */
  readonly size: number;
  readonly mediaType: string;
  /** A fresh stream of the bytes as stored (gzip, or plain tar, as `mediaType` says). */
  compressed(): Readable;
  /** compressed() fails by itself when the bytes are not `digest`'s (the store's blobs): a writer need not hash them again. */
  readonly checked?: boolean;
  /** A fresh stream of the layer's tar: the stored bytes, gunzipped when they are gzip. Hashes to `diffId`. */
  uncompressed(): Readable;
}

// The container config keys are what a definition writes; the image carries them as they are.
export type { ContainerConfig } from "../define/spec.js";

/**
 * The one image model: what every source yields and every reader (inspect, verify, flatten) takes.
 * A built or pulled image is an `Image`, which is one of these with its manifest known; an image
 * read from a docker-archive, which carries no manifest of its own, has no manifest digest.
 */
export interface ImageView {
  /** `name:tag` references; empty when it has none. */
  readonly repoTags: readonly string[];
  /** The config blob's exact bytes. */
  readonly config: Buffer;
  readonly manifestDigest?: Digest;
  /** Bottom first. */
  readonly layers: readonly Layer[];
  /** What to call it when it has no tag (the file it was read from). */
  readonly origin?: string;
  /** Read from an index of several platforms: all it holds (`linux/amd64`, …). */
  readonly platforms?: readonly string[];
}

/** The fields of an image config the readers use (OCI / Docker JSON). */
export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  config?: Record<string, unknown>;
  history?: { created_by?: string; empty_layer?: boolean }[];
  rootfs?: { diff_ids?: string[] };
  /** When the image was made (RFC 3339). */
  created?: string;
}

export interface Image {
  /** `name:tag` references this image is saved under. */
  readonly repoTags: string[];
  readonly config: Buffer;
  readonly configDigest: Digest;
  readonly manifest: Buffer;
  readonly manifestDigest: Digest;
  readonly layers: readonly Layer[];
}

/** One platform's image in an index, as the index's descriptor names it. */
export interface PlatformImage {
  platform: { os: string; architecture: string; variant?: string };
  image: Image;
}

/**
 * An image for several platforms: an OCI image index of one manifest per platform. A tar of it
 * still holds one image for `docker load` (which takes one platform): `primary`.
 */
export interface ImageIndex {
  readonly repoTags: string[];
  readonly index: Buffer;
  readonly indexDigest: Digest;
  readonly manifests: readonly PlatformImage[];
  /** The host's platform when the index has it, else the first. */
  readonly primary: Image;
}

export function isIndex(x: Image | ImageIndex): x is ImageIndex {
  return "manifests" in x;
}

/** Where a built image goes: a tar file, an OCI directory, stdout, a registry, an engine. */
export interface Sink {
  write(image: Image | ImageIndex): Promise<void>;
}

/** Where an image is read from: the same places. Each read yields the image as it is there now. */
export interface ImageSource {
  read(): Promise<ImageView>;
}
