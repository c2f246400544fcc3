import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCairnError } from "../errors.js";
import type { PackageGraph } from "./graph-model.js";
import { explainWhy, formatWhy, shortestPaths } from "./why.js";

describe("shortestPaths", () => {
  // a → b → d, a → c → d (two shortest), a → e → f → d (longer, not listed).
  const diamond: [string, string][] = [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"], ["a", "e"], ["e", "f"], ["f", "d"], ["d", "a"]];

  test("lists every shortest path, sorted, and no longer one", () => {
    assert.deepEqual(shortestPaths(diamond, ["a"], "d").paths, [["a", "b", "d"], ["a", "c", "d"]]);
  });

  test("from several roots, only the nearest count", () => {
    assert.deepEqual(shortestPaths(diamond, ["a", "f"], "d").paths, [["f", "d"]]);
    assert.deepEqual(shortestPaths([["x", "t"], ["y", "t"]], ["y", "x"], "t").paths, [["x", "t"], ["y", "t"]]);
  });

  test("a root is its own path; unreachable gives none; cycles end", () => {
    assert.deepEqual(shortestPaths(diamond, ["a"], "a").paths, [["a"]]);
    assert.deepEqual(shortestPaths(diamond, ["b"], "e").paths, [["b", "d", "a", "e"]]);
    assert.deepEqual(shortestPaths(diamond, ["d"], "zzz"), { paths: [], more: false });
  });

  test("stops at the limit and says there are more", () => {
    // Two choices at each of 8 steps: 256 shortest paths.
    const edges: [string, string][] = [];
    for (let i = 0; i < 8; i++) for (const m of ["l", "r"]) edges.push([`n${i}`, `${m}${i}`], [`${m}${i}`, `n${i + 1}`]);
    const all = shortestPaths(edges, ["n0"], "n8", 1000);
    assert.equal(all.paths.length, 256);
    assert.equal(all.more, false);
    const few = shortestPaths(edges, ["n0"], "n8", 10);
    assert.equal(few.paths.length, 10);
    assert.equal(few.more, true);
  });
});

function graph(): PackageGraph {
  const n = (name: string, inImage: boolean, root = false) => ({ name, version: "1", size: inImage ? 2_000_000 : 0, root, inImage });
  return {
    title: "redis", rootsDeclared: true, roots: ["redis-server"],
    nodes: [n("adduser", false), n("libc6", true), n("libssl3", true), n("passwd", false), n("redis-server", true, true), n("redis-tools", true)],
    // libc6 is one step nearer through the left-out adduser, but the image explains it without it.
    edges: [["adduser", "libc6"], ["adduser", "passwd"], ["libssl3", "libc6"], ["redis-server", "adduser"], ["redis-server", "redis-tools"], ["redis-tools", "libssl3"], ["passwd", "libc6"]],
  };
}

describe("explainWhy", () => {
  test("a package in the image is explained through packages in the image", () => {
    const r = explainWhy(graph(), "libc6", []);
    assert.deepEqual(r.paths, [["redis-server", "redis-tools", "libssl3", "libc6"]]);
    assert.equal(r.inImage, true);
  });

  test("a left-out package is explained by the closure that dragged it in", () => {
    const r = explainWhy(graph(), "passwd", [{ path: "/x", needed: ["y"], aliases: [] }]);
    assert.deepEqual(r.paths, [["redis-server", "adduser", "passwd"]]);
    assert.deepEqual(r.references, []);
    const text = formatWhy(r);
    assert.match(text, /left out of the image: nothing in the image references it/);
    assert.match(text, /^ {2}redis-server → adduser → passwd$/m);
  });

  test("a package outside the closure is an error naming it, with near names", () => {
    assert.throws(() => explainWhy(graph(), "libssl", []), (e) => isCairnError(e) && e.code === "CAIRN_E201" && /libssl is not in redis's package closure/.test(e.message) && /libssl3/.test(e.hint ?? ""));
  });

  test("the report lists the files using it, with their other names", () => {
    const text = formatWhy(explainWhy(graph(), "libssl3", [
      { path: "/usr/bin/redis-check-aof", needed: ["libssl.so.3", "libcrypto.so.3"], aliases: ["/usr/bin/redis-server"] },
      { path: "/usr/bin/tool", needed: [], shebang: "/usr/bin/openssl-wrapper", aliases: [] },
    ]));
    assert.match(text, /^libssl3 1 is in the image \(2\.0 MB\)\.$/m);
    assert.match(text, /^ {2}redis-server → redis-tools → libssl3$/m);
    assert.match(text, /^ {2}\/usr\/bin\/redis-check-aof {2}needs libssl\.so\.3, libcrypto\.so\.3 \(also as \/usr\/bin\/redis-server\)$/m);
    assert.match(text, /^ {2}\/usr\/bin\/tool +runs with #!\/usr\/bin\/openssl-wrapper$/m);
  });

  test("a root says it was asked for", () => {
    assert.match(formatWhy(explainWhy(graph(), "redis-server", [])), /asked for in contents/);
  });
});
