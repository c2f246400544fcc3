// The test registry, checked with skopeo: a plain one takes a push, an authenticated TLS one
// refuses anonymous and wrong-password pushes and takes the right one.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { command } from "./command.js";
import { registry } from "./registry.js";
import { staticBinary } from "./signed-repo.js";

let work: string;
let layer: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "cairn-registry-test-"));
  await mkdir(join(work, "root", "bin"), { recursive: true });
  await copyFile(staticBinary(), join(work, "root", "bin", "busybox"));
  await symlink("busybox", join(work, "root", "bin", "sh"));
  layer = join(work, "layer.tar");
  await command("tar", ["-C", join(work, "root"), "--owner=0", "--group=0", "-cf", layer, "."]);
});
after(() => rm(work, { recursive: true, force: true }));

const skopeo = (args: string[]) => command("skopeo", args, { allowFail: true, timeoutMs: 60_000 });

test("a plain registry takes a push that skopeo can inspect", { timeout: 120_000 }, async () => {
  const r = await registry();
  try {
    assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const push = await skopeo(["copy", "--dest-tls-verify=false", `tarball:${layer}`, `docker://${r.host}/harness/plain:1`]);
    assert.equal(push.code, 0, push.stderr);
    const inspect = await skopeo(["inspect", "--tls-verify=false", `docker://${r.host}/harness/plain:1`]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).Layers.length, 1);
  } finally {
    await r.close();
  }
});

test("an auth + TLS registry refuses bad credentials and untrusted clients", { timeout: 120_000 }, async () => {
  const r = await registry({ auth: true, tls: true });
  try {
    assert.ok(r.url.startsWith("https://") && r.certDir && r.user && r.password);
    const ref = `docker://${r.host}/harness/secure:1`;
    const untrusted = await skopeo(["copy", "--dest-creds", `${r.user}:${r.password}`, `tarball:${layer}`, ref]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/i);
    const wrong = await skopeo(["copy", "--dest-cert-dir", r.certDir!, "--dest-creds", `${r.user}:nope`, `tarball:${layer}`, ref]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /unauthorized|authentication required/i);
    const ok = await skopeo(["copy", "--dest-cert-dir", r.certDir!, "--dest-creds", `${r.user}:${r.password}`, `tarball:${layer}`, ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const inspect = await skopeo(["inspect", "--cert-dir", r.certDir!, "--creds", `${r.user}:${r.password}`, ref]);
    assert.equal(inspect.code, 0, inspect.stderr);
  } finally {
    await r.close();
  }
});
