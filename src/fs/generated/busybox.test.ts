import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { busyboxApplets } from "./busybox.js";

test("the applet list is read from the NUL-separated table that starts with [ and [[", () => {
  const bin = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]), Buffer.from("...junk\0[\0[[\0ash\0cat\0sh\0\0more", "latin1")]);
  assert.deepEqual(busyboxApplets(bin), ["[", "[[", "ash", "cat", "sh"]);
  assert.deepEqual(busyboxApplets(Buffer.from("no table here\0ash\0")), []);
  // A table running to the end of the buffer, with "busybox" itself and junk names dropped.
  assert.deepEqual(busyboxApplets(Buffer.from("x\0[\0[[\0busybox\0a/b\0ls", "latin1")), ["[", "[[", "ls"]);
});

test("matches `busybox --list` of the host's busybox", (t) => {
  const bb = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
  if (!bb) return t.skip("busybox is not installed (apt-get install busybox-static)");
  const listed = execFileSync(bb, ["--list"], { encoding: "utf8" }).split("\n").filter((n) => n && n !== "busybox");
  const parsed = busyboxApplets(fs.readFileSync(bb));
  assert.ok(parsed.length > 100, `only ${parsed.length} applets found`);
  assert.deepEqual(parsed, listed);
});
