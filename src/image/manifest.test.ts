import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildIndex, buildManifest, describe, digestOf, refAnnotations, splitRepoTag } from "./manifest.js";
import { MediaType, type Descriptor, type Digest } from "./types.js";

const cfg: Descriptor = { mediaType: MediaType.ociConfig, digest: `sha256:${"c".repeat(64)}` as Digest, size: 100 };
const layer: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: `sha256:${"a".repeat(64)}` as Digest, size: 5 };

test("digestOf is sha256 of the bytes", () => {
  assert.equal(digestOf(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const b = Buffer.from("hello");
  assert.equal(digestOf(b), `sha256:${createHash("sha256").update(b).digest("hex")}`);
  assert.deepEqual(describe(MediaType.ociConfig, b), { mediaType: MediaType.ociConfig, digest: digestOf(b), size: 5 });
});

test("manifest: exact canonical bytes", () => {
  const m = buildManifest(cfg, [layer, layer]).toString();
  assert.equal(
    m,
    `{"config":{"digest":"${cfg.digest}","mediaType":"${MediaType.ociConfig}","size":100},` +
      `"layers":[{"digest":"${layer.digest}","mediaType":"${MediaType.ociLayerGzip}","size":5},` +
      `{"digest":"${layer.digest}","mediaType":"${MediaType.ociLayerGzip}","size":5}],` +
      `"mediaType":"${MediaType.ociManifest}","schemaVersion":2}`,
  );
  assert.deepEqual(JSON.parse(buildManifest(cfg, [], { b: "2", a: "1" }).toString()).annotations, { a: "1", b: "2" });
  assert.equal("annotations" in JSON.parse(buildManifest(cfg, [], {}).toString()), false);
});

test("index: one descriptor per tag, annotations as docker save writes them", () => {
  const mdesc = { ...describe(MediaType.ociManifest, Buffer.from("{}")), annotations: refAnnotations("redis:7") };
  const idx = JSON.parse(buildIndex(mdesc).toString());
  assert.equal(idx.schemaVersion, 2);
  assert.equal(idx.mediaType, MediaType.ociIndex);
  assert.deepEqual(idx.manifests[0].annotations, {
    "io.containerd.image.name": "docker.io/library/redis:7",
    "org.opencontainers.image.ref.name": "7",
  });
  assert.equal(JSON.parse(buildIndex([mdesc, mdesc]).toString()).manifests.length, 2);
});

test("repo tags: registry ports, defaults", () => {
  assert.deepEqual(splitRepoTag("localhost:5000/app:v1"), { name: "localhost:5000/app", tag: "v1" });
  assert.deepEqual(splitRepoTag("localhost:5000/app"), { name: "localhost:5000/app", tag: "latest" });
  assert.deepEqual(splitRepoTag("redis"), { name: "redis", tag: "latest" });
  assert.equal(refAnnotations("me/app:1")["io.containerd.image.name"], "docker.io/me/app:1");
  assert.equal(refAnnotations("quay.io/me/app:1")["io.containerd.image.name"], "quay.io/me/app:1");
  assert.equal(refAnnotations("localhost/app:1")["io.containerd.image.name"], "localhost/app:1");
});
