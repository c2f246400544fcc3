import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CAIRN_ROOT } from "./location.js";
import { fingerprintOf, IMAGE_SHAPING } from "./fingerprint.js";

test("the build fingerprint changes with code that shapes images, not with inspect, transports, loading or the CLI", (t) => {
  const src = path.join(mkdtempSync(path.join(tmpdir(), "cairn-fp-")), "src");
  t.after(() => rmSync(path.dirname(src), { recursive: true, force: true }));
  cpSync(path.join(CAIRN_ROOT, "src"), src, { recursive: true });
  const before = fingerprintOf(src);
  for (const file of ["inspect/size.ts", "transports/archive/sink.ts", "cli/main.ts", "transports/registry/push.ts", "load/compile.ts", "errors.ts", "image/tar.test.ts"]) {
    appendFileSync(path.join(src, file), "\n// an edit\n");
    assert.equal(fingerprintOf(src), before, `an edit to ${file} keeps cached layers`);
  }
  for (const file of ["image/tar.ts", "closure/elf.ts", "fs/assemble.ts", "steps/image-step.ts", "build/build.ts"]) {
    appendFileSync(path.join(src, file), "\n// an edit\n");
    const after = fingerprintOf(src);
    assert.notEqual(after, before, `an edit to ${file} is a new builder`);
  }
  // Every folder named exists: a rename would silently leave its code out of the fingerprint.
  const folders = readdirSync(src, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const f of IMAGE_SHAPING) assert.ok(folders.includes(f), f);
});
