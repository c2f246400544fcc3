// Image manifests from both places cairn reads them: a registry (pullImage against an in-process
// fake registry serving near-valid and arbitrary JSON for index, manifest and config) and image
// tars (docker-archive manifest.json, OCI index.json, read by dockerArchive, localManifestDigest
// and readImageTar). Each rejects only with the CairnErrors it documents.
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.js";
import { MediaType } from "../../src/image/types.js";
import { readImageTar } from "../../src/transports/archive/source.js";
import { dockerArchive, localManifestDigest } from "../../src/transports/archive/source.js";
import { DockerMediaType, pullImage } from "../../src/transports/registry/pull.js";
import { Store } from "../../src/store/store.js";
import { scratchDir, tarArchive } from "./bytes.js";
import { rejected, typedAsync, type FuzzProperty } from "./harness.js";

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? "null");

/** Mostly the right value, sometimes anything JSON can hold: near-valid documents. */
const near = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 4 });
const drop = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const layerBlobs = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)), { maxLength: 3 });
const mediaTypes = [MediaType.ociLayerGzip, DockerMediaType.layerGzip, MediaType.ociLayerGzip, DockerMediaType.layerGzip, "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar"];

/** Everything an image is made of, each part near-valid: the registry and the tars are built from it. */
const imageParts = fc
  .record({
    layers: layerBlobs,
    os: near(fc.constantFrom("linux", "linux", "linux", "windows")),
    architecture: near(fc.constantFrom("amd64", "amd64", "amd64", "arm64")),
    diffIdsFit: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    configRaw: fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) }, { weight: 8, arbitrary: fc.constant(undefined) }),
    layerMediaType: near(fc.constantFrom(...mediaTypes)),
    layerDigestOk: near(fc.constant(true)),
    configDigestOk: near(fc.constant(true)),
    manifestMediaType: maybe(near(fc.constantFrom(MediaType.ociManifest, DockerMediaType.manifest, MediaType.ociManifest, DockerMediaType.manifest, MediaType.ociIndex))),
    manifestWhole: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }),
    index: maybe(fc.record({
      mediaType: maybe(near(fc.constantFrom(MediaType.ociIndex, DockerMediaType.manifestList))),
      extra: fc.array(near(fc.record({ digest: near(fc.constant("sha256:" + "0".repeat(64))), platform: near(fc.record({ os: near(fc.constant("linux")), architecture: near(fc.constantFrom("arm", "s390x")) })) })), { maxLength: 3 }),
      entryPlatform: near(fc.record({ os: near(fc.constant("linux")), architecture: near(fc.constantFrom("amd64", "amd64", "arm64")), variant: maybe(near(fc.constant("v8"))) }, { requiredKeys: ["os", "architecture"] })),
      manifests: near(fc.constant(true)),
    })),
    contentType: maybe(fc.constantFrom(MediaType.ociManifest, MediaType.ociManifest, MediaType.ociIndex, "text/plain")),
  });
type Parts = typeof imageParts extends fc.Arbitrary<infer T> ? T : never;

interface Image { blobs: Map<string, Buffer>; config: Buffer; manifest: Buffer; top: Buffer; layers: Buffer[] }
function build(p: Parts): Image {
  const blobs = new Map<string, Buffer>();
  const layers = p.layers;
  for (const l of layers) blobs.set(sha(l), l);
  const diffIds = (p.diffIdsFit ? layers : layers.slice(1)).map((l) => sha(l));
  const config = p.configRaw ?? json({ os: p.os, architecture: p.architecture, rootfs: { type: "layers", diff_ids: diffIds } });
  blobs.set(sha(config), config);
  const manifest = p.manifestWhole !== undefined ? json(p.manifestWhole) : json(drop({
    schemaVersion: 2,
    mediaType: p.manifestMediaType,
    config: { mediaType: MediaType.ociConfig, digest: p.configDigestOk === true ? sha(config) : p.configDigestOk, size: config.length },
    layers: layers.map((l) => ({ mediaType: p.layerMediaType, digest: p.layerDigestOk === true ? sha(l) : p.layerDigestOk, size: l.length })),
  }));
  blobs.set(sha(manifest), manifest);
  const top = p.index
    ? json(drop({
      schemaVersion: 2,
      mediaType: p.index.mediaType,
      manifests: p.index.manifests === true ? [...p.index.extra, { mediaType: MediaType.ociManifest, digest: sha(manifest), size: manifest.length, platform: p.index.entryPlatform }] : p.index.manifests,
    }))
    : manifest;
  return { blobs, config, manifest, top, layers };
}

// The fake registry: /v2/, one tag, and blobs (manifests by digest too) from the current image.
let server: Promise<{ host: string; set: (img: Image, contentType?: string) => void }> | undefined;
function registry() {
  server ??= new Promise((resolve) => {
    let img: Image | undefined;
    let type: string | undefined;
    const s: Server = createServer((req, res) => {
      const url = req.url ?? "";
      const send = (status: number, body: Buffer, ct?: string) => {
        res.writeHead(status, { "content-length": body.length, ...(ct ? { "content-type": ct } : {}) });
        res.end(req.method === "HEAD" ? undefined : body);
      };
      if (url === "/v2/") return send(200, Buffer.from("{}"));
      const m = /^\/v2\/fuzz\/img\/(manifests|blobs)\/(.+)$/.exec(url);
      if (!m || !img) return send(404, Buffer.from("{}"));
      if (m[1] === "manifests" && m[2] === "t") return send(200, img.top, type);
      const blob = img.blobs.get(decodeURIComponent(m[2]!));
      return blob ? send(200, blob, m[1] === "manifests" ? type : undefined) : send(404, Buffer.from('{"errors":[{"code":"BLOB_UNKNOWN"}]}'));
    });
    s.keepAliveTimeout = 60_000;
    s.listen(0, "127.0.0.1", () => {
      s.unref();
      resolve({ host: `127.0.0.1:${(s.address() as AddressInfo).port}`, set: (i, ct) => ((img = i), (type = ct)) });
    });
  });
  return server;
}

let store: Store | undefined;
const PULL_CODES = [ErrorCode.REGISTRY_REJECTED, ErrorCode.PLATFORM_MISSING, ErrorCode.BAD_CHECKSUM, ErrorCode.IMAGE_NOT_FOUND];

/** An image tar: docker-archive, OCI layout, or both, its JSON members near-valid or replaced by garbage. */
const imageTar = fc.record({
  parts: imageParts,
  layout: fc.constantFrom("docker", "oci", "both"),
  dockerManifest: near(fc.constant(true)),
  ociIndex: near(fc.constant(true)),
  garbage: fc.option(fc.constantFrom("manifest.json", "index.json"), { nil: undefined, freq: 5 }),
  repoTags: maybe(near(fc.constant(["fuzz:1"]))),
});
function tarOf(t: typeof imageTar extends fc.Arbitrary<infer T> ? T : never): Buffer {
  const img = build(t.parts);
  const files: [string, Buffer][] = [];
  const hex = (b: Buffer) => sha(b).slice(7);
  if (t.layout !== "oci") {
    files.push([`${hex(img.config)}.json`, img.config], ...img.layers.map((l): [string, Buffer] => [`${hex(l)}/layer.tar`, l]));
    const m = t.dockerManifest === true ? [drop({ Config: `${hex(img.config)}.json`, RepoTags: t.repoTags, Layers: img.layers.map((l) => `${hex(l)}/layer.tar`) })] : t.dockerManifest;
    files.push(["manifest.json", json(m)]);
  }
  if (t.layout !== "docker") {
    for (const [d, b] of img.blobs) files.push([`blobs/sha256/${d.slice(7)}`, b]);
    const top = sha(img.top);
    files.push([`blobs/sha256/${top.slice(7)}`, img.top]);
    files.push(["index.json", json(t.ociIndex === true ? { schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, digest: top, size: img.top.length }] } : t.ociIndex)]);
  }
  const seen = new Set<string>();
  const members = files.filter(([n]) => !seen.has(n) && seen.add(n)).map(([name, data]) => ({ name, type: "file" as const, longNames: "pax" as const, data: name === t.garbage ? Buffer.from("{not json") : data }));
  return tarArchive(members);
}

let dir: string | undefined;
let n = 0;
function tarFile(t: typeof imageTar extends fc.Arbitrary<infer T> ? T : never): string {
  dir ??= scratchDir("oci");
  const file = join(dir, "image.tar");
  writeFileSync(file, tarOf(t));
  return file;
}

export const properties: FuzzProperty[] = [
  {
    parser: "registry/pull",
    name: "pullImage of near-valid or arbitrary index, manifest and config JSON pulls or rejects with a registry CairnError",
    property: () =>
      fc.asyncProperty(imageParts, async (p) => {
        const reg = await registry();
        dir ??= scratchDir("oci");
        store ??= new Store(join(dir, "store"));
        const img = build(p);
        reg.set(img, p.contentType);
        const r = await typedAsync(PULL_CODES, () => pullImage(`${reg.host}/fuzz/img:t`, { store: store!, attempts: 1, retryDelayMs: 1 }));
        if (r !== rejected && (r.layers.length !== img.layers.length || !/^sha256:[0-9a-f]{64}$/.test(r.manifestDigest))) throw new Error(`pulled ${r.layers.length} layers, ${r.manifestDigest}`);
      }),
  },
  {
    parser: "image-tar/read",
    name: "localManifestDigest and dockerArchive of near-valid image tars give a digest or reject with BAD_REFERENCE",
    quickRuns: 100,
    property: () =>
      fc.asyncProperty(imageTar, async (t) => {
        const file = tarFile(t);
        const digest = await typedAsync([ErrorCode.BAD_REFERENCE], () => localManifestDigest(file));
        if (digest !== rejected && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`localManifestDigest gave ${JSON.stringify(digest)}, not a digest`);
        if (t.layout === "oci") return;
        const a = await typedAsync([ErrorCode.BAD_REFERENCE], () => dockerArchive(file));
        if (a !== rejected && a.layers.length !== t.parts.layers.length) throw new Error(`dockerArchive found ${a.layers.length} layers`);
      }),
  },
  {
    parser: "image-tar/read",
    name: "readImageTar of near-valid image tars (and reading its layers) succeeds or rejects with BAD_REFERENCE",
    quickRuns: 60,
    property: () =>
      fc.asyncProperty(imageTar, async (t) => {
        const file = tarFile(t);
        const work = join(dir!, `work-${n++}`);
        mkdirSync(work);
        try {
          const src = await typedAsync([ErrorCode.BAD_REFERENCE], () => readImageTar(file, work));
          if (src === rejected) return;
          for (const l of src.layers) await typedAsync([ErrorCode.BAD_REFERENCE], async () => { for await (const _ of l.uncompressed()) { /* drain */ } });
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      }),
  },
];
