// cairn's push and pull against a real registry (docker-registry, distribution 2.8) that wants the
// Docker token flow, with the harness's own token issuer: the pushed digest is what skopeo sees,
// tokens are fetched with a push scope and reused rather than fetched per request, and a wrong
// password fails as an auth error naming the registry, without echoing the password.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ErrorCode, isCairnError } from "../../src/errors.js";
import type { Image } from "../../src/image/types.js";
import { pullImage } from "../../src/transports/registry/pull.js";
import { pushImage } from "../../src/transports/registry/push.js";
import { sha256Hex, Store } from "../../src/store/store.js";
import { command } from "../support/command.js";
import { tokenRegistry, type TokenRegistry } from "../support/token-registry.js";
import { busyboxImage } from "../support/busybox-image.js";

/**
 * A token request's scopes in one order: the registry's challenge lists a scope's actions in Go map
 * order ("push,pull" as often as "pull,push"), and cairn passes them on as they came.
 */
function scopes(s: string): string {
  return s.split(" ").map((scope) => {
    const i = scope.lastIndexOf(":");
    return `${scope.slice(0, i)}:${scope.slice(i + 1).split(",").sort().join(",")}`;
  }).sort().join(" ");
}

describe("push and pull through a registry with token auth", () => {
  let reg: TokenRegistry;
  let image: Image;
  let dir: string;
  before(async () => {
    [reg, image, dir] = await Promise.all([tokenRegistry(), busyboxImage("token"), mkdtemp(join(tmpdir(), "cairn-push-token-"))]);
  });
  after(async () => {
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const creds = () => ({ username: reg.user, password: reg.password });

  test("the right password gets a push token; skopeo sees the digest cairn computed", { timeout: 120_000 }, async () => {
    const before = reg.tokenRequests.length;
    const r = await pushImage(image, `${reg.host}/team/busybox:1`, { credentials: creds() });
    assert.equal(r.digest, image.manifestDigest);
    assert.equal(r.uploadedBytes, image.layers[0].size + image.config.length);
    const asked = reg.tokenRequests.slice(before);
    assert.ok(asked.some((s) => scopes(s) === "repository:team/busybox:pull,push"), `token scopes asked: ${JSON.stringify(asked)}`);
    // One token for the session, reused for every HEAD, POST, PATCH/PUT and the manifest.
    assert.ok(asked.length >= 1 && asked.length <= 2, `token requests for one push: ${asked.length}`);

    const out = await command("skopeo", ["inspect", "--tls-verify=false", "--creds", `${reg.user}:${reg.password}`, `docker://${reg.host}/team/busybox:1`], { timeoutMs: 60_000 });
    const inspected = JSON.parse(out.stdout) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, image.manifestDigest);
    assert.deepEqual(inspected.Layers, [image.layers[0].digest]);
  });

  test("a re-push uploads nothing and asks for few tokens", { timeout: 60_000 }, async () => {
    await pushImage(image, `${reg.host}/team/busybox:1`, { credentials: creds() });
    const before = reg.tokenRequests.length;
    const r = await pushImage(image, `${reg.host}/team/busybox:2`, { credentials: creds() });
    assert.equal(r.digest, image.manifestDigest);
    assert.equal(r.uploadedBytes, 0);
    assert.equal(r.skippedBlobs, 2);
    const asked = reg.tokenRequests.length - before;
    assert.ok(asked >= 1 && asked <= 2, `token requests for a re-push: ${asked}`);
  });

  test("blobs are mounted from another repository with a token for both", { timeout: 60_000 }, async () => {
    await pushImage(image, `${reg.host}/team/busybox:1`, { credentials: creds() });
    const before = reg.tokenRequests.length;
    const r = await pushImage(image, `${reg.host}/other/copy:1`, { credentials: creds(), mountFrom: "team/busybox" });
    assert.equal(r.uploadedBytes, 0);
    assert.equal(r.mountedBlobs, 2);
    const asked = reg.tokenRequests.slice(before);
    // The mount's challenge names both repositories; each goes to the issuer as its own scope parameter.
    assert.ok(asked.some((s) => scopes(s) === "repository:other/copy:pull,push repository:team/busybox:pull"), `token scopes asked: ${JSON.stringify(asked)}`);
    assert.ok(asked.length <= 3, `token requests for a mounting push: ${asked.length}`);
    const out = await command("skopeo", ["inspect", "--tls-verify=false", "--creds", `${reg.user}:${reg.password}`, `docker://${reg.host}/other/copy:1`], { timeoutMs: 60_000 });
    assert.equal((JSON.parse(out.stdout) as { Digest: string }).Digest, image.manifestDigest);
  });

  test("pull brings back the same manifest into a fresh store", { timeout: 60_000 }, async () => {
    await pushImage(image, `${reg.host}/team/busybox:1`, { credentials: creds() });
    const store = new Store(join(dir, "store"));
    const before = reg.tokenRequests.length;
    const pulled = await pullImage(`${reg.host}/team/busybox:1`, { store, credentials: creds() });
    assert.equal(pulled.manifestDigest, image.manifestDigest);
    assert.equal(pulled.reference, `${reg.host}/team/busybox@${image.manifestDigest}`);
    assert.deepEqual(pulled.config, image.config);
    assert.deepEqual(pulled.layers.map((l) => l.digest), [image.layers[0].digest]);
    assert.equal(`sha256:${sha256Hex(await store.readBlob(image.layers[0].digest.slice(7)))}`, image.layers[0].digest);
    const asked = reg.tokenRequests.length - before;
    assert.ok(asked >= 1 && asked <= 2, `token requests for a pull: ${asked}`);
  });

  test("a wrong password fails naming the registry, without the password", { timeout: 60_000 }, async () => {
    const password = "wrong-T0ken-pass";
    const before = reg.tokenRequests.length;
    await assert.rejects(pushImage(image, `${reg.host}/team/busybox:1`, { credentials: { username: reg.user, password } }),
      (e) => {
        assert.ok(isCairnError(e));
        assert.equal(e.code, ErrorCode.REGISTRY_AUTH);
        assert.equal(e.code, "CAIRN_E602");
        assert.match(e.message, new RegExp(`pushing to ${reg.host}/team/busybox: authentication failed \\(HTTP 401\\)`));
        assert.match(e.hint ?? "", new RegExp(`credentials for ${reg.host}`));
        const text = `${e.message} ${e.hint} ${e.stack}`;
        assert.ok(!text.includes(password) && !text.includes(Buffer.from(`${reg.user}:${password}`).toString("base64")), text);
        return true;
      });
    assert.equal(reg.tokenRequests.length, before, "the issuer granted no token");
  });

  test("no credentials fail saying the registry wants them", { timeout: 60_000 }, async () => {
    await assert.rejects(pushImage(image, `${reg.host}/team/busybox:1`),
      (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_AUTH && /wants credentials/.test(e.message) && e.message.includes(reg.host));
  });
});
