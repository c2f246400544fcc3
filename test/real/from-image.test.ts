// An application image on top of the pushed redis example (`fromImage: pullImage(...)`): the base
// pinned by digest in cairn.lock, its layers reused byte for byte at the bottom, its users kept,
// and the result runs.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman, redisPing } from "../support/engines.js";
import { registry, type Registry } from "../support/registry.js";

const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const cache = sharedCache();
const work = await mkdtemp(join(tmpdir(), "cairn-from-image-"));
let reg: Registry;
before(async () => { reg = await registry(); });
after(async () => {
  await reg?.close();
  await rm(work, { recursive: true, force: true });
});

test("fromImage: pinned base, its layers at the bottom byte for byte, its redis user kept; the image runs", async () => {
  const baseRef = `${reg.host}/cairn/redis:7`;
  const pushed = await cairn(["push", redisDef, "-A", "redis", baseRef, "--cache-dir", cache]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const baseDigest = lastLine(pushed);
  const baseTar = join(work, "base.tar");
  assert.equal((await cairn(["build", redisDef, "-A", "redis", "-o", baseTar, "--cache-dir", cache])).code, 0);

  const dir = await project({ "image.ts": `import { buildLayeredImage, pullImage, text } from "cairn";
export const app = buildLayeredImage({
  name: "app", tag: "1",
  fromImage: pullImage({ imageName: "${reg.host}/cairn/redis", tag: "7" }),
  contents: [text("/etc/app.conf", "greeting = hello\\n")],
  config: { Labels: { app: "on-redis" } },
});` });
  // Without a lock, --frozen refuses the unpinned base.
  const frozen = await cairn(["build", "--frozen", "--cache-dir", cache], { cwd: dir });
  assert.equal(frozen.code, 1);
  assert.match(frozen.stderr, /CAIRN_E301/);

  const r = await cairn(["build", "--cache-dir", cache], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.equal(lock.images.app.base.digest, baseDigest, "the tag is pinned to the pushed digest");

  const base = await extractImage(baseTar);
  const app = await extractImage(join(dir, "result"));
  assert.deepEqual(app.manifest.Layers.slice(0, base.manifest.Layers.length), base.manifest.Layers, "the base's layers, byte for byte");
  assert.equal(app.manifest.Layers.length, base.manifest.Layers.length + 1, "then one layer: no packages, so generated and user files together");
  assert.deepEqual(app.config.config.Cmd, base.config.config.Cmd, "the base's Cmd is kept");
  assert.equal(app.config.config.User, "redis");
  assert.deepEqual(app.config.config.Labels, { app: "on-redis" });
  assert.match(await readFile(join(app.root, "etc/passwd"), "utf8"), /^redis:x:999:999:/m);
  assert.match(await readFile(join(app.root, "var/lib/dpkg/status"), "utf8"), /^Package: redis-server$/m);
  assert.equal(await readFile(join(app.root, "etc/app.conf"), "utf8"), "greeting = hello\n");

  // Built again with the lock and --frozen: the same digest, no registry lookup needed for the tag.
  const again = await cairn(["build", "--frozen", "--cache-dir", cache], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(lastLine(again), lastLine(r));

  if (!available().podman) return;
  const engine = await podman();
  try {
    const ref = await engine.load(join(dir, "result"));
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

test("fromImage: imageFile() takes a base from an image tar, pinned by its manifest digest", async () => {
  const baseTar = join(work, "file-base.tar");
  const built = await cairn(["build", redisDef, "-A", "redis", "-o", baseTar, "--cache-dir", cache]);
  assert.equal(built.code, 0, built.stderr);
  const dir = await project({ "image.ts": `import { buildImage, imageFile, text } from "cairn";
export const app = buildImage({
  name: "app-file", fromImage: imageFile(${JSON.stringify(baseTar)}),
  contents: [text("/etc/app.conf", "from a file\\n")],
});` });
  const r = await cairn(["build", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-from-file-"))], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.equal(lock.images.app.base.digest, lastLine(built));
  const base = await extractImage(baseTar);
  const app = await extractImage(join(dir, "result"));
  assert.deepEqual(app.manifest.Layers.slice(0, base.manifest.Layers.length), base.manifest.Layers);
  assert.equal(await readFile(join(app.root, "etc/app.conf"), "utf8"), "from a file\n");
  assert.match(await readFile(join(app.root, "etc/passwd"), "utf8"), /^redis:x:999:/m);

  // The same base as an OCI layout directory (skopeo's oci: transport) gives the same image.
  const ociDir = join(await mkdtemp(join(tmpdir(), "cairn-oci-dir-")), "base");
  await command("skopeo", ["copy", `oci-archive:${baseTar}`, `oci:${ociDir}`]);
  const dir2 = await project({ "image.ts": (await readFile(join(dir, "image.ts"), "utf8")).replace(JSON.stringify(baseTar), JSON.stringify(ociDir)) });
  const r2 = await cairn(["build", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-from-dir-"))], { cwd: dir2 });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(lastLine(r2), lastLine(r), "same layers and config, same digest");
});
