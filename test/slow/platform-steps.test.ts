// Build steps for another CPU: the redis-runasroot example for linux/arm64 runs its script under
// qemu-user (binfmt_misc with the F flag, as .ci/run registers it) and stays reproducible. With
// no emulator registered (hidden here by mounting an empty folder over binfmt_misc in a mount
// namespace of cairn's own), a package-only image still builds and a step fails, saying what to install.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { BINFMT, cairnWithoutQemu } from "../support/no-binfmt.js";

const example = fileURLToPath(new URL("../../examples/redis-runasroot/image.ts", import.meta.url));

test("runAsRoot for linux/arm64 runs under qemu; the image is arm64, has what the script made, and verifies", { timeout: 900_000 }, async () => {
  assert.ok(existsSync(`${BINFMT}/qemu-aarch64`), "qemu-user for arm64 is not registered: apt-get install qemu-user-static binfmt-support (and mount binfmt_misc), as .ci/run does");
  // The example's own text, in a folder of its own (its lock gets the arm64 pins, not the repository's).
  const dir = await project({ "image.ts": (await readFile(example, "utf8")).replace('from "cairn-build"', 'from "cairn"') });
  const r = await cairn(["build", "--platform", "linux/arm64", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const { root, config } = await extractImage(join(dir, "result"));
  assert.equal(config.architecture, "arm64");
  assert.match(await readFile(join(root, "etc/passwd"), "utf8"), /^redis:x:\d+:\d+::\/data:/m, "useradd, an arm64 program, ran");
  const machine = (await command("od", ["-An", "-tx1", "-j18", "-N2", join(root, "usr/bin/redis-check-aof")])).stdout.trim();
  assert.equal(machine, "b7 00", "an aarch64 ELF (e_machine 183)");

  // verify rebuilds in an empty cache: the script runs again, under qemu, and gives the same image.
  const v = await cairn(["verify", "--platform", "linux/arm64", "--cache-dir", sharedCache()], { cwd: dir, timeoutMs: 900_000 });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stderr + v.stdout, /runAsRoot: running in the sandbox \(no network\) under qemu for linux\/arm64/);
  assert.match(v.stdout + v.stderr, /reproducible: sha256:[0-9a-f]{64}/);
});

test("without qemu registered, a package-only arm64 image builds and a step names what to install", { timeout: 600_000 }, async () => {
  const packagesOnly = await project({
    "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const hello = buildImage({ name: "hello", tag: "arm", platforms: ["linux/arm64"], contents: [pkgs("hello")], config: { Cmd: ["hello"] } });
`,
  });
  const ok = await cairnWithoutQemu(packagesOnly, ["build", "--cache-dir", sharedCache()]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse((await command("tar", ["-xOf", join(packagesOnly, "result"), "manifest.json"])).stdout).length, 1);

  const withStep = await project({ "image.ts": (await readFile(example, "utf8")).replace('from "cairn-build"', 'from "cairn"').replace('tag: "7"', 'tag: "7-no-qemu"') });
  // An empty cache of its own: the step's output must not come from an earlier run.
  const bad = await cairnWithoutQemu(withStep, ["build", "--platform", "linux/arm64", "--cache-dir", join(withStep, "cache")]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /CAIRN_E701/);
  assert.match(bad.stderr, /runAsRoot is for linux\/arm64, and this machine cannot run its programs: no qemu-aarch64 is registered with binfmt_misc/);
  assert.match(bad.stderr, /apt-get install qemu-user-static binfmt-support/);
  assert.doesNotMatch(bad.stderr, /internal error|\n\s+at /);
});
