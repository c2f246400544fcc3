// Layers compressed as asked: zstd and none beside the default gzip. The tars inside (the diffIDs)
// are the same whatever the compressor; the gzip image is the one cairn always made; a zstd image
// loads and runs in podman and verifies in a fresh cache.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { podman, type Engine } from "../support/engines.js";

const dummy = fileURLToPath(new URL("../../examples/dummy/image.ts", import.meta.url));
let dir: string;
let engine: Engine;
before(async () => {
  dir = await project({ "image.ts": (await readFile(dummy, "utf8")).replace('from "cairn-build"', 'from "cairn"') });
  engine = await podman();
});
after(async () => engine?.cleanup());

const tarJson = async (tar: string, member: string) => JSON.parse((await command("tar", ["-xOf", tar, member])).stdout);
async function manifestAndConfig(tar: string) {
  const index = await tarJson(tar, "index.json");
  const manifest = await tarJson(tar, `blobs/sha256/${index.manifests[0].digest.slice(7)}`);
  const config = await tarJson(tar, `blobs/sha256/${manifest.config.digest.slice(7)}`);
  return { manifest, config };
}

test("--compressor zstd and none: other layer media types and digests, the same diffIDs; gzip is the default's image", { timeout: 600_000 }, async () => {
  const built: Record<string, { digest: string; manifest: any; config: any }> = {};
  for (const kind of ["default", "gzip", "zstd", "none"]) {
    const out = join(dir, `${kind}.tar`);
    const r = await cairn(["build", "-o", out, ...(kind === "default" ? [] : ["--compressor", kind]), "--cache-dir", sharedCache()], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    built[kind] = { digest: lastLine(r), ...(await manifestAndConfig(out)) };
  }
  assert.equal(built.gzip!.digest, built.default!.digest, "gzip is what a build without --compressor makes");
  const types = (k: string) => built[k]!.manifest.layers.map((l: { mediaType: string }) => l.mediaType);
  assert.ok(types("default").every((t: string) => t === "application/vnd.oci.image.layer.v1.tar+gzip"));
  assert.ok(types("zstd").every((t: string) => t === "application/vnd.oci.image.layer.v1.tar+zstd"));
  assert.ok(types("none").every((t: string) => t === "application/vnd.oci.image.layer.v1.tar"));
  assert.deepEqual(built.zstd!.config.rootfs.diff_ids, built.default!.config.rootfs.diff_ids);
  assert.deepEqual(built.none!.config.rootfs.diff_ids, built.default!.config.rootfs.diff_ids);
  assert.notEqual(built.zstd!.digest, built.default!.digest);
  // A plain layer is its own tar: its digest is its diffID.
  assert.deepEqual(built.none!.manifest.layers.map((l: { digest: string }) => l.digest), built.none!.config.rootfs.diff_ids);
  const size = (k: string) => built[k]!.manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
  assert.ok(size("zstd") < size("none"), `zstd compresses (${size("zstd")} of ${size("none")} bytes)`);

  // podman reads zstd layers: the image loads and runs.
  const ref = await engine.load(join(dir, "zstd.tar"));
  const run = await engine.run([ref, "sh", "-c", "echo from-zstd"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "from-zstd");
  // cairn reads them back too: size unpacks every layer, and finds what the gzip image holds.
  const sizeOf = async (tar: string) => {
    const r = await cairn(["size", join(dir, tar), "--json", "--cache-dir", sharedCache()], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { fileCount: number; finalSize: number };
  };
  const [z, g] = [await sizeOf("zstd.tar"), await sizeOf("default.tar")];
  assert.ok(g.fileCount > 0);
  assert.equal(z.fileCount, g.fileCount);
  assert.equal(z.finalSize, g.finalSize);
});

test("a zstd image is reproducible: verify in a fresh cache gives the same digest", { timeout: 600_000 }, async () => {
  const v = await cairn(["verify", "--compressor", "zstd", "--cache-dir", sharedCache()], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /reproducible: sha256:[0-9a-f]{64}/);
});

test("compressor in the definition; a wrong one is refused where it is written", { timeout: 300_000 }, async () => {
  const own = await project({
    "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const x = buildImage({ name: "x", compressor: "zstd", contents: [pkgs("busybox")], config: { Cmd: ["sh"] } });
`,
  });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: own });
  assert.equal(r.code, 0, r.stderr);
  const { manifest } = await manifestAndConfig(join(own, "result"));
  assert.equal(manifest.layers[0].mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
  const bad = await project({ "image.ts": `import { buildImage } from "cairn";\nexport const x = buildImage({ name: "x", compressor: "lz4" as never });\n` });
  const b = await cairn(["build", "--cache-dir", sharedCache()], { cwd: bad });
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /buildImage\(\)\.compressor must be "gzip", "zstd" or "none"/);
  const flag = await cairn(["build", "--compressor", "lz4", "--cache-dir", sharedCache()], { cwd: own });
  assert.equal(flag.code, 2, flag.stderr);
});
