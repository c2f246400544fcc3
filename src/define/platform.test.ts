import assert from "node:assert/strict";
import { test } from "node:test";
import { locationOf, setLocation } from "./call-site.js";
import { buildImage, debian, derivation, files } from "./index.js";
import { crossCompiles, crossEnvironment, debianArchitecture, forArchitecture, platformName } from "./platform.js";
import type { DerivationSpec } from "./spec.js";

test("platforms are read as engines write them, and as Debian names them", () => {
  assert.equal(debianArchitecture("linux/amd64"), "amd64");
  assert.equal(debianArchitecture("linux/arm64"), "arm64");
  assert.equal(debianArchitecture("linux/arm64/v8"), "arm64");
  assert.equal(debianArchitecture("linux/arm/v7"), "armhf");
  assert.equal(debianArchitecture("linux/arm"), "armhf", "linux/arm alone is v7, as engines read it");
  assert.equal(debianArchitecture("linux/arm/v5"), "armel");
  assert.equal(debianArchitecture("linux/ppc64le"), "ppc64el");
  assert.equal(debianArchitecture("s390x"), "s390x");
  assert.match((debianArchitecture("windows/amd64") as { error: string }).error, /not a platform cairn builds for; it takes linux\/amd64, linux\/arm64, linux\/arm\/v7/);
  assert.match((debianArchitecture("linux/sparc") as { error: string }).error, /not a platform/);
  assert.equal(platformName("armhf"), "linux/arm/v7");
  assert.equal(platformName("i386"), "linux/386");
});

test("buildImage({ platforms }) keeps each platform once, in order; a wrong one names its index", () => {
  const pkgs = debian({ suite: "bookworm" });
  assert.deepEqual(buildImage({ name: "x", platforms: ["linux/arm64", "linux/amd64", "linux/arm64/v8"], contents: [pkgs("hello")] }).platforms, ["arm64", "amd64"]);
  assert.throws(() => buildImage({ name: "x", platforms: ["linux/amd64", "linux/m68k"] }), /buildImage\(\)\.platforms\[1\]/);
  assert.throws(() => buildImage({ name: "x", platforms: [] }), /at least one platform/);
});

test("forArchitecture: every package set takes the architecture, however deep; a cross-compiling derivation's take the host's", () => {
  const pkgs = debian({ suite: "bookworm" });
  const native = derivation({ name: "native", inputs: [pkgs("gcc")], build: "true" });
  const cross = derivation({ name: "cross", crossCompiles: true, inputs: [pkgs("golang-go"), native], build: "true" });
  const f = files("./app", "/app");
  setLocation(f, "image.ts:3:1");
  const spec = buildImage({ name: "x", platforms: ["linux/amd64", "linux/arm64"], contents: [pkgs("hello"), native, cross, f], runAsRoot: { script: "true", tools: [pkgs("passwd")] } });
  assert.equal(crossCompiles(spec), true);
  const arm = forArchitecture(spec, "arm64", "amd64");
  assert.equal(arm.architecture, "arm64");
  assert.equal(arm.platforms, undefined, "one platform's build names no other");
  const [hello, n, c, copied] = arm.contents as [{ set: { architecture: string } }, DerivationSpec, DerivationSpec, object];
  assert.equal(hello.set.architecture, "arm64");
  assert.equal((n.inputs[0] as { set: { architecture: string } }).set.architecture, "arm64");
  assert.equal(arm.runAsRoot!.tools[0]!.set.architecture, "arm64");
  assert.equal((c.inputs[0] as { set: { architecture: string } }).set.architecture, "amd64", "the cross build's Go is the building machine's");
  assert.equal(c.target, "arm64");
  assert.equal(((c.inputs[1] as DerivationSpec).inputs[0] as { set: { architecture: string } }).set.architecture, "amd64", "what the cross build runs, runs on the building machine too");
  assert.equal(locationOf(copied), "image.ts:3:1", "the definition's lines stay on what is rewritten");
  assert.equal((spec.contents[0] as { set: { architecture: string } }).set.architecture, "amd64", "the definition itself is left as it was");
  assert.equal(crossCompiles(buildImage({ name: "y", contents: [native] })), false);
});

test("a cross build is told its target in Go's and Debian's words", () => {
  assert.deepEqual(crossEnvironment("arm64"), { CAIRN_TARGET_ARCH: "arm64", DEB_HOST_ARCH: "arm64", DEB_HOST_GNU_TYPE: "aarch64-linux-gnu", GOOS: "linux", GOARCH: "arm64" });
  assert.deepEqual(crossEnvironment("armhf"), { CAIRN_TARGET_ARCH: "armhf", DEB_HOST_ARCH: "armhf", DEB_HOST_GNU_TYPE: "arm-linux-gnueabihf", GOOS: "linux", GOARCH: "arm", GOARM: "7" });
});
