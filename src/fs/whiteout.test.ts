import assert from "node:assert/strict";
import { test } from "node:test";
import { applyWhiteout, whiteoutOf, whiteoutPath } from "./whiteout.js";

test("a whiteout names the path it removes; an opaque marker its directory", () => {
  assert.deepEqual(whiteoutOf("usr/bin/.wh.redis-benchmark"), { target: "usr/bin/redis-benchmark", opaque: false });
  assert.deepEqual(whiteoutOf(".wh.data"), { target: "data", opaque: false });
  assert.deepEqual(whiteoutOf("etc/app/.wh..wh..opq"), { target: "etc/app", opaque: true });
  assert.equal(whiteoutOf("etc/.whatever"), undefined);
  assert.equal(whiteoutPath("usr/bin/x"), "usr/bin/.wh.x");
  assert.deepEqual(whiteoutOf(whiteoutPath("a/b")), { target: "a/b", opaque: false });
});

test("applying a whiteout removes the path and what is under it, not its namesakes", () => {
  const paths = new Map(["data", "data/a", "data/a/b", "database", "etc/app", "etc/app/x", "etc/apply"].map((p) => [p, 1]));
  assert.equal(applyWhiteout(paths, ".wh.data"), true);
  assert.equal(applyWhiteout(paths, "etc/app/.wh..wh..opq"), true);
  assert.equal(applyWhiteout(paths, "etc/plain"), false);
  assert.deepEqual([...paths.keys()].sort(), ["database", "etc/app", "etc/apply"]);
});
