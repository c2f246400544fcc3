import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { crossings, layoutGraph, LAYOUT, type LayoutInput, type LayoutNode } from "./graph-layout.js";

const node = (id: string, height = 30, group: 0 | 1 = 0): LayoutNode => ({ id, width: 20 + id.length * 7, height, group });

/** A Debian-like closure: a root, a few libraries, everything on libc6, a libc6 ↔ libgcc-s1 cycle. */
function closure(): LayoutInput {
  const nodes = ["app", "tools", "libssl3", "libsystemd0", "libzstd1", "liblzma5", "libc6", "libgcc-s1", "gcc-base", "adduser", "passwd"].map((id) => node(id, 30 + id.length * 3, id === "adduser" || id === "passwd" ? 1 : 0));
  const edges: [string, string][] = [
    ["app", "tools"], ["tools", "libssl3"], ["tools", "libsystemd0"], ["libsystemd0", "libzstd1"], ["libsystemd0", "liblzma5"],
    ["libssl3", "libc6"], ["libzstd1", "libc6"], ["liblzma5", "libc6"], ["libsystemd0", "libc6"], ["tools", "libc6"],
    ["libc6", "libgcc-s1"], ["libgcc-s1", "libc6"], ["libgcc-s1", "gcc-base"], ["tools", "adduser"], ["adduser", "passwd"],
  ];
  return { nodes, edges, roots: ["app"] };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("layoutGraph", () => {
  test("no two nodes of a column overlap, and columns do not overlap", () => {
    const l = layoutGraph(closure());
    for (const col of l.layers) {
      const boxes = col.map((id) => l.nodes.get(id)!).sort((a, b) => a.y - b.y);
      for (let i = 1; i < boxes.length; i++) {
        assert.ok(boxes[i]!.y >= boxes[i - 1]!.y + boxes[i - 1]!.height + LAYOUT.nodeGap - 1e-6, `${boxes[i - 1]!.id} and ${boxes[i]!.id} overlap`);
      }
    }
    for (let c = 1; c < l.layers.length; c++) {
      const right = Math.max(...l.layers[c - 1]!.map((id) => l.nodes.get(id)!.x + l.nodes.get(id)!.width));
      const left = Math.min(...l.layers[c]!.map((id) => l.nodes.get(id)!.x));
      assert.ok(left > right, `column ${c} starts left of column ${c - 1}'s end`);
    }
    for (const n of l.nodes.values()) assert.ok(n.x >= 0 && n.y >= 0 && n.x + n.width <= l.width && n.y + n.height <= l.height);
  });

  test("the same graph, given in any order, is laid out the same", () => {
    const input = closure();
    const a = JSON.stringify([...layoutGraph(input).nodes.entries()]);
    for (const seed of [1, 7, 42]) {
      const b = layoutGraph({ nodes: shuffled(input.nodes, seed), edges: shuffled(input.edges, seed + 1), roots: input.roots });
      assert.equal(JSON.stringify([...b.nodes.entries()].sort(([x], [y]) => (x < y ? -1 : 1))), JSON.stringify([...JSON.parse(a) as [string, unknown][]].sort(([x], [y]) => (x < y ? -1 : 1))));
    }
  });

  test("longest-path layers from the root; a cycle is drawn with one edge reversed", () => {
    const l = layoutGraph(closure());
    const layer = (id: string) => l.nodes.get(id)!.layer;
    assert.equal(layer("app"), 0);
    assert.equal(layer("tools"), 1);
    // libc6 sits after its deepest dependant (tools → libsystemd0 → libzstd1 → libc6).
    assert.equal(layer("libc6"), 4);
    for (const e of l.edges) if (!e.reversed) assert.ok(layer(e.to) > layer(e.from), `${e.from} → ${e.to} goes backwards`);
    const back = l.edges.filter((e) => e.reversed);
    assert.equal(back.length, 1);
    assert.deepEqual([back[0]!.from, back[0]!.to], ["libgcc-s1", "libc6"]);
  });

  test("edges run from the source's right side to the target's left side, through the columns between", () => {
    const l = layoutGraph(closure());
    const e = l.edges.find((x) => x.from === "tools" && x.to === "libc6")!;
    const from = l.nodes.get("tools")!, to = l.nodes.get("libc6")!;
    assert.equal(e.points[0]!.x, from.x + from.width);
    assert.ok(e.points[0]!.y >= from.y && e.points[0]!.y <= from.y + from.height);
    assert.equal(e.points[e.points.length - 1]!.x, to.x);
    // Three columns between: two bend points each.
    assert.equal(e.points.length, 2 + 2 * (to.layer - from.layer - 1));
  });

  test("group 1 is drawn apart, below every node of group 0", () => {
    const l = layoutGraph(closure());
    assert.ok(l.apartTop !== undefined);
    const mainBottom = Math.max(...[...l.nodes.values()].filter((n) => n.group === 0).map((n) => n.y + n.height));
    for (const id of ["adduser", "passwd"]) assert.ok(l.nodes.get(id)!.y >= l.apartTop! && l.apartTop! > mainBottom);
    assert.equal(layoutGraph({ ...closure(), nodes: closure().nodes.map((n) => ({ ...n, group: 0 as const })) }).apartTop, undefined);
  });

  test("ordering sweeps remove crossings the first (depth-first) order has", () => {
    // Depth-first from a puts c before d; b → c then crosses a → d.
    const nodes = ["a", "b", "c", "d", "e"].map((id) => node(id));
    const edges: [string, string][] = [["a", "c"], ["a", "d"], ["b", "c"], ["b", "e"]];
    const down = new Map<string, string[]>([["a", ["c", "d"]], ["b", ["c", "e"]]]);
    assert.equal(crossings([["a", "b"], ["c", "d", "e"]], down), 1);
    const l = layoutGraph({ nodes, edges, roots: ["a", "b"] });
    assert.deepEqual(l.layers, [["a", "b"], ["d", "c", "e"]]);
    assert.equal(crossings(l.layers, down), 0);
  });

  test("ignores self-loops, duplicates and edges to unknown nodes", () => {
    const l = layoutGraph({ nodes: [node("a"), node("b")], edges: [["a", "a"], ["a", "b"], ["a", "b"], ["a", "ghost"]], roots: ["a"] });
    assert.equal(l.edges.length, 1);
    assert.deepEqual(l.layers, [["a"], ["b"]]);
  });
});
