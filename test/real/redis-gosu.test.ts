// Seed 004 in full (examples/redis-gosu): the gosu entrypoint drops root for redis, a pinned
// older redis-server, and the same image on top of a base image built by the same definition.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine } from "../support/cairn.js";
import { available, eventually, freePort, podman, redisPing, type Engine } from "../support/engines.js";

const definition = fileURLToPath(new URL("../../examples/redis-gosu/image.ts", import.meta.url));
const lock = JSON.parse(await readFile(fileURLToPath(new URL("../../examples/redis-gosu/cairn.lock", import.meta.url)), "utf8"));

describe("examples/redis-gosu", { skip: !available().podman && "podman missing" }, () => {
  let dir: string;
  let engine: Engine;
  const built = new Map<string, string>();
  const build = async (attr: string) => {
    const out = join(dir, `${attr}.tar`);
    const r = await cairn(["build", definition, "-A", attr, "-o", out, "--frozen", "--cache-dir", sharedCache()]);
    assert.equal(r.code, 0, r.stderr);
    built.set(attr, lastLine(r));
    return out;
  };
  const dpkgVersion = async (tar: string, pkg: string) => {
    const { root } = await extractImage(tar);
    const status = await readFile(join(root, "var/lib/dpkg/status"), "utf8");
    return /^Version: (.+)$/m.exec(status.split("\n\n").find((p) => p.startsWith(`Package: ${pkg}\n`)) ?? "")?.[1];
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-gosu-"));
    engine = await podman();
  });
  after(async () => {
    await engine?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  test("redis: the entrypoint starts as root, gosu drops to redis (uid 999), and it answers PING", async () => {
    const ref = await engine.load(await build("redis"));
    const port = await freePort();
    const c = await engine.runDetached(["-p", `${port}:6379`, ref]);
    try {
      assert.equal(await eventually(() => redisPing(port)), "PONG", await c.logs());
      // PID 1 is redis-server itself (the entrypoint and gosu exec'd into it), running as redis.
      const status = await engine.cli(["exec", c.id, "cat", "/proc/1/status"]);
      assert.match(status.stdout, /^Uid:\s+999\s+999\s+999\s+999$/m);
      const comm = await engine.cli(["exec", c.id, "cat", "/proc/1/comm"]);
      assert.equal(comm.stdout.trim(), "redis-server");
      // The seed's `chown -R redis .` ran in /data.
      const owner = await engine.cli(["exec", c.id, "stat", "-c", "%u:%g %U", "/data"]);
      assert.equal(owner.stdout.trim(), "999:999 redis");
    } finally {
      await c.stop();
    }
  });

  test("redisPinned: the pinned version is the one in the image, unlike the default", async () => {
    const pinned = lock.images.redisPinned.packages.find((k: string) => k.startsWith("redis-server "));
    assert.equal(pinned, "redis-server 5:7.0.15-1~deb12u7 amd64");
    assert.equal(await dpkgVersion(await build("redisPinned"), "redis-server"), "5:7.0.15-1~deb12u7");
    const latest = lock.images.redis.packages.find((k: string) => k.startsWith("redis-server ")).split(" ")[1];
    assert.notEqual(latest, "5:7.0.15-1~deb12u7", "the default must resolve another version, or the pin shows nothing");
    assert.equal(await dpkgVersion(await build("redis"), "redis-server"), latest);
  });

  test("redisOnBase: the base's layers at the bottom byte for byte, and it runs", async () => {
    const baseTar = await build("base");
    const onBaseTar = await build("redisOnBase");
    const layersOf = async (tar: string) => (await extractImage(tar)).manifest.Layers;
    const baseLayers = await layersOf(baseTar);
    const onBase = await layersOf(onBaseTar);
    assert.deepEqual(onBase.slice(0, baseLayers.length), baseLayers);
    assert.ok(onBase.length > baseLayers.length);
    const ref = await engine.load(onBaseTar);
    const port = await freePort();
    const c = await engine.runDetached(["-p", `${port}:6379`, ref]);
    try {
      assert.equal(await eventually(() => redisPing(port)), "PONG", await c.logs());
    } finally {
      await c.stop();
    }
  });
});
