import { test } from "node:test";
import assert from "node:assert/strict";
import { orderByPopularity, planLayers, type PackageGraph } from "./layering.js";

// app -> {left, right} -> base: base is reached by all 4, left/right by 2 each, app by itself.
const diamond: PackageGraph = {
  nodes: ["app", "left", "right", "base"],
  edges: [["app", "left"], ["app", "right"], ["left", "base"], ["right", "base"]],
  roots: ["app"],
};

test("diamond: most depended-on at the bottom, ties by name", () => {
  assert.deepEqual(orderByPopularity(diamond), ["base", "left", "right", "app"]);
  assert.deepEqual(planLayers(diamond, 10), [["base"], ["left"], ["right"], ["app"]]);
});

test("exact ordering on a deeper graph", () => {
  // redis-server -> redis-tools -> {libc6, libjemalloc2, liblua}; libjemalloc2, liblua -> libc6;
  // libc6 <-> libgcc-s1 (Debian's real cycle); adduser -> passwd -> libc6.
  const g: PackageGraph = {
    nodes: ["redis-server", "redis-tools", "libc6", "libgcc-s1", "libjemalloc2", "liblua", "adduser", "passwd"],
    edges: [
      ["redis-server", "redis-tools"],
      ["redis-server", "adduser"],
      ["redis-tools", "libc6"],
      ["redis-tools", "libjemalloc2"],
      ["redis-tools", "liblua"],
      ["libjemalloc2", "libc6"],
      ["liblua", "libc6"],
      ["libc6", "libgcc-s1"],
      ["libgcc-s1", "libc6"],
      ["adduser", "passwd"],
      ["passwd", "libc6"],
    ],
    roots: ["redis-server"],
  };
  // libc6 and libgcc-s1 reach each other, so everyone reaches both (8); redis-tools 2 (itself,
  // redis-server); libjemalloc2, liblua 3; passwd 3 (itself, adduser, redis-server); adduser 2.
  assert.deepEqual(orderByPopularity(g), [
    "libc6", "libgcc-s1", "libjemalloc2", "liblua", "passwd", "adduser", "redis-tools", "redis-server",
  ]);
});

test("a cycle terminates and both members rank together", () => {
  const g: PackageGraph = {
    nodes: ["a", "b", "c"],
    edges: [["a", "b"], ["b", "a"], ["c", "a"], ["a", "a"]],
    roots: ["c"],
  };
  assert.deepEqual(planLayers(g, 5), [["a"], ["b"], ["c"]]);
});

test("over the limit: the tail merges into one group, reserved layers left free", () => {
  // 4 packages, 3 layers, 1 reserved: 2 package groups.
  assert.deepEqual(planLayers(diamond, 3), [["base"], ["left", "right", "app"]]);
  assert.deepEqual(planLayers(diamond, 4, 2), [["base"], ["left", "right", "app"]]);
  assert.deepEqual(planLayers(diamond, 2), [["base", "left", "right", "app"]]);
  // Exactly at the limit: no merge.
  assert.deepEqual(planLayers(diamond, 5), [["base"], ["left"], ["right"], ["app"]]);
  assert.deepEqual(planLayers(diamond, 3, 0), [["base"], ["left"], ["right", "app"]]);
});

test("too few layers is an error", () => {
  assert.throws(() => planLayers(diamond, 1), /at least 2/);
  assert.throws(() => planLayers(diamond, 2, 2), /at least 3/);
});

test("packages not reachable from a root go on top; edge endpoints count as nodes", () => {
  const g: PackageGraph = {
    nodes: ["app", "lib", "orphan"],
    edges: [["app", "lib"], ["orphan", "lib"], ["stray", "lib"]],
    roots: ["app"],
  };
  // lib is reached by 4; orphan and stray are not reachable from app.
  assert.deepEqual(orderByPopularity(g), ["lib", "app", "orphan", "stray"]);
  assert.throws(() => planLayers({ ...g, roots: ["nope"] }, 5), /root "nope"/);
});

test("the plan does not depend on input order", () => {
  const big = randomGraph(60, 150, 42);
  const expected = planLayers(big, 20);
  let seed = 7;
  for (let i = 0; i < 20; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const shuffled: PackageGraph = {
      nodes: shuffle(big.nodes, seed),
      edges: shuffle(big.edges, seed + 1).map((e) => [...e] as [string, string]),
      roots: shuffle(big.roots, seed + 2),
    };
    assert.deepEqual(planLayers(shuffled, 20), expected);
  }
  assert.equal(expected.length, 19);
  assert.equal(expected.flat().length, 60);
  assert.equal(new Set(expected.flat()).size, 60);
});

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  const r = lcg(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function randomGraph(n: number, m: number, seed: number): PackageGraph {
  const r = lcg(seed);
  const nodes = Array.from({ length: n }, (_, i) => `pkg${String(i).padStart(2, "0")}`);
  const edges: [string, string][] = [];
  for (let i = 0; i < m; i++) edges.push([nodes[Math.floor(r() * n)]!, nodes[Math.floor(r() * n)]!]);
  return { nodes, edges, roots: nodes.slice(0, 5) };
}
