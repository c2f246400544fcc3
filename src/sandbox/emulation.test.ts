import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isCairnError } from "../errors.js";
import { checkCanRun, emulationMissing } from "./emulation.js";

test("a step for another CPU needs qemu registered with binfmt_misc, enabled, with the F flag", () => {
  const dir = mkdtempSync(join(tmpdir(), "binfmt-"));
  assert.equal(emulationMissing("amd64", dir, "amd64"), undefined, "the host's own CPU needs nothing");
  assert.equal(emulationMissing("i386", dir, "amd64"), undefined, "an amd64 kernel runs i386 programs itself");
  assert.match(emulationMissing("arm64", dir, "amd64")!, /no qemu-aarch64 is registered/);
  writeFileSync(join(dir, "qemu-aarch64"), "disabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n");
  assert.match(emulationMissing("arm64", dir, "amd64")!, /disabled/);
  writeFileSync(join(dir, "qemu-aarch64"), "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: P\n");
  assert.match(emulationMissing("arm64", dir, "amd64")!, /without the F flag/);
  writeFileSync(join(dir, "qemu-aarch64"), "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n");
  assert.equal(emulationMissing("arm64", dir, "amd64"), undefined);
  assert.match(emulationMissing("armhf", dir, "amd64")!, /qemu-arm\b/);
});

test("the error names the step, the platform and the packages to install", () => {
  const empty = mkdtempSync(join(tmpdir(), "binfmt-"));
  assert.throws(() => checkCanRun("s390x", "runAsRoot", "linux/s390x", empty), (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.match(e.message, /^runAsRoot is for linux\/s390x, and this machine cannot run its programs/);
    assert.match(e.hint!, /apt-get install qemu-user-static binfmt-support/);
    assert.match(e.hint!, /packages and files alone needs no emulation/);
    return true;
  });
});
