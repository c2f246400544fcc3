// `cairn graph` and `cairn why` for real, on the redis example: as a definition (with the lock's
// left-out packages) and as the image tar cairn builds. The PNG is checked by its header, the
// SVG by python3's XML parser, the DOT by graphviz when installed (else by its structure).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { cairn } from "../support/cairn.js";
import { sharedCache } from "../support/cache.js";

const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const cache = ["--cache-dir", sharedCache()];
const hasDot = spawnSync("dot", ["-V"]).status === 0;

/** The lock's closure for the redis export: every package, kept or not. */
async function lockedPackages(): Promise<string[]> {
  const lock = JSON.parse(await readFile(fileURLToPath(new URL("../../examples/redis/cairn.lock", import.meta.url)), "utf8"));
  return (lock.images.redis.packages as string[]).map((k) => lock.packages[k].name as string).sort();
}

/** data-package and class of every node, read by a real XML parser. */
function svgNodes(svg: string): { name: string; cls: string }[] {
  const script = "import sys, json, xml.dom.minidom as m\nd = m.parseString(sys.stdin.buffer.read())\nprint(json.dumps([[g.getAttribute('data-package'), g.getAttribute('class')] for g in d.getElementsByTagName('g') if g.hasAttribute('data-package')]))";
  const r = spawnSync("python3", ["-c", script], { input: svg, encoding: "utf8" });
  assert.equal(r.status, 0, `the SVG is not well-formed XML: ${r.stderr}`);
  return (JSON.parse(r.stdout) as [string, string][]).map(([name, cls]) => ({ name, cls }));
}

describe("cairn graph / why: the redis example", () => {
  let work: string;
  let closure: string[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cairn-graph-"));
    closure = await lockedPackages();
    const r = await cairn(["build", redisDef, "-A", "redis", "-o", join(work, "redis.tar"), "-q", ...cache]);
    assert.equal(r.code, 0, r.stderr);
  });

  test("--format png -o writes a PNG of the drawing's size", async () => {
    const png = join(work, "g.png");
    const r = await cairn(["graph", redisDef, "-A", "redis", "--format", "png", "-o", png, ...cache]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote .*g\.png \(png, 52 packages\)/);
    const bytes = await readFile(png);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    assert.equal(bytes.toString("latin1", 12, 16), "IHDR");
    const [width, height] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    // Rendered at 1.5× the SVG's own size.
    const svg = (await cairn(["graph", redisDef, "-A", "redis", "--format", "svg", "-q", ...cache])).stdout;
    const [, w, h] = /<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
    assert.ok(Math.abs(width - Number(w) * 1.5) <= 1 && Math.abs(height - Number(h) * 1.5) <= 1, `${width}x${height} for an SVG of ${w}x${h}`);
    assert.ok(width > 1500 && height > 800, `${width}x${height} is too small to read 52 packages`);
  });

  test("SVG: well-formed, one node per package of the closure, the root and the left-out marked", async () => {
    const r = await cairn(["graph", redisDef, "-A", "redis", "-o", join(work, "g.svg"), "-q", ...cache]);
    assert.equal(r.code, 0, r.stderr);
    const nodes = svgNodes(await readFile(join(work, "g.svg"), "utf8"));
    assert.deepEqual(nodes.map((n) => n.name).sort(), closure);
    assert.deepEqual(nodes.filter((n) => n.cls.includes("root")).map((n) => n.name), ["redis-server"]);
    const kept = nodes.filter((n) => !n.cls.includes("left-out")).map((n) => n.name);
    assert.equal(kept.length, 18);
    assert.ok(kept.includes("libssl3") && !kept.includes("perl-base"));
  });

  test("DOT (the default, to stdout): every package once, the left-out ones in their cluster", async () => {
    const r = await cairn(["graph", redisDef, "-A", "redis", "-q", ...cache]);
    assert.equal(r.code, 0, r.stderr);
    const dot = r.stdout;
    const declared = [...dot.matchAll(/^ +"([^"]+)" \[label=/gm)].map((m) => m[1]!);
    assert.deepEqual([...declared].sort(), closure);
    const cluster = /subgraph cluster_left_out \{([\s\S]*?)\n {2}\}/.exec(dot)![1]!;
    assert.equal([...cluster.matchAll(/\[label=/g)].length, closure.length - 18);
    for (const [, a, b] of dot.matchAll(/^ {2}"([^"]+)" -> "([^"]+)"/gm)) assert.ok(declared.includes(a!) && declared.includes(b!), `${a} -> ${b} names an undeclared node`);
    assert.match(dot, /^ {2}"redis-server" -> "redis-tools";$/m);
    assert.equal((dot.match(/\{/g) ?? []).length, (dot.match(/\}/g) ?? []).length);
    if (hasDot) {
      const g = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8" });
      assert.equal(g.status, 0, g.stderr);
    }
  });

  test("why libssl3: the dependency path and the programs that load it", async () => {
    const r = await cairn(["why", redisDef, "-A", "redis", "libssl3", ...cache]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^libssl3 \S+ is in the image \([\d.]+ MB\)\.$/m);
    assert.match(r.stdout, /^ {2}redis-server → redis-tools → libssl3$/m);
    // redis-check-rdb is the same file as redis-check-aof (a hard link), and redis-server a symlink to it.
    assert.match(r.stdout, /^ {2}\/usr\/bin\/redis-check-aof +needs libssl\.so\.3, libcrypto\.so\.3 \(also as \/usr\/bin\/redis-check-rdb, \/usr\/bin\/redis-server\)$/m);
    assert.match(r.stdout, /^ {2}\/usr\/bin\/redis-cli +needs libssl\.so\.3/m);
  });

  test("why a left-out package, and one not in the closure", async () => {
    const out = await cairn(["why", redisDef, "-A", "redis", "perl-base", "-q", ...cache]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^perl-base \S+ is in the Depends closure but was left out of the image: nothing in the image references it\.$/m);
    assert.match(out.stdout, /^ {2}redis-server → .* → perl-base$/m);
    const missing = await cairn(["why", redisDef, "-A", "redis", "nginx", "-q", ...cache]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error\[CAIRN_E201\]: nginx is not in redis's package closure/);
  });

  test("an image tar: the installed packages, roots guessed, the same files found", async () => {
    const tar = join(work, "redis.tar");
    const svg = await cairn(["graph", tar, "--format", "svg", "-q", ...cache]);
    assert.equal(svg.code, 0, svg.stderr);
    const nodes = svgNodes(svg.stdout);
    assert.equal(nodes.length, 18);
    assert.ok(nodes.every((n) => !n.cls.includes("left-out")));
    assert.deepEqual(nodes.filter((n) => n.cls.includes("root")).map((n) => n.name), ["redis-server"]);
    const why = await cairn(["why", tar, "libssl3", "-q", ...cache]);
    assert.equal(why.code, 0, why.stderr);
    assert.match(why.stdout, /^ {2}redis-server → redis-tools → libssl3$/m);
    assert.match(why.stdout, /\/usr\/bin\/redis-check-aof +needs libssl\.so\.3/);
  });
});
