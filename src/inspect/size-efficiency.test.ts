import assert from "node:assert/strict";
import { test } from "node:test";
import type { EntryKind, LayerEntry } from "./model.js";
import { efficiency } from "./size-efficiency.js";

const e = (path: string, size = 0, kind: EntryKind = "file"): LayerEntry => ({ path, kind, size, mode: 0o644, uid: 0, gid: 0 });
const dir = (path: string) => e(path, 0, "dir");
const layers = (...ls: LayerEntry[][]) => ls.map((entries) => ({ entries }));

test("dive's own case: a file changed in a later layer, then its implied parent removed — 0.75", () => {
  // Parents are implied, not listed: dive sizes the removal of such a "directory" at 0.
  const r = efficiency(layers(
    [e("etc/nginx/nginx.conf", 2000), e("etc/nginx/public", 3000)],
    [e("etc/nginx/nginx.conf", 5000), e("etc/athing", 10000)],
    [e("etc/nginx", 0, "whiteout")],
  ));
  assert.equal(r.score, 0.75);
  assert.deepEqual(r.inefficiencies, [{ path: "/etc/nginx/nginx.conf", cumulativeSize: 7000, layers: [0, 1] }]);
  assert.equal(r.wastedBytes, 7000, "every copy counts, the kept one too");
  assert.equal(r.userSizeBytes, 15000, "layers above the first");
  assert.equal(r.userWastedRatio, 7000 / 15000);
});

test("nothing duplicated or removed: 1.0, no waste; nothing at all: 1.0", () => {
  const r = efficiency(layers([dir("usr"), dir("usr/bin"), e("usr/bin/a", 10)], [dir("usr"), dir("usr/lib"), e("usr/lib/b", 20)]));
  assert.equal(r.score, 1);
  assert.equal(r.wastedBytes, 0);
  assert.deepEqual(r.inefficiencies, [], "a directory listed in both layers has children there: not a leaf, not counted");
  assert.equal(efficiency(layers([e("nothing", 0)])).score, 1);
  assert.equal(efficiency([]).score, 1);
  assert.equal(efficiency(layers([e("only", 5)])).userWastedRatio, null, "no layer above the first: dive would divide by zero");
});

test("a file written again in a later layer: min over sum, both copies wasted", () => {
  const r = efficiency(layers([e("etc/passwd", 100), e("bin/sh", 900)], [e("etc/passwd", 120)]));
  assert.equal(r.score, (100 + 900) / (220 + 900));
  assert.equal(r.wastedBytes, 220);
  assert.deepEqual(r.inefficiencies.map((i) => [i.path, i.layers]), [["/etc/passwd", [0, 1]]]);
});

test("a removed file: the whiteout counts 0, so all of the earlier size is waste", () => {
  const r = efficiency(layers([e("tmp/big.tar", 1000), e("keep", 1000)], [e("tmp/big.tar", 0, "whiteout")]));
  assert.equal(r.score, 0.5);
  assert.equal(r.wastedBytes, 1000);
  assert.deepEqual(r.inefficiencies, [{ path: "/tmp/big.tar", cumulativeSize: 1000, layers: [0, 1] }]);
});

test("a removed directory counts what was under it; as in dive, that alone is not waste", () => {
  const removed = efficiency(layers([dir("cache"), e("cache/a", 100), e("cache/b", 50), e("x", 10)], [e("cache", 0, "whiteout")]));
  // /cache is visited once (the whiteout, at 150) and its files once each: min = sum everywhere.
  assert.equal(removed.score, 1);
  assert.equal(removed.wastedBytes, 0);

  // When the directory was itself a leaf in an earlier layer (created empty), it is a path seen
  // twice: 0 then the 100 removed.
  const r = efficiency(layers([dir("cache")], [dir("cache"), e("cache/a", 100)], [e("cache", 0, "whiteout")]));
  assert.deepEqual(r.inefficiencies, [{ path: "/cache", cumulativeSize: 100, layers: [0, 2] }]);
  assert.equal(r.wastedBytes, 100);
  assert.equal(r.score, 100 / 200);
});

test("a whiteout of a path no layer below has counts 0; opaque markers are not paths", () => {
  const r = efficiency(layers([e("a", 10)], [e("ghost", 0, "whiteout"), e("d", 0, "opaque"), e("d/new", 5)]));
  assert.equal(r.score, 1);
  assert.equal(r.wastedBytes, 0);
  assert.deepEqual(r.inefficiencies, []);
});

test("the largest waste comes first", () => {
  const r = efficiency(layers([e("small", 1), e("big", 50)], [e("small", 2), e("big", 60)]));
  assert.deepEqual(r.inefficiencies.map((i) => i.path), ["/big", "/small"]);
  assert.equal(r.wastedBytes, 113);
});
