// A ~200 MB push through a proxy that injects 5xx, 429 + Retry-After and connections cut in the
// middle of uploads and answers, in front of a real registry (Debian's docker-registry). The push
// must complete, and skopeo (which checks every digest it copies) must find the image cairn built.
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import { buildConfig } from "../../src/image/config.js";
import { gzip } from "../../src/image/gzip.js";
import { buildManifest, describe as describeBlob, digestOf } from "../../src/image/manifest.js";
import { writeTar, type TarEntry } from "../../src/image/tar.js";
import { MediaType, type DiffId, type Digest, type Image, type Layer } from "../../src/image/types.js";
import { pushImage } from "../../src/transports/registry/push.js";
import { command } from "../support/command.js";
import { FAULT_KINDS, flakyProxy, type FlakyProxy } from "../support/flaky-proxy.js";
import { registry, type Registry } from "../support/registry.js";
import { layerOf } from "../../src/image/layer.js";

const LAYER_BYTES = 70 * 1024 * 1024;
const CHUNK = 16 * 1024 * 1024;

/** One file of `size` seeded AES-CTR bytes (incompressible, made at memory speed) in a tar, gzipped
 *  at level 0 (stored blocks: cairn's own gzip, without spending a minute compressing noise). */
async function noiseLayer(dir: string, index: number, size: number): Promise<Layer> {
  const key = createHash("sha256").update(`cairn push-faults layer ${index}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  const content = async function* () {
    for (let left = size; left > 0; left -= zeros.length) yield cipher.update(zeros.subarray(0, Math.min(left, zeros.length)));
  };
  const entries: TarEntry[] = [{ path: `noise-${index}.bin`, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size, content }];
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  let compressed = 0;
  async function* hashedTar() {
    for await (const c of writeTar(entries)) { diff.update(c); yield c; }
  }
  async function* hashedGz() {
    for await (const c of gzip(hashedTar(), 0)) { blob.update(c); compressed += c.length; yield c; }
  }
  const file = join(dir, `layer-${index}.tar.gz`);
  await pipeline(Readable.from(hashedGz()), createWriteStream(file));
  return layerOf({
    digest: `sha256:${blob.digest("hex")}` as Digest, diffId: `sha256:${diff.digest("hex")}` as DiffId, size: compressed,
    mediaType: MediaType.ociLayerGzip, compressed: () => createReadStream(file, { highWaterMark: 1024 * 1024 }),
  });
}

async function noiseImage(dir: string): Promise<Image> {
  const layers: Layer[] = [];
  for (let i = 0; i < 3; i++) layers.push(await noiseLayer(dir, i, LAYER_BYTES + i * 4099));
  const config = buildConfig({ config: { Cmd: ["/bin/true"] }, diffIds: layers.map((l) => l.diffId), created: "1970-01-01T00:00:00Z", architecture: "amd64", os: "linux" });
  const configDesc = describeBlob(MediaType.ociConfig, config);
  const manifest = buildManifest(configDesc, layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })));
  return { repoTags: [], config, configDigest: configDesc.digest, manifest, manifestDigest: digestOf(manifest) as Digest, layers };
}

describe("push through a flaky network", () => {
  let reg: Registry;
  let proxy: FlakyProxy;
  let image: Image;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-push-faults-"));
    [reg, image] = await Promise.all([registry(), noiseImage(dir)]);
    proxy = await flakyProxy({
      upstream: reg.host, seed: 20261122, maxFaults: 30, maxPerKind: 5,
      rates: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.1])),
    });
  });
  after(async () => {
    await proxy?.close();
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a 200 MB push survives 5xx, 429 and cut connections, and skopeo verifies every blob", { timeout: 180_000 }, async () => {
    const total = image.layers.reduce((n, l) => n + l.size, 0) + image.config.length;
    assert.ok(total > 200 * 1024 * 1024 && image.layers.every((l) => l.size > 4 * CHUNK), "three layers of several chunks each");

    const started = Date.now();
    const r = await pushImage(image, `${proxy.host}/faults/noise:1`, { chunkSize: CHUNK, retryDelayMs: 20, attempts: 8 });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.digest, image.manifestDigest);
    assert.equal(r.uploadedBytes, total);
    for (const kind of FAULT_KINDS) {
      assert.ok(proxy.faults[kind] > 0, `no ${kind} was injected in ${proxy.requests} requests: ${proxy.log.join("; ")}`);
    }
    console.log(`pushed ${total} bytes in ${seconds.toFixed(1)} s through ${proxy.requests} requests; faults injected: ${JSON.stringify(proxy.faults)}`);

    // Checked at the registry itself, not through the proxy: what was stored is what cairn built.
    const inspected = JSON.parse((await command("skopeo", ["inspect", "--tls-verify=false", `docker://${reg.host}/faults/noise:1`], { timeoutMs: 60_000 })).stdout) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, image.manifestDigest);
    assert.deepEqual(inspected.Layers, image.layers.map((l) => l.digest));

    // skopeo copy fails on any blob whose bytes do not match its digest.
    const oci = join(dir, "oci");
    await command("skopeo", ["copy", "--src-tls-verify=false", `docker://${reg.host}/faults/noise:1`, `oci:${oci}:copy`], { timeoutMs: 120_000 });
    const blobs = new Set(await readdir(join(oci, "blobs", "sha256")));
    for (const l of image.layers) {
      assert.ok(blobs.has(l.digest.slice(7)), `layer ${l.digest} missing from the copy`);
      assert.equal((await stat(join(oci, "blobs", "sha256", l.digest.slice(7)))).size, l.size);
    }
    assert.ok(blobs.has(image.manifestDigest.slice(7)), "the manifest was copied as pushed");
  });
});
