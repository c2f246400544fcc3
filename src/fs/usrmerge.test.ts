import { test } from "node:test";
import assert from "node:assert/strict";
import { MERGED_DIRS, mergedUsrLinks, mergedUsrPath } from "./usrmerge.js";

test("mergedUsrPath moves the merged top-level directories under usr/", () => {
  assert.equal(mergedUsrPath("bin/bash"), "usr/bin/bash");
  assert.equal(mergedUsrPath("bin"), "usr/bin");
  assert.equal(mergedUsrPath("lib64/ld-linux-x86-64.so.2"), "usr/lib64/ld-linux-x86-64.so.2");
  assert.equal(mergedUsrPath("lib/x86_64-linux-gnu/libc.so.6"), "usr/lib/x86_64-linux-gnu/libc.so.6");
  assert.equal(mergedUsrPath("sbin/ldconfig"), "usr/sbin/ldconfig");
  for (const d of MERGED_DIRS) assert.equal(mergedUsrPath(`${d}/x`), `usr/${d}/x`);
  // Only whole first components: look-alikes and paths already under usr stay put.
  for (const p of ["binaries/x", "library", "etc/bin/x", "usr/bin/bash", "usr", "var/lib/dpkg/status", "libexec/x"]) assert.equal(mergedUsrPath(p), p);
});

test("mergedUsrLinks: bin, sbin and lib always; others only when used; sorted", () => {
  assert.deepEqual(mergedUsrLinks([]), [
    { path: "bin", target: "usr/bin" },
    { path: "lib", target: "usr/lib" },
    { path: "sbin", target: "usr/sbin" },
  ]);
  assert.deepEqual(mergedUsrLinks(["usr/lib64/ld-linux-x86-64.so.2", "usr/libx32/x", "lib32/not-under-usr", "usr/share/lib64/x", "usr/lib64"]).map((l) => l.path), [
    "bin", "lib", "lib64", "libx32", "sbin",
  ]);
});
