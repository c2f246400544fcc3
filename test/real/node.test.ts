// The real tier for node(pkgs).application(): examples/node-front (seed 003's front end) built
// with npm's registry through the derivation, served by http-server in podman; then an edit of
// the page rebuilds the top layer only, without running npm again.
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman, type Engine } from "../support/engines.js";

const example = fileURLToPath(new URL("../../examples/node-front/", import.meta.url));
const SEED_MB = 173; // seed 003's agatha-front image, as dive reported it

async function layersOf(tar: string): Promise<string[]> {
  const r = await command("tar", ["-xOf", tar, "manifest.json"]);
  return (JSON.parse(r.stdout) as { Layers: string[] }[])[0]!.Layers;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: await r.text() };
}

describe("examples/node-front", { skip: !available().podman && "podman or runc missing" }, () => {
  let work = "";
  let engine: Engine | undefined;
  let firstTar = "";
  let firstDigest = "";
  const build = (file: string, out: string, cacheDir = sharedCache()) => cairn(["build", file, "-A", "image", "-o", out, "--cache-dir", cacheDir], { timeoutMs: 600_000 });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cairn-node-"));
    firstTar = join(work, "front.tar");
    const lock = await readFile(join(example, "cairn.lock"), "utf8");
    const r = await build(join(example, "image.ts"), firstTar);
    assert.equal(r.code, 0, r.stderr);
    // The shared cache may hold node_modules from an earlier run (or agatha.test.ts); the last
    // test builds with a fresh cache, where npm ci must run.
    assert.match(r.stderr, /derivation agatha-front-node-modules: (building .* with network|inputs unchanged, reusing)/);
    assert.equal(await readFile(join(example, "cairn.lock"), "utf8"), lock, "the committed lock is kept");
    firstDigest = lastLine(r);
    engine = await podman();
  });

  after(async () => {
    await engine?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("the image: node_modules from the lock, the app without node_modules, a patched shebang, under the seed's size", async (t) => {
    const { root, config } = await extractImage(firstTar);
    assert.equal(JSON.parse(await readFile(join(root, "app/node_modules/http-server/package.json"), "utf8")).version, "14.1.1");
    assert.match(await readFile(join(root, "app/public/index.html"), "utf8"), /<h1>Agatha<\/h1>/);
    assert.equal((await readFile(join(root, "app/node_modules/http-server/bin/http-server"), "utf8")).split("\n")[0], "#!/usr/bin/node");
    assert.deepEqual(config.history.map((h: { created_by: string }) => h.created_by).slice(-3), ["cairn: generated files", "cairn: derivation agatha-front-node-modules", "cairn: your files"]);
    const dir = await mkdtemp(join(work, "layers-"));
    await command("tar", ["-xf", firstTar, "-C", dir]);
    let bytes = 0;
    for (const l of await layersOf(firstTar)) bytes += gunzipSync(await readFile(join(dir, l))).length;
    const mb = bytes / 1e6;
    t.diagnostic(`agatha-front: ${mb.toFixed(1)} MB uncompressed (layer tars), the seed's: ${SEED_MB} MB`);
    assert.ok(mb < SEED_MB, `${mb.toFixed(1)} MB is not under the seed's ${SEED_MB} MB`);
  });

  test("podman serves the page on the published port; other paths are 404 without BACKEND_URL", async () => {
    const ref = await engine!.load(firstTar);
    const port = await freePort();
    const c = await engine!.runDetached(["-p", `127.0.0.1:${port}:8080`, ref]);
    try {
      const page = await eventually(() => get(`http://127.0.0.1:${port}/`), 60_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}\ncontainer output:\n${await c.logs()}`);
      });
      assert.equal(page.status, 200);
      assert.equal(page.body, await readFile(join(example, "app/public/index.html"), "utf8"));
      assert.equal((await get(`http://127.0.0.1:${port}/api/accounts`)).status, 404);
    } finally {
      await c.stop();
    }
  });

  test("with BACKEND_URL, paths that are not files go to the backend", async () => {
    // The host's network, so the container reaches a backend on the host's loopback.
    const backend: Server = createServer((req, res) => res.end(`backend saw ${req.url}`));
    await new Promise<void>((ok) => backend.listen(0, "127.0.0.1", ok));
    const port = await freePort();
    const c = await engine!.runDetached(["--network", "host", "-e", `PORT=${port}`, "-e", `BACKEND_URL=http://127.0.0.1:${(backend.address() as AddressInfo).port}`, "agatha-front:latest"]);
    try {
      const r = await eventually(() => get(`http://127.0.0.1:${port}/api/accounts`), 60_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}\ncontainer output:\n${await c.logs()}`);
      });
      assert.equal(r.body, "backend saw /api/accounts");
      assert.match((await get(`http://127.0.0.1:${port}/`)).body, /<h1>Agatha<\/h1>/, "files are still served");
    } finally {
      await c.stop();
      await new Promise<void>((ok) => backend.close(() => ok()));
    }
  });

  test("an edit of the page changes only the top layer, and npm does not run again", async () => {
    const copy = join(work, "node-front");
    await cp(example, copy, { recursive: true });
    await writeFile(join(copy, "app/public/index.html"), "<!doctype html>\n<h1>Agatha, edited</h1>\n");
    // The baseline is built right before: cairn's own sources are an input of the derivation's
    // key, and a build from a tree being edited must not count as a change of the app.
    const baseline = join(work, "baseline.tar");
    const b = await build(join(example, "image.ts"), baseline);
    assert.equal(b.code, 0, b.stderr);
    const tar = join(work, "edited.tar");
    const r = await build(join(copy, "image.ts"), tar);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /derivation agatha-front-node-modules: inputs unchanged, reusing/);
    assert.doesNotMatch(r.stderr, /with network/);
    assert.notEqual(lastLine(r), lastLine(b));
    const before = await layersOf(baseline);
    const afterEdit = await layersOf(tar);
    assert.equal(afterEdit.length, before.length);
    const differing = before.map((l, i) => (l === afterEdit[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(differing, [before.length - 1], "exactly the top layer differs");
  });

  test("another cache runs npm ci again and gets the same image, byte for byte", async () => {
    const r = await build(join(example, "image.ts"), join(work, "again.tar"), join(work, "cache-b"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /derivation agatha-front-node-modules: building .* with network/);
    assert.equal(lastLine(r), firstDigest);
  });
});
