import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buildConfig } from "../../image/config.js";
import { buildManifest, digestOf } from "../../image/manifest.js";
import { MediaType, type DiffId, type Digest, type Image, type Layer } from "../../image/types.js";
import { ociDirSink } from "./sink.js";
import { layerOf } from "../../image/layer.js";

const work = mkdtempSync(join(tmpdir(), "cairn-ocidir-"));
after(() => fs.rm(work, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function image(text: string): Image {
  const root = join(work, `root-${sha(Buffer.from(text)).slice(0, 8)}`);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "hello"), text);
  const tar = execFileSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", root, "-cf", "-", "."]);
  const gz = execFileSync("gzip", ["-n"], { input: tar });
  const layer: Layer = layerOf({
    digest: `sha256:${sha(gz)}` as Digest, diffId: `sha256:${sha(tar)}` as DiffId, size: gz.length,
    mediaType: MediaType.ociLayerGzip, compressed: () => Readable.from([gz]),
  });
  const config = buildConfig({ config: { Cmd: ["cat", "/hello"] }, diffIds: [layer.diffId], created: "1970-01-01T00:00:00Z", architecture: "amd64", os: "linux" });
  const cd = { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length };
  const manifest = buildManifest(cd, [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }]);
  return { repoTags: ["cairn-test/dir:v1"], config, configDigest: cd.digest, manifest, manifestDigest: digestOf(manifest), layers: [layer] };
}

function skopeo(args: string[]): string {
  const r = spawnSync("skopeo", args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("skopeo reads the directory; the tag's ref name selects the image", async () => {
  const img = image("one\n");
  const dir = join(work, "out");
  await ociDirSink(dir).write(img);
  assert.deepEqual(readdirSync(dir).sort(), ["blobs", "index.json", "manifest.json", "oci-layout"]);
  const info = JSON.parse(skopeo(["inspect", `oci:${dir}:v1`]));
  assert.equal(info.Digest, img.manifestDigest);
  assert.deepEqual(info.Layers, [img.layers[0]!.digest]);
  for (const f of readdirSync(join(dir, "blobs/sha256"))) assert.equal(sha(readFileSync(join(dir, "blobs/sha256", f))), f);
});

test("rewriting: same image keeps files; a new image replaces the index; damaged blobs are rewritten", async () => {
  const dir = join(work, "again");
  const a = image("a\n");
  await ociDirSink(dir).write(a);
  const index1 = readFileSync(join(dir, "index.json"));
  const layerPath = join(dir, "blobs/sha256", a.layers[0]!.digest.slice(7));
  const mtime1 = statSync(layerPath).mtimeMs;
  await ociDirSink(dir).write(a);
  assert.deepEqual(readFileSync(join(dir, "index.json")), index1);
  assert.equal(statSync(layerPath).mtimeMs, mtime1, "an intact blob is not copied again");

  writeFileSync(layerPath, Buffer.alloc(a.layers[0]!.size)); // same size, wrong bytes
  await ociDirSink(dir).write(a);
  assert.equal(sha(readFileSync(layerPath)), a.layers[0]!.digest.slice(7));

  const b = image("b\n");
  await ociDirSink(dir).write(b);
  assert.equal(JSON.parse(skopeo(["inspect", `oci:${dir}:v1`])).Digest, b.manifestDigest);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp-")), []);
});

test("an unwritable place is a CairnError naming the directory", async () => {
  const file = join(work, "a-file");
  writeFileSync(file, "");
  await assert.rejects(ociDirSink(join(file, "sub")).write(image("x\n")), (e: Error & { code?: string }) => {
    assert.equal(e.code, "CAIRN_E501");
    assert.match(e.message, /a-file\/sub/);
    return true;
  });
});
