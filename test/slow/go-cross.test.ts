// A Go program cross-compiled for arm64 in a derivation that says so (crossCompiles): Debian's Go
// for the building machine's CPU, told GOARCH by cairn, with no emulation at all — the build runs
// in a mount namespace where binfmt_misc shows nothing — on an empty image that then runs the
// program under qemu in podman.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { podman } from "../support/engines.js";
import { BINFMT, cairnWithoutQemu } from "../support/no-binfmt.js";

test("a Go program cross-compiled for arm64 without qemu, on an empty image, runs under qemu", { timeout: 900_000 }, async () => {
  const dir = await project({
    "image.ts": `import { buildImage, debian, derivation, text } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const hello = derivation({
  name: "hello-go",
  crossCompiles: true,
  inputs: [pkgs("golang-go"), text("/src/main.go", 'package main\\nimport ("fmt"; "runtime")\\nfunc main() { fmt.Printf("hello from %s/%s\\\\n", runtime.GOOS, runtime.GOARCH) }\\n')],
  build: 'cd /src && test "$GOARCH" = arm64 && CGO_ENABLED=0 GOCACHE=/build/cache GOFLAGS=-trimpath go build -ldflags="-s -w -buildid=" -o "$out/hello" main.go',
});
export const image = buildImage({ name: "hello-go", tag: "arm64", platforms: ["linux/arm64"], contents: [hello], config: { Entrypoint: ["/hello"] } });
`,
  });
  // No emulator to be found: the derivation must run natively to succeed.
  const r = await cairnWithoutQemu(dir, ["build", "--cache-dir", sharedCache()], 900_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /derivation hello-go: (building|inputs unchanged)/);
  const { root, config } = await extractImage(join(dir, "result"));
  assert.equal(config.architecture, "arm64");
  const elf = (await command("od", ["-An", "-tx1", "-j18", "-N2", join(root, "hello")])).stdout.trim();
  assert.equal(elf, "b7 00", "an aarch64 ELF (e_machine 183)");

  assert.ok(existsSync(`${BINFMT}/qemu-aarch64`), "qemu-user for arm64 is not registered: apt-get install qemu-user-static binfmt-support, as .ci/run does");
  const engine = await podman();
  try {
    await engine.load(join(dir, "result"));
    const run = await engine.run(["--platform", "linux/arm64", "hello-go:arm64"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "hello from linux/arm64");
  } finally {
    await engine.cleanup();
  }
});
