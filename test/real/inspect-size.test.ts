// `cairn size` for real: the redis example as a definition, as cairn's tar, and as the OCI and
// docker archives skopeo writes from it; then an image on top of it that rewrites files, which
// dive would score below 1. The figures are checked against `tar -tv` listings of the layers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { cairn, project } from "../support/cairn.js";
import { sharedCache } from "../support/cache.js";
import { command } from "../support/command.js";
import type { SizeReport } from "../../src/inspect/size.js";

const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;

/** Each layer's entries as `tar -tv` lists them: path → size (0 for links and directories). */
async function tarListing(imageTar: string): Promise<{ path: string; size: number; dir: boolean }[][]> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-size-list-"));
  try {
    await command("tar", ["-xf", imageTar, "-C", dir]);
    const manifest = JSON.parse((await command("cat", [join(dir, "manifest.json")])).stdout);
    const layers = [];
    for (const layer of manifest[0].Layers as string[]) {
      const out = (await command("tar", ["-tvzf", join(dir, layer), "--numeric-owner"])).stdout;
      layers.push(out.split("\n").filter(Boolean).map((line) => {
        const m = /^(\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*?)(?: -> .*| link to .*)?$/.exec(line);
        assert.ok(m, `a tar -tv line: ${line}`);
        return { path: m[3]!.replace(/^\.?\/+/, "").replace(/\/$/, ""), size: m[1] === "h" ? 0 : Number(m[2]), dir: m[1] === "d" };
      }).filter((e) => e.path));
    }
    return layers;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("cairn size: the redis example", () => {
  let dir: string;
  let cache: string;
  let redisTar: string;
  const size = async (...args: string[]): Promise<SizeReport> => {
    const r = await cairn(["size", ...args, "--json", "--top", "1000", "--cache-dir", cache]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as SizeReport;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-size-"));
    cache = sharedCache();
    redisTar = join(dir, "redis.tar");
    const r = await cairn(["build", redisDef, "-A", "redis", "-o", redisTar, "--frozen", "--cache-dir", cache]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("per package plus the files of no package add up to the layers' content, exactly", async () => {
    const r = await size(redisDef, "-A", "redis");
    assert.equal(r.packages.length, 18);
    assert.ok(r.packages.every((p) => p.size > 0 && p.files > 0 && p.layers.length > 0), "each package has files, in some layer");
    const packaged = r.packages.reduce((n, p) => n + p.size, 0);
    const content = r.layers.reduce((n, l) => n + l.contentSize, 0);
    // Nothing is rewritten or removed, so the final filesystem holds every byte of every layer:
    // Σ package sizes + Σ sizes of files of no package = Σ layer content sizes, to the byte.
    assert.equal(packaged + r.unpackaged.size, content);
    assert.equal(r.contentSize, content);
    assert.equal(r.finalSize, content);
    // The layers' tars hold that content plus tar's own bytes: a 512-byte header per entry, padding
    // of the data to 512, a possible PAX header (≤ 1024) for long names, the end-of-archive blocks
    // padded to a 10240-byte record: 512·n ≤ tar − content ≤ 2048·n + 10240.
    for (const l of r.layers) {
      const overhead = l.tarSize! - l.contentSize;
      assert.ok(overhead >= 512 * l.entries && overhead <= 2048 * l.entries + 10240, `layer ${l.index}: ${overhead} bytes of tar for ${l.entries} entries`);
    }
    const libssl = r.packages.find((p) => p.name === "libssl3")!;
    assert.equal(r.largest[0]!.path, "usr/lib/x86_64-linux-gnu/libcrypto.so.3");
    assert.equal(r.largest[0]!.package, "libssl3");
    assert.ok(libssl.layers.length === 1 && r.layers[libssl.layers[0]!]!.createdBy === "cairn: libssl3", "its layer says what it holds");
  });

  test("efficiency 1, nothing wasted — and indeed no path is in two layers", async () => {
    const r = await size(redisDef, "-A", "redis");
    assert.equal(r.efficiency.score, 1);
    assert.equal(r.efficiency.wastedBytes, 0);
    assert.deepEqual(r.efficiency.inefficiencies, []);
    const seen = new Map<string, number>();
    for (const [i, layer] of (await tarListing(redisTar)).entries()) {
      for (const e of layer) {
        if (e.dir) continue;
        assert.equal(seen.get(e.path), undefined, `${e.path} in layers ${seen.get(e.path)} and ${i}`);
        seen.set(e.path, i);
      }
    }
  });

  test("the same figures from cairn's tar and from skopeo's OCI and docker archives", { skip: !hasSkopeo && "skopeo is not installed" }, async () => {
    const oci = join(dir, "foreign-oci.tar");
    const docker = join(dir, "foreign-docker.tar");
    await command("skopeo", ["copy", `docker-archive:${redisTar}`, `oci-archive:${oci}`]);
    await command("skopeo", ["copy", `oci-archive:${oci}`, `docker-archive:${docker}:redis:7`]);
    const fromDef = await size(redisDef, "-A", "redis");
    for (const tar of [redisTar, oci, docker]) {
      const r = await size(tar);
      assert.deepEqual(r.packages, fromDef.packages, tar);
      assert.deepEqual(r.unpackaged, fromDef.unpackaged, tar);
      assert.deepEqual(r.layers.map((l) => [l.contentSize, l.tarSize, l.entries, l.createdBy]), fromDef.layers.map((l) => [l.contentSize, l.tarSize, l.entries, l.createdBy]), tar);
      assert.deepEqual(r.efficiency, fromDef.efficiency, tar);
    }
    // For people: the summary, one row per layer.
    const text = await cairn(["size", oci, "--cache-dir", cache]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /efficiency 100 %, wasted 0 B/);
    assert.match(text.stdout, /\n +18 +\S+ \S+ +\S+ \S+ +\S+ \S+ +\d+ +cairn: generated files\n/);
  });

  test("an image that rewrites files of its base: below 1, and the waste is every copy of each rewritten path", async () => {
    const app = await project({ "image.ts": `import { buildImage, imageFile, text } from "cairn";
export const app = buildImage({
  name: "app", tag: "1", fromImage: imageFile(${JSON.stringify(redisTar)}),
  contents: [text("/etc/redis/redis.conf", "port 6380\\n")],
});` });
    const appTar = join(app, "app.tar");
    const b = await cairn(["build", join(app, "image.ts"), "-A", "app", "-o", appTar, "--cache-dir", cache]);
    assert.equal(b.code, 0, b.stderr);
    const r = await size(appTar);
    assert.ok(r.efficiency.score < 1 && r.efficiency.score > 0.9, `score ${r.efficiency.score}`);
    const conf = r.efficiency.inefficiencies.find((i) => i.path === "/etc/redis/redis.conf");
    assert.ok(conf, "the rewritten redis.conf is listed");
    assert.deepEqual(conf.layers, [17, 19], "redis-server's layer, then the app's");

    // Independently, from the tar listings: every non-directory path in two layers or more, all its
    // copies summed (no whiteouts here, and directories in two layers weigh 0).
    const where = new Map<string, number[]>();
    for (const layer of await tarListing(appTar)) for (const e of layer) if (!e.dir) where.set(e.path, [...(where.get(e.path) ?? []), e.size]);
    const twice = [...where].filter(([, sizes]) => sizes.length > 1);
    assert.equal(r.efficiency.wastedBytes, twice.reduce((n, [, sizes]) => n + sizes.reduce((a, s) => a + s, 0), 0));
    assert.deepEqual(new Set(r.efficiency.inefficiencies.filter((i) => i.cumulativeSize > 0).map((i) => i.path)), new Set(twice.filter(([, s]) => s.some((x) => x > 0)).map(([p]) => `/${p}`)));
    const user = r.layers.slice(1).reduce((n, l) => n + l.contentSize, 0);
    assert.equal(r.efficiency.userWastedRatio, r.efficiency.wastedBytes / user);
  });
});
