// cairn's pull against a real registry (Debian's docker-registry): push a tiny busybox image with
// cairn's own push, pull it into a fresh store, and check every byte against its digest; a second
// pull fetches nothing; a multi-platform index yields the asked-for platform.
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ErrorCode, isCairnError } from "../../src/errors.js";
import { buildIndex, describe as describeBlob, digestOf } from "../../src/image/manifest.js";
import { MediaType, type Image } from "../../src/image/types.js";
import { RegistryClient } from "../../src/transports/registry/client.js";
import { pullImage, resolveDigest } from "../../src/transports/registry/pull.js";
import { pushImage } from "../../src/transports/registry/push.js";
import { sha256Hex, Store } from "../../src/store/store.js";
import { registry, type Registry } from "../support/registry.js";
import { busyboxImage, collect } from "../support/busybox-image.js";

describe("pull from a plain registry", () => {
  let reg: Registry;
  let image: Image;
  let dir: string;
  before(async () => {
    [reg, image, dir] = await Promise.all([registry(), busyboxImage("pull"), mkdtemp(join(tmpdir(), "cairn-pull-"))]);
    await pushImage(image, `${reg.host}/team/busybox:1`);
  });
  after(async () => {
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the pulled manifest, config and layers are the pushed ones; a second pull fetches nothing", { timeout: 120_000 }, async () => {
    const store = new Store(join(dir, "store1"));
    const lines: string[] = [];
    let advanced = 0;
    const reporter = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`), progress: () => ({ advance: (n: number) => { advanced += n; }, done: () => {} }) };
    const pulled = await pullImage(`${reg.host}/team/busybox:1`, { store, reporter });
    assert.equal(pulled.manifestDigest, image.manifestDigest);
    assert.equal(pulled.reference, `${reg.host}/team/busybox@${image.manifestDigest}`);
    assert.ok(pulled.config.equals(image.config));
    assert.equal(pulled.configJson.architecture, "amd64");
    assert.deepEqual(pulled.layers.map((l) => [l.digest, l.diffId, l.size]), image.layers.map((l) => [l.digest, l.diffId, l.size]));
    for (const l of pulled.layers) {
      assert.equal(`sha256:${sha256Hex(await readFile(store.blobPath(l.digest.slice(7))))}`, l.digest);
      assert.equal(`sha256:${sha256Hex(await collect(l.compressed()))}`, l.digest);
    }
    assert.equal(advanced, image.layers[0].size);

    const before = await stat(store.blobPath(image.layers[0].digest.slice(7)));
    advanced = 0;
    const again = await pullImage(`${reg.host}/team/busybox@${image.manifestDigest}`, { store, reporter });
    assert.equal(again.manifestDigest, image.manifestDigest);
    assert.equal(advanced, 0);
    // Not written again: a store write lands by rename, which would give the blob a new inode
    // (its mtime moves anyway: using a blob marks it used, for `cairn cache gc`).
    assert.equal((await stat(store.blobPath(image.layers[0].digest.slice(7)))).ino, before.ino);
    assert.match(lines.at(-1)!, /\(0 bytes fetched, 1 layers already cached\)$/);
  });

  test("resolveDigest gives the digest the tag points to", { timeout: 60_000 }, async () => {
    assert.equal(await resolveDigest(`${reg.host}/team/busybox:1`), image.manifestDigest);
    await assert.rejects(resolveDigest(`${reg.host}/team/busybox:nope`), (e) => isCairnError(e) && e.code === ErrorCode.IMAGE_NOT_FOUND && /tagged nope/.test(e.message));
  });

  test("a digest the registry does not have fails clearly", { timeout: 60_000 }, async () => {
    const zero = `sha256:${"0".repeat(64)}`;
    await assert.rejects(pullImage(`${reg.host}/team/busybox@${zero}`, { store: new Store(join(dir, "store2")) }), (e) => {
      assert.ok(isCairnError(e));
      assert.equal(e.code, ErrorCode.IMAGE_NOT_FOUND);
      assert.match(e.message, new RegExp(`pulling ${reg.host}/team/busybox: the registry has no manifest with digest ${zero}`));
      return true;
    });
  });

  test("an image for another platform is refused", { timeout: 60_000 }, async () => {
    await assert.rejects(pullImage(`${reg.host}/team/busybox:1`, { store: new Store(join(dir, "store3")), platform: { os: "linux", architecture: "arm64" } }),
      (e) => isCairnError(e) && e.code === ErrorCode.PLATFORM_MISSING && /is for linux\/amd64, not linux\/arm64/.test(e.message));
  });

  test("a multi-platform index yields the manifest of the platform asked for", { timeout: 120_000 }, async () => {
    const arm = await busyboxImage("arm64", "arm64");
    await pushImage(image, `${reg.host}/team/multi@${image.manifestDigest}`);
    await pushImage(arm, `${reg.host}/team/multi@${arm.manifestDigest}`);
    const index = buildIndex([
      { ...describeBlob(MediaType.ociManifest, image.manifest), platform: { os: "linux", architecture: "amd64" } },
      { ...describeBlob(MediaType.ociManifest, arm.manifest), platform: { os: "linux", architecture: "arm64" } },
    ] as never);
    const client = await RegistryClient.open({ registry: reg.host, repository: "team/multi", action: "test" });
    await client.request({ method: "PUT", url: "/v2/team/multi/manifests/1", step: "putting the index", ok: [201], headers: { "content-type": MediaType.ociIndex }, body: index });

    const store = new Store(join(dir, "store4"));
    const pulled = await pullImage(`${reg.host}/team/multi:1`, { store, platform: { os: "linux", architecture: "arm64" } });
    assert.equal(pulled.manifestDigest, arm.manifestDigest);
    assert.ok(pulled.config.equals(arm.config));
    assert.deepEqual(pulled.layers.map((l) => l.digest), [arm.layers[0].digest]);
    assert.equal((await pullImage(`${reg.host}/team/multi:1`, { store })).manifestDigest, image.manifestDigest);
    assert.equal(await resolveDigest(`${reg.host}/team/multi:1`), digestOf(index));
    await assert.rejects(pullImage(`${reg.host}/team/multi:1`, { store, platform: { os: "linux", architecture: "riscv64" } }),
      (e) => isCairnError(e) && e.code === ErrorCode.PLATFORM_MISSING && /it has linux\/amd64, linux\/arm64$/.test(e.message));
  });
});

describe("pull from a registry with Basic auth", () => {
  let reg: Registry;
  let image: Image;
  let dir: string;
  before(async () => {
    [reg, image, dir] = await Promise.all([registry({ auth: true, tls: true }), busyboxImage("secure"), mkdtemp(join(tmpdir(), "cairn-pull-"))]);
  });
  after(async () => {
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("with the password and the CA it pulls; without credentials it says so", { timeout: 120_000 }, async () => {
    const credentials = { username: reg.user!, password: reg.password! };
    await pushImage(image, `${reg.host}/secure/busybox:1`, { credentials, caFile: reg.caFile });
    const pulled = await pullImage(`${reg.host}/secure/busybox:1`, { store: new Store(join(dir, "s1")), credentials, caFile: reg.caFile });
    assert.equal(pulled.manifestDigest, image.manifestDigest);
    assert.equal(await resolveDigest(`${reg.host}/secure/busybox:1`, { credentials, caFile: reg.caFile }), image.manifestDigest);
    await assert.rejects(pullImage(`${reg.host}/secure/busybox:1`, { store: new Store(join(dir, "s2")), caFile: reg.caFile }),
      (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_AUTH && /^pulling /.test(e.message));
  });
});

describe("blob redirects to storage on another host", () => {
  let reg: Registry;
  let image: Image;
  let dir: string;
  const servers: Server[] = [];
  after(async () => {
    for (const s of servers) s.close();
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("are followed, and the registry's Authorization is not sent there", { timeout: 120_000 }, async () => {
    [reg, image, dir] = await Promise.all([registry({ auth: true }), busyboxImage("redirect"), mkdtemp(join(tmpdir(), "cairn-pull-"))]);
    const credentials = { username: reg.user!, password: reg.password! };
    await pushImage(image, `${reg.host}/r/busybox:1`, { credentials });
    const blobs = new Map<string, Buffer>([[image.configDigest, image.config], [image.layers[0].digest, await collect(image.layers[0].compressed())]]);

    // "Blob storage": another origin, which records what it was sent.
    const seen: (string | undefined)[] = [];
    const storage = await listen(createServer((req, res) => {
      seen.push(req.headers.authorization);
      const body = blobs.get(req.url!.slice(1));
      res.writeHead(body ? 200 : 404).end(body);
    }));
    // The registry's front: blob GETs answer 307 to storage, everything else goes to the registry.
    const front = await listen(createServer((req, res) => {
      const blob = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url!);
      if (blob && req.method === "GET" && req.headers.authorization) {
        res.writeHead(307, { location: `http://127.0.0.1:${storage.port}/${blob[1]}` }).end();
        return;
      }
      const up = httpRequest(`${reg.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    }));
    servers.push(storage.server, front.server);

    const pulled = await pullImage(`127.0.0.1:${front.port}/r/busybox:1`, { store: new Store(join(dir, "s")), credentials });
    assert.equal(pulled.manifestDigest, image.manifestDigest);
    assert.ok(pulled.config.equals(image.config));
    assert.equal(seen.length, 2, "the config and the layer came from storage");
    assert.deepEqual(seen, [undefined, undefined]);

    // Storage serving other bytes than the digest names: refused, and nothing lands in the store.
    const bad = new Store(join(dir, "bad"));
    blobs.set(image.layers[0].digest, Buffer.from("not the layer"));
    await assert.rejects(pullImage(`127.0.0.1:${front.port}/r/busybox:1`, { store: bad, credentials }),
      (e) => isCairnError(e) && e.code === ErrorCode.BAD_CHECKSUM && /does not hash to/.test(e.message));
    assert.equal(await bad.hasBlob(image.layers[0].digest.slice(7)), false);
  });
});

async function listen(server: Server): Promise<{ server: Server; port: number }> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, port: (server.address() as AddressInfo).port };
}
