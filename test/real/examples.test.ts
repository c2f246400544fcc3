// The real tier: the README's examples built from the host's Debian mirror (through their
// committed cairn.lock), then run in podman and in a real Docker engine as the seeds do.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, docker, eventually, freePort, podman, redisPing, type Engine } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const work = await mkdtemp(join(tmpdir(), "cairn-real-"));
const redisTar = join(work, "redis.tar");

async function uidOfContainer(engine: Engine, id: string): Promise<number> {
  const pid = (await engine.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

async function servesRedis(engine: Engine, tar = redisTar): Promise<void> {
  const ref = await engine.load(tar);
  const port = await freePort();
  const c = await engine.runDetached(["-p", `127.0.0.1:${port}:6379`, ref]);
  try {
    const pong = await eventually(() => redisPing(port), 60_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\ncontainer output:\n${await c.logs()}`);
    });
    assert.equal(pong, "PONG");
    assert.equal(await uidOfContainer(engine, c.id), 999, "redis-server runs as the redis user");
  } finally {
    await c.stop();
  }
}

describe("examples/redis -A redisTrixie: the same function, Debian 13 from the host's mirror", () => {
  test("it builds from the committed lock, is trixie's redis 8, and answers PONG in podman", { skip: !available().podman && "podman missing" }, async () => {
    const tar = join(work, "redis-trixie.tar");
    const r = await cairn(["build", join(examples, "redis/image.ts"), "-A", "redisTrixie", "--frozen", "-o", tar, "--cache-dir", sharedCache()]);
    assert.equal(r.code, 0, r.stderr);
    const { root } = await extractImage(tar);
    assert.match(await readFile(join(root, "etc/os-release"), "utf8"), /VERSION_CODENAME=trixie/);
    const q = await command("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Version}", "redis-server"]);
    assert.match(q.stdout, /^5:8\./);
    const engine = await podman();
    try {
      await servesRedis(engine, tar);
    } finally {
      await engine.cleanup();
    }
  });
});

describe("examples/redis", () => {
  let digest: string;
  const lockPath = join(examples, "redis/cairn.lock");
  let lockText: string;

  before(async () => {
    lockText = await readFile(lockPath, "utf8");
    // A fresh cache, as the next test's: two fresh caches must give one digest.
    const r = await cairn(["build", join(examples, "redis/image.ts"), "-A", "redis", "-o", redisTar, "--cache-dir", join(work, "cache-a")]);
    assert.equal(r.code, 0, r.stderr);
    digest = lastLine(r);
  });

  test("builds to a digest and keeps the committed lock", async () => {
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await readFile(lockPath, "utf8"), lockText);
    assert.ok(!/https?:\/\//.test(lockText), "the lock names no mirror");
  });

  test("the same digest with another cache, TZ=Asia/Tokyo, umask 077, another folder", async () => {
    const r = await cairn(["build", join(examples, "redis/image.ts"), "-A", "redis", "-o", join(work, "redis2.tar"), "--cache-dir", join(work, "cache-b")], {
      cwd: work, umask: "077", env: { TZ: "Asia/Tokyo", LC_ALL: "C.UTF-8" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
  });

  test("skopeo reads it as docker-archive and as oci-archive", async () => {
    const oci = JSON.parse((await command("skopeo", ["inspect", `oci-archive:${redisTar}`])).stdout);
    assert.equal(oci.Digest, digest);
    const dockerArchive = JSON.parse((await command("skopeo", ["inspect", `docker-archive:${redisTar}`])).stdout);
    assert.equal(dockerArchive.Layers.length, oci.Layers.length);
    assert.deepEqual(dockerArchive.Env, oci.Env);
  });

  test("its dpkg database lists redis-server at the locked version", async () => {
    const lock = JSON.parse(lockText);
    const key = lock.images.redis.packages.find((k: string) => k.startsWith("redis-server "));
    const version = key.split(" ")[1];
    const { root } = await extractImage(redisTar);
    const q = await command("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Version} ${Status}", "redis-server"]);
    assert.equal(q.stdout, `${version} install ok installed`);
    assert.match(await readFile(join(root, "etc/os-release"), "utf8"), /VERSION_CODENAME=bookworm/);
  });

  test("podman runs it: PONG, as the redis user", { skip: !available().podman && "podman missing" }, async () => {
    const engine = await podman();
    try {
      await servesRedis(engine);
    } finally {
      await engine.cleanup();
    }
  });

  test("docker load < result; docker run: PONG, as the redis user", { skip: !available().docker && "docker missing" }, async () => {
    const engine = await docker();
    try {
      await servesRedis(engine);
    } finally {
      await engine.cleanup();
    }
  });
});

describe("examples/dummy", () => {
  test("busybox with sh: `sh -c 'echo hi'` in podman", { skip: !available().podman && "podman missing" }, async () => {
    const out = join(work, "dummy.tar");
    const r = await cairn(["build", join(examples, "dummy/image.ts"), "-o", out, "--cache-dir", sharedCache()]);
    assert.equal(r.code, 0, r.stderr);
    const engine = await podman();
    try {
      const ref = await engine.load(out);
      const run = await engine.run([ref, "sh", "-c", "echo hi"]);
      assert.equal(run.stdout, "hi\n", run.stderr);
      const cmd = await engine.run([ref]);
      assert.equal(cmd.code, 0, "the default Cmd (sh) starts and exits on empty stdin");
    } finally {
      await engine.cleanup();
    }
  });
});

describe("the host's mirror, resolved live", () => {
  test("a package that does not exist fails with its name and a suggestion", async () => {
    const d = await project({ "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const x = buildImage({ name: "x", contents: [pkgs("redis-sevrer")] });` });
    const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /redis-sevrer/);
    assert.match(r.stderr, /redis-server/);
  });

  test("a tool with ca-certificates gets a CA bundle; python3 runs as a declared user", { skip: !available().podman && "podman missing" }, async () => {
    const d = await project({ "image.ts": `import { buildLayeredImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const py = buildLayeredImage({
  name: "py", contents: [pkgs("python3"), pkgs("ca-certificates")],
  users: [{ name: "app", uid: 1001 }],
  config: { User: "app", Cmd: ["python3", "-c", "import os, ssl, json; print(json.dumps([os.getuid(), ssl.create_default_context().cert_store_stats()['x509_ca'] > 100]))"] },
});` });
    const r = await cairn(["build", "--cache-dir", sharedCache(), "-o", join(work, "py.tar")], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    const engine = await podman();
    try {
      const ref = await engine.load(join(work, "py.tar"));
      const run = await engine.run([ref]);
      assert.equal(run.stdout.trim(), "[1001, true]", run.stderr);
    } finally {
      await engine.cleanup();
    }
  });
});
