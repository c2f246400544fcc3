// cairn's own registry push against a real registry (Debian's docker-registry), checked by skopeo
// and podman: the digest the registry serves is the one cairn computed, a re-push uploads nothing,
// auth + TLS works with the right password and fails clearly (without echoing it) with a wrong one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCode, isCairnError } from "../../src/errors.js";
import type { Image } from "../../src/image/types.js";
import { pushImage, type BlobProgress } from "../../src/transports/registry/push.js";
import { command } from "../support/command.js";
import { available, podman } from "../support/engines.js";
import { registry, type Registry } from "../support/registry.js";
import { busyboxImage } from "../support/busybox-image.js";

const skopeoInspect = async (ref: string, extra: string[]) =>
  JSON.parse((await command("skopeo", ["inspect", ...extra, `docker://${ref}`], { timeoutMs: 60_000 })).stdout) as { Digest: string; Layers: string[] };

describe("push to a plain registry", () => {
  let reg: Registry;
  let image: Image;
  before(async () => {
    [reg, image] = await Promise.all([registry(), busyboxImage("plain")]);
  });
  after(() => reg?.close());

  test("the registry serves the digest cairn computed; a re-push uploads nothing", { timeout: 120_000 }, async () => {
    const events: BlobProgress[] = [];
    const first = await pushImage(image, `${reg.host}/team/busybox:1`, { onProgress: (p) => events.push(p) });
    assert.equal(first.digest, image.manifestDigest);
    assert.equal(first.reference, `${reg.host}/team/busybox:1`);
    assert.equal(first.uploadedBytes, image.layers[0].size + image.config.length);
    assert.equal(first.skippedBlobs, 0);
    assert.ok(events.some((e) => e.state === "uploaded" && e.digest === image.layers[0].digest));

    const inspected = await skopeoInspect(`${reg.host}/team/busybox:1`, ["--tls-verify=false"]);
    assert.equal(inspected.Digest, image.manifestDigest);
    assert.deepEqual(inspected.Layers, [image.layers[0].digest]);

    const again = await pushImage(image, `${reg.host}/team/busybox:2`);
    assert.equal(again.digest, image.manifestDigest);
    assert.equal(again.uploadedBytes, 0);
    assert.equal(again.skippedBlobs, 2);
    assert.equal((await skopeoInspect(`${reg.host}/team/busybox:2`, ["--tls-verify=false"])).Digest, image.manifestDigest);
  });

  test("blobs are mounted from another repository instead of uploaded", { timeout: 60_000 }, async () => {
    await pushImage(image, `${reg.host}/team/busybox:1`);
    const r = await pushImage(image, `${reg.host}/other/copy:1`, { mountFrom: "team/busybox" });
    assert.equal(r.uploadedBytes, 0);
    assert.equal(r.mountedBlobs, 2);
    assert.equal((await skopeoInspect(`${reg.host}/other/copy:1`, ["--tls-verify=false"])).Digest, image.manifestDigest);
  });

  test("a big blob goes up in PATCH chunks, and the reporter sees every byte", { timeout: 60_000 }, async () => {
    const chunked = await busyboxImage("chunked");
    const lines: string[] = [];
    let total = 0, advanced = 0, done = 0;
    const reporter = {
      info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`),
      progress: (_t: string, n: number) => { total = n; return { advance: (by: number) => { advanced += by; }, done: () => { done++; } }; },
    };
    const chunkSize = 256 * 1024;
    assert.ok(chunked.layers[0].size > 2 * chunkSize, "the layer must span several chunks");
    const r = await pushImage(chunked, `${reg.host}/team/chunked:1`, { chunkSize, reporter });
    assert.equal(r.uploadedBytes, chunked.layers[0].size + chunked.config.length);
    assert.equal((await skopeoInspect(`${reg.host}/team/chunked:1`, ["--tls-verify=false"])).Digest, chunked.manifestDigest);
    assert.equal(total, r.uploadedBytes);
    assert.equal(advanced, total);
    assert.equal(done, 1);
    assert.deepEqual(lines, [`pushed ${reg.host}/team/chunked:1@${chunked.manifestDigest} (${r.uploadedBytes} bytes uploaded, 0 blobs already there)`]);
  });

  test("a push by digest stores the manifest under that digest", { timeout: 60_000 }, async () => {
    const r = await pushImage(image, `${reg.host}/bydigest@${image.manifestDigest}`);
    assert.equal(r.digest, image.manifestDigest);
    assert.equal((await skopeoInspect(`${reg.host}/bydigest@${image.manifestDigest}`, ["--tls-verify=false", "--no-tags"])).Digest, image.manifestDigest);
  });

  test("podman pulls the pushed image and runs it", { timeout: 180_000, skip: !available().podman && "podman/runc not installed" }, async () => {
    await pushImage(image, `${reg.host}/team/busybox:1`);
    const engine = await podman();
    try {
      await engine.cli(["pull", "--tls-verify=false", `${reg.host}/team/busybox:1`], { timeoutMs: 120_000 });
      const run = await engine.run([`${reg.host}/team/busybox:1`, "/bin/echo", "hi"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), "hi");
    } finally {
      await engine.cleanup();
    }
  });

  test("an unreachable registry is named in the error", { timeout: 60_000 }, async () => {
    await assert.rejects(pushImage(image, "127.0.0.1:1/x:1", { attempts: 2, retryDelayMs: 10 }),
      (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_UNREACHABLE && e.message.includes("127.0.0.1:1") && /ECONNREFUSED/.test(e.message));
  });
});

describe("push to a registry with Basic auth and TLS", () => {
  let reg: Registry;
  let image: Image;
  before(async () => {
    [reg, image] = await Promise.all([registry({ auth: true, tls: true }), busyboxImage("secure")]);
  });
  after(() => reg?.close());

  test("the right password and the CA push the image", { timeout: 120_000 }, async () => {
    const r = await pushImage(image, `${reg.host}/secure/busybox:1`, { credentials: { username: reg.user!, password: reg.password! }, caFile: reg.caFile });
    assert.equal(r.digest, image.manifestDigest);
    const inspected = await skopeoInspect(`${reg.host}/secure/busybox:1`, ["--cert-dir", reg.certDir!, "--creds", `${reg.user}:${reg.password}`]);
    assert.equal(inspected.Digest, image.manifestDigest);
  });

  test("a wrong password fails naming the registry, without the password", { timeout: 60_000 }, async () => {
    const password = "wrong-Pa55word";
    await assert.rejects(pushImage(image, `${reg.host}/secure/busybox:1`, { credentials: { username: reg.user!, password }, caFile: reg.caFile }),
      (e) => {
        assert.ok(isCairnError(e));
        assert.equal(e.code, ErrorCode.REGISTRY_AUTH);
        const text = `${e.message} ${e.hint} ${e.stack}`;
        assert.match(e.message, new RegExp(`pushing to ${reg.host}/secure/busybox: authentication failed \\(HTTP 401\\)`));
        assert.match(e.hint ?? "", new RegExp(`credentials for ${reg.host}`));
        assert.ok(!text.includes(password) && !text.includes(Buffer.from(`${reg.user}:${password}`).toString("base64")));
        return true;
      });
  });

  test("insecure skips the certificate check of a TLS-only loopback registry", { timeout: 60_000 }, async () => {
    // Without caFile cairn first speaks plain http to a loopback host, is told to use https, and switches.
    const r = await pushImage(image, `${reg.host}/secure/insecure:1`, { credentials: { username: reg.user!, password: reg.password! }, insecure: true });
    assert.equal(r.digest, image.manifestDigest);
    const inspected = await skopeoInspect(`${reg.host}/secure/insecure:1`, ["--cert-dir", reg.certDir!, "--creds", `${reg.user}:${reg.password}`]);
    assert.equal(inspected.Digest, image.manifestDigest);
  });

  test("no credentials, or no CA, fail with a message saying which", { timeout: 60_000 }, async () => {
    await assert.rejects(pushImage(image, `${reg.host}/secure/busybox:1`, { caFile: reg.caFile }),
      (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_AUTH && /wants credentials/.test(e.message));
    await assert.rejects(pushImage(image, `${reg.host}/secure/busybox:1`, { credentials: { username: reg.user!, password: reg.password! } }),
      (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_UNREACHABLE && /TLS/.test(e.message) && /caFile/.test(e.hint ?? ""));
  });
});
