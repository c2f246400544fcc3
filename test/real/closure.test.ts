// Issue 3 on real Debian packages: the runtime closure makes redis small, shared packages give
// byte-identical layers, an application edit changes one layer, and a broken closure is refused.
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const work = await mkdtemp(join(tmpdir(), "cairn-closure-"));
const cache = sharedCache();

interface Layers { digests: string[]; history: string[]; uncompressed: number }

async function layersOf(tar: string): Promise<Layers> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-layers-"));
  await command("tar", ["-xf", tar, "-C", dir]);
  const [m] = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  const config = JSON.parse(await readFile(join(dir, m.Config), "utf8"));
  let uncompressed = 0;
  for (const l of m.Layers as string[]) uncompressed += gunzipSync(await readFile(join(dir, l))).length;
  return { digests: (m.Layers as string[]).map((l) => l.split("/").pop()!), history: config.history.map((h: { created_by: string }) => h.created_by), uncompressed };
}

async function build(file: string, attr: string, out: string, cacheDir = cache) {
  const r = await cairn(["build", file, "-A", attr, "-o", out, "--cache-dir", cacheDir]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

describe("runtime closure on real packages", () => {
  test("redis is under 25 MB uncompressed, and the build says what it left out", async () => {
    // A fresh cache: what the closure left out is reported when the layers are made, and the
    // shared cache may already hold redis's.
    const r = await build(join(examples, "redis/image.ts"), "redis", join(work, "redis.tar"), join(work, "cache"));
    const { uncompressed, history } = await layersOf(join(work, "redis.tar"));
    assert.ok(uncompressed < 25e6, `redis image is ${(uncompressed / 1e6).toFixed(1)} MB uncompressed`);
    assert.match(r.stderr, /left out \d+ that nothing in the image uses/);
    assert.match(r.stderr, /- adduser: declared by/);
    assert.match(r.stderr, /more needed only by those: .*perl-base/);
    assert.ok(history.includes("cairn: libssl3") && history.includes("cairn: redis-tools"), history.join("\n"));
    assert.ok(!history.some((h) => /\b(adduser|perl-base|debconf)\b/.test(h)));
  });

  test("an ELF whose library is excluded fails, naming the file and the library", async () => {
    const d = await mkdtemp(join(tmpdir(), "cairn-broken-"));
    const def = (await readFile(join(examples, "redis/image.ts"), "utf8")).replace('contents: [pkgs("redis-server")],', 'contents: [pkgs("redis-server")],\n  exclude: ["libssl3"],');
    assert.notEqual(def, await readFile(join(examples, "redis/image.ts"), "utf8"));
    await cp(join(examples, "redis/cairn.lock"), join(d, "cairn.lock"));
    await appendFile(join(d, "image.ts"), def);
    const r = await cairn(["build", "-A", "redis", "--cache-dir", cache, "-o", join(d, "out.tar")], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error\[CAIRN_E403\]: \/usr\/bin\/redis-[a-z-]+ needs library libssl\.so\.3, but package libssl3 that ships it is excluded by the definition/);
  });

  test("two images sharing libc6 share its layer byte for byte; an app edit changes exactly one layer", async () => {
    const redis = await layersOf(join(work, "redis.tar"));
    const app = await mkdtemp(join(tmpdir(), "cairn-starlette-"));
    await cp(join(examples, "starlette"), app, { recursive: true });
    await build(join(app, "image.ts"), "image", join(work, "s1.tar"));
    const s1 = await layersOf(join(work, "s1.tar"));
    const libc = (l: Layers) => l.digests[l.history.indexOf("cairn: libc6")];
    assert.ok(libc(redis) && libc(redis) === libc(s1), "the libc6 layer is the same blob in both images");

    await appendFile(join(app, "server.py"), "# an edit\n");
    await build(join(app, "image.ts"), "image", join(work, "s2.tar"));
    const s2 = await layersOf(join(work, "s2.tar"));
    assert.equal(s2.digests.length, s1.digests.length);
    const changed = s2.digests.map((d, i) => (d === s1.digests[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed.map((i) => s2.history[i]), ["cairn: your files"]);
  });

  test("the starlette image answers GET / with its JSON", { skip: !available().podman && "podman missing" }, async () => {
    const engine = await podman();
    try {
      const ref = await engine.load(join(work, "s1.tar"));
      const port = await freePort();
      const c = await engine.runDetached(["-p", `127.0.0.1:${port}:8000`, ref]);
      try {
        const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 60_000);
        assert.deepEqual(JSON.parse(body), { message: "Hello, World!" });
      } finally {
        await c.stop();
      }
    } finally {
      await engine.cleanup();
    }
  });

  test("cairn build --stream | podman load gives an image that runs", { skip: !available().podman && "podman missing" }, async () => {
    const engine = await podman();
    try {
      const loaded = await new Promise<string>((resolve, reject) => {
        const build = spawn(process.execPath, [CAIRN_BIN, "build", join(examples, "dummy/image.ts"), "--stream", "--cache-dir", cache, "-q"], { stdio: ["ignore", "pipe", "inherit"] });
        const load = engine.loadStream(build.stdout);
        build.on("exit", (code) => { if (code !== 0) reject(new Error(`cairn build --stream exited ${code}`)); });
        load.then(resolve, reject);
      });
      const r = await engine.run([loaded, "sh", "-c", "echo streamed"]);
      assert.equal(r.stdout, "streamed\n", r.stderr);
    } finally {
      await engine.cleanup();
    }
  });
});

