// `cairn push` and `cairn build --push` with the redis example against a real registry: the digest
// cairn prints is the one skopeo sees, a second push uploads nothing, the pulled image answers
// PONG, and wrong credentials fail without showing them.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, lastLine } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman, redisPing } from "../support/engines.js";
import { registry, type Registry } from "../support/registry.js";

const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const cache = sharedCache();
const work = await mkdtemp(join(tmpdir(), "cairn-push-cli-"));
after(() => rm(work, { recursive: true, force: true }));

describe("cairn push (plain registry on loopback)", () => {
  let reg: Registry;
  before(async () => { reg = await registry(); });
  after(async () => reg?.close());

  test("pushes redis; skopeo sees the printed digest; a second push uploads no layer bytes", async () => {
    const ref = `${reg.host}/cairn/redis:7`;
    const first = await cairn(["push", redisDef, "-A", "redis", ref, "--cache-dir", cache]);
    assert.equal(first.code, 0, first.stderr);
    const digest = lastLine(first);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const inspect = JSON.parse((await command("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`])).stdout);
    assert.equal(inspect.Digest, digest);

    const again = await cairn(["build", redisDef, "-A", "redis", "-o", join(work, "r.tar"), "--push", ref, "--cache-dir", cache]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lastLine(again), digest);
    assert.match(again.stderr, /no layer bytes uploaded/);

    // Another repository of the same registry: blobs are mounted, not uploaded.
    const other = await cairn(["push", redisDef, "-A", "redis", `${reg.host}/other/redis:7`, "--cache-dir", cache]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, /no layer bytes uploaded \(\d+ blobs mounted from cairn\/redis/);
  });

  test("podman pulls and runs what cairn pushed", { skip: !available().podman && "needs podman: apt-get install podman runc" }, async () => {
    const ref = `${reg.host}/cairn/redis:7`;
    const pushed = await cairn(["push", redisDef, "-A", "redis", ref, "--cache-dir", cache]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const engine = await podman();
    try {
      await engine.cli(["pull", "--tls-verify=false", ref], { timeoutMs: 300_000 });
      const port = await freePort();
      const c = await engine.runDetached(["-p", `127.0.0.1:${port}:6379`, ref]);
      try {
        assert.equal(await eventually(() => redisPing(port), 60_000), "PONG");
      } finally {
        await c.stop();
      }
    } finally {
      await engine.cleanup();
    }
  });
});

describe("cairn push (TLS and htpasswd)", () => {
  let reg: Registry;
  before(async () => { reg = await registry({ auth: true, tls: true }); });
  after(async () => reg?.close());

  test("the right credentials push; wrong ones fail naming the registry, never showing the password", async () => {
    const ref = `${reg.host}/cairn/redis:7`;
    const ok = await cairn(["push", redisDef, "-A", "redis", ref, "--cache-dir", cache, "--ca-file", reg.caFile!], {
      env: { CAIRN_REGISTRY_USER: reg.user!, CAIRN_REGISTRY_PASSWORD: reg.password! },
    });
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await cairn(["push", redisDef, "-A", "redis", ref, "--cache-dir", cache, "--ca-file", reg.caFile!, "--creds", `${reg.user}:wrong-password-123`]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /CAIRN_E602/);
    assert.ok(bad.stderr.includes(reg.host), "names the registry");
    assert.ok(!(bad.stdout + bad.stderr).includes("wrong-password-123"), "no password in the output");
    assert.ok(!(bad.stdout + bad.stderr).includes(Buffer.from(`${reg.user}:wrong-password-123`).toString("base64")));
  });
});
