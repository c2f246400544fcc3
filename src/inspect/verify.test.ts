import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import { layerOf } from "../image/layer.js";
import { MediaType, type DiffId, type Digest, type ImageView } from "../image/types.js";
import { compareImages, formatVerify, summarize } from "./verify.js";

async function tar(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** An image of gzipped layers, its manifest digest standing for the whole. */
async function image(layers: Record<string, string>[], config: Record<string, unknown> = {}, level = 6): Promise<ImageView> {
  const tars = await Promise.all(layers.map(tar));
  const blobs = tars.map((t) => gzipSync(t, { level }));
  const cfg = { architecture: "amd64", os: "linux", config: {}, ...config, rootfs: { diff_ids: tars.map(sha) }, history: layers.map((_, i) => ({ created_by: `step ${i}` })) };
  return {
    repoTags: ["x:1"],
    manifestDigest: sha(JSON.stringify([cfg, blobs.map(sha)])) as Digest,
    config: Buffer.from(JSON.stringify(cfg)),
    layers: blobs.map((b, i) => layerOf({ digest: sha(b) as Digest, diffId: sha(tars[i]!) as DiffId, size: b.length, mediaType: MediaType.ociLayerGzip, compressed: () => Readable.from([b]) })),
  };
}


test("the same build twice: reproducible, with its digest", async () => {
  const a = await image([{ "etc/a": "1" }, { "etc/b": "2" }]);
  const b = await image([{ "etc/a": "1" }, { "etc/b": "2" }]);
  const r = await compareImages({ source: a }, { source: b });
  assert.equal(r.reproducible, true);
  assert.equal(formatVerify(r, { a: "A", b: "B" }), `reproducible: ${a.manifestDigest}\n`);
});

test("a stamp written by a step: the layer, its created_by and the file are named", async () => {
  const a = await image([{ "etc/a": "1" }, { "etc/stamp": "1700000000123456789", "etc/ok": "x" }]);
  const b = await image([{ "etc/a": "1" }, { "etc/stamp": "1700000000987654321", "etc/ok": "x" }]);
  const r = await compareImages({ source: a }, { source: b });
  assert.equal(r.reproducible, false);
  assert.deepEqual(r.layers.map((l) => [l.index, l.createdBy, l.compressionOnly, l.entries.map((e) => e.path)]), [[1, "step 1", false, ["etc/stamp"]]]);
  // The config's diff_id for that layer differs with it: not repeated under config.
  assert.deepEqual(r.config, []);
  assert.equal(summarize(r), "layer #1 (step 1) differs in /etc/stamp (content)");
  const text = formatVerify(r, { a: "your cache", b: "fresh cache" });
  assert.match(text, /^not reproducible: sha256:\S+ \(your cache\) ≠ sha256:\S+ \(fresh cache\)$/m);
  assert.match(text, /layer #1 \(step 1\): sha256:/);
  assert.match(text, /etc\/stamp: content sha256:[0-9a-f]{12}… → sha256:[0-9a-f]{12}…/);
});

test("equal tars compressed differently: compression only", async () => {
  const a = await image([{ "etc/a": "1".repeat(5000) }], {}, 1);
  const b = await image([{ "etc/a": "1".repeat(5000) }], {}, 9);
  assert.notEqual(a.layers[0]!.digest, b.layers[0]!.digest);
  const r = await compareImages({ source: a }, { source: b });
  assert.equal(r.reproducible, false);
  assert.equal(r.layers[0]!.compressionOnly, true);
  assert.match(summarize(r), /compressed differently/);
});

test("a config difference alone is named by its path; a missing layer is on one side only", async () => {
  const a = await image([{ "etc/a": "1" }], { created: "1970-01-01T00:00:00Z" });
  const b = await image([{ "etc/a": "1" }], { created: "2026-11-21T10:00:00Z" });
  const r = await compareImages({ source: a }, { source: b });
  assert.deepEqual(r.layers, []);
  assert.deepEqual(r.config, [{ path: "created", a: "1970-01-01T00:00:00Z", b: "2026-11-21T10:00:00Z" }]);
  assert.equal(summarize(r), "the config differs at created");
  const c = await image([{ "etc/a": "1" }, { "etc/b": "1" }]);
  const r2 = await compareImages({ source: await image([{ "etc/a": "1" }]) }, { source: c });
  assert.deepEqual(r2.layers.map((l) => [l.index, l.digestA, !!l.digestB]), [[1, undefined, true]]);
});

test("without manifest digests (an image tar against a build), equal diff_ids and config are reproducible", async () => {
  const a = await image([{ "etc/a": "1" }], {}, 1);
  const b = await image([{ "etc/a": "1" }], {}, 9);
  delete (a as { manifestDigest?: string }).manifestDigest;
  const r = await compareImages({ source: a }, { source: b });
  assert.equal(r.reproducible, true);
});
