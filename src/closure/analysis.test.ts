import assert from "node:assert/strict";
import { test } from "node:test";
import { shipsNothing } from "./analysis.js";

test("a transitional package ships only directories, its copyright and packaging metadata", () => {
  // bookworm's imagemagick 6.9.11.60, as trimmed (docs gone, copyright kept), and before trimming.
  const imagemagick = [
    { path: "usr", type: "dir" }, { path: "usr/share/doc/imagemagick", type: "dir" },
    { path: "usr/share/doc/imagemagick/copyright", type: "file" },
  ];
  assert.equal(shipsNothing(imagemagick), true);
  assert.equal(shipsNothing([...imagemagick, { path: "usr/share/doc/imagemagick/changelog.gz", type: "file" }, { path: "usr/share/bug/imagemagick", type: "symlink" }]), true);
  assert.equal(shipsNothing([...imagemagick, { path: "usr/sbin/nginx", type: "file" }]), false);
  assert.equal(shipsNothing([...imagemagick, { path: "usr/lib/x86_64-linux-gnu/libfoo.so.1", type: "symlink" }]), false);
  assert.equal(shipsNothing([...imagemagick, { path: "etc/foo.conf", type: "file" }]), false);
});
