// One definition, two platforms: redis for linux/amd64 and linux/arm64 in one image index, its
// packages resolved per architecture and pinned apart in cairn.lock, no emulation to build it.
// Pushed to a real registry (skopeo reads the index), pulled per platform by podman: amd64 answers
// PONG natively, arm64 under qemu-user (binfmt_misc, as .ci/run sets up).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { eventually, freePort, podman, redisPing } from "../support/engines.js";
import { registry, type Registry } from "../support/registry.js";

const definition = `import { buildLayeredImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const redis = buildLayeredImage({
  name: "redis", tag: "7-multi",
  platforms: ["linux/amd64", "linux/arm64"],
  contents: [pkgs("redis-server")],
  users: [{ name: "redis", uid: 999, home: "/data" }],
  config: { Cmd: ["redis-server", "--protected-mode", "no"], ExposedPorts: { "6379/tcp": {} }, WorkingDir: "/data", User: "redis" },
});
`;

let reg: Registry;
let dir: string;
before(async () => {
  reg = await registry();
  dir = await project({ "image.ts": definition });
});
after(async () => reg?.close());

const tarJson = async (tar: string, member: string) => JSON.parse((await command("tar", ["-xOf", tar, member])).stdout);
const blob = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

test("a definition for two platforms gives one tar holding an index of two manifests; Architecture: all layers are one blob", { timeout: 600_000 }, async () => {
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /an index of 2 platforms — linux\/amd64: \d+ layers.*; linux\/arm64: \d+ layers/);
  const tar = join(dir, "result");
  const top = await tarJson(tar, "index.json");
  assert.equal(top.manifests.length, 1);
  assert.equal(top.manifests[0].mediaType, "application/vnd.oci.image.index.v1+json");
  assert.equal(top.manifests[0].digest, lastLine(r), "the printed digest is the index's");
  const index = await tarJson(tar, blob(top.manifests[0].digest));
  assert.deepEqual(index.manifests.map((m: { platform: unknown }) => m.platform), [{ architecture: "amd64", os: "linux" }, { architecture: "arm64", os: "linux" }]);

  // Each platform's own packages: the lock pins both closures, each of its architecture.
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.ok(lock.images.redis && lock.images["redis@arm64"], Object.keys(lock.images).join(", "));
  const archOf = (key: string) => lock.packages[key].architecture as string;
  assert.ok(lock.images.redis.packages.some((k: string) => archOf(k) === "amd64"));
  assert.ok(lock.images["redis@arm64"].packages.some((k: string) => archOf(k) === "arm64"));
  assert.ok(!lock.images["redis@arm64"].packages.some((k: string) => archOf(k) === "amd64"), "no amd64 package in the arm64 closure");

  // A layer per package (history names it): an Architecture: all package's is the same blob on both.
  const layersByPackage = async (m: { digest: string }) => {
    const manifest = await tarJson(tar, blob(m.digest));
    const config = await tarJson(tar, blob(manifest.config.digest));
    assert.equal(config.architecture, m === index.manifests[0] ? "amd64" : "arm64");
    return new Map<string, string>(config.history.map((h: { created_by: string }, i: number) => [h.created_by.replace(/^cairn: /, ""), manifest.layers[i].digest]));
  };
  const [amd, arm] = [await layersByPackage(index.manifests[0]), await layersByPackage(index.manifests[1])];
  const allArch = Object.values(lock.packages as Record<string, { name: string; architecture: string }>).filter((p) => p.architecture === "all").map((p) => p.name);
  const shared = allArch.filter((n) => amd.has(n) && arm.has(n));
  assert.ok(shared.length > 0, `an Architecture: all package has a layer of its own on both (all: ${allArch.join(", ")})`);
  for (const n of shared) assert.equal(amd.get(n), arm.get(n), `${n}'s layer`);
  assert.notEqual(amd.get("libc6"), arm.get("libc6"), "libc6 differs by CPU");

  // docker load takes one image: the tar's manifest.json holds the host's platform.
  const [docker] = await tarJson(tar, "manifest.json");
  const amdManifest = await tarJson(tar, blob(index.manifests[0].digest));
  assert.equal(docker.Config, blob(amdManifest.config.digest));

  // The inspectors read the tar per platform: one is said to be shown, --platform picks another.
  const size = await cairn(["size", "result", "--json", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(size.code, 0, size.stderr);
  assert.match(size.stderr, /result holds linux\/amd64, linux\/arm64; this is linux\/amd64 \(--platform picks another\)/);
  const sbom = await cairn(["sbom", "result", "--platform", "linux/arm64", "--format", "cyclonedx", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.match(sbom.stdout, /pkg:deb\/debian\/libc6@[^"]*arch=arm64/);
  assert.doesNotMatch(sbom.stdout, /arch=amd64/);
  // verify rebuilds every platform in a fresh cache and compares each.
  const v = await cairn(["verify", "--cache-dir", sharedCache()], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /linux\/amd64: reproducible\nlinux\/arm64: reproducible\n/);
  assert.ok(v.stdout.includes(`the index of 2 platforms: ${lastLine(r)}`), v.stdout);
  const none = await cairn(["size", "result", "--platform", "linux/s390x", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /CAIRN_E606.*result has no image for linux\/s390x; it holds linux\/amd64, linux\/arm64/);
});

test("pushed as an index: skopeo sees both platforms; podman runs amd64 natively and arm64 under qemu", { timeout: 900_000 }, async (t) => {
  const ref = `${reg.host}/cairn/redis:7-multi`;
  const r = await cairn(["push", "image.ts", ref, "--sbom", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /an index of 2 platforms/);
  const raw = JSON.parse((await command("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout);
  assert.equal(raw.mediaType, "application/vnd.oci.image.index.v1+json");
  assert.deepEqual(raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ["amd64", "arm64"]);

  // An SBOM per platform, each with its own manifest as subject (the referrers tag scheme: sha256-<hex>).
  const get = async (path: string, accept: string) => {
    const res = await fetch(`${reg.url}${path}`, { headers: { accept } });
    assert.equal(res.status, 200, path);
    return Buffer.from(await res.arrayBuffer());
  };
  for (const m of raw.manifests as { digest: string; platform: { architecture: string } }[]) {
    const referrers = JSON.parse((await get(`/v2/cairn/redis/manifests/${m.digest.replace(":", "-")}`, "application/vnd.oci.image.index.v1+json")).toString());
    assert.equal(referrers.manifests.length, 1, m.platform.architecture);
    const artifact = JSON.parse((await get(`/v2/cairn/redis/manifests/${referrers.manifests[0].digest}`, "application/vnd.oci.image.manifest.v1+json")).toString());
    assert.equal(artifact.subject.digest, m.digest);
    const sbom = (await get(`/v2/cairn/redis/blobs/${artifact.layers[0].digest}`, "*/*")).toString();
    assert.match(sbom, new RegExp(`pkg:deb/debian/libc6@[^"]*arch=${m.platform.architecture}`));
  }
  const inspected = JSON.parse((await command("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`])).stdout);
  assert.equal(inspected.Digest, lastLine(r), "the tag names the index cairn printed");

  if (!existsSync("/proc/sys/fs/binfmt_misc/qemu-aarch64")) {
    assert.fail("qemu-user for arm64 is not registered: apt-get install qemu-user-static binfmt-support (and mount binfmt_misc), as .ci/run does");
  }
  const engine = await podman();
  try {
    for (const platform of ["linux/amd64", "linux/arm64"]) {
      await t.test(platform, async () => {
        await engine.cli(["pull", "--tls-verify=false", "--platform", platform, ref], { timeoutMs: 300_000 });
        const arch = (await engine.cli(["image", "inspect", "--format", "{{.Architecture}}", ref])).stdout.trim();
        assert.equal(arch, platform.split("/")[1]);
        const port = await freePort();
        const c = await engine.runDetached(["--platform", platform, "-p", `127.0.0.1:${port}:6379`, ref]);
        try {
          assert.equal(await eventually(() => redisPing(port), 120_000), "PONG", await c.logs());
        } finally {
          await c.stop();
        }
      });
    }
  } finally {
    await engine.cleanup();
  }
});

test("cairn lock pins every platform's closure, so a --frozen build of all of them needs nothing more", { timeout: 300_000 }, async () => {
  const hello = await project({
    "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const hello = buildImage({ name: "hello", tag: "multi", platforms: ["linux/amd64", "linux/arm64"], contents: [pkgs("hello")] });
`,
  });
  const lock = await cairn(["lock", "--cache-dir", sharedCache()], { cwd: hello });
  assert.equal(lock.code, 0, lock.stderr);
  assert.deepEqual(Object.keys(JSON.parse(await readFile(join(hello, "cairn.lock"), "utf8")).images).sort(), ["hello", "hello@arm64"]);
  const frozen = await cairn(["build", "--frozen", "--cache-dir", sharedCache()], { cwd: hello });
  assert.equal(frozen.code, 0, frozen.stderr);
  assert.match(frozen.stderr, /an index of 2 platforms/);
  const size = await cairn(["size", "--cache-dir", sharedCache()], { cwd: hello });
  assert.equal(size.code, 0, size.stderr);
  assert.match(size.stderr, /hello is built for linux\/amd64, linux\/arm64; this is linux\/amd64 \(--platform picks another\)/);
});

test("a package one platform lacks fails naming that platform, and how to leave it out", { timeout: 300_000 }, async () => {
  const only = await project({
    "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const x = buildImage({ name: "x", platforms: ["linux/amd64", "linux/arm64"], contents: [pkgs("libc6-i386")] });
`,
  });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: only });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /CAIRN_E201\]: linux\/arm64, one of the platforms x is built for \(linux\/amd64, linux\/arm64\): No package called "libc6-i386" .* for arm64/);
  assert.match(r.stderr, /leave linux\/arm64 out of platforms \(--platform builds the others\)/);
  const amd = await cairn(["build", "--platform", "linux/amd64", "--cache-dir", sharedCache()], { cwd: only });
  assert.equal(amd.code, 0, amd.stderr);
});

test("a base image file of several platforms gives each platform of the image its own base; a platform it lacks is named", { timeout: 300_000 }, async () => {
  const d = await project({
    "base.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const base = buildImage({ name: "base", tag: "1", contents: [pkgs("busybox")], platforms: ["linux/amd64", "linux/arm64"] });
`,
    "image.ts": `import { buildImage, imageFile, text } from "cairn";
export const app = buildImage({ name: "app", tag: "1", fromImage: imageFile("base.tar"), contents: [text("/etc/app", "hi\\n")], platforms: ["linux/amd64", "linux/arm64"] });
export const s390 = buildImage({ name: "s", tag: "1", fromImage: imageFile("base.tar"), platforms: ["linux/s390x"] });
`,
  });
  const b = await cairn(["build", "base.ts", "-o", "base.tar", "--no-typecheck", "--cache-dir", sharedCache()], { cwd: d });
  assert.equal(b.code, 0, b.stderr);
  const a = await cairn(["build", "image.ts", "-A", "app", "-o", "app.tar", "--no-typecheck", "--cache-dir", sharedCache()], { cwd: d });
  assert.equal(a.code, 0, a.stderr);

  // Each platform's manifest of the image starts with the layer of the base's manifest for that platform.
  const firstLayers = async (tar: string) => {
    const index = await tarJson(join(d, tar), blob((await tarJson(join(d, tar), "index.json")).manifests[0].digest));
    const out: Record<string, string> = {};
    for (const m of index.manifests) out[m.platform.architecture] = (await tarJson(join(d, tar), blob(m.digest))).layers[0].digest;
    return out;
  };
  const base = await firstLayers("base.tar");
  assert.notEqual(base.amd64, base.arm64, "the base's two platforms differ");
  assert.deepEqual(await firstLayers("app.tar"), base);
  const lock = JSON.parse(await readFile(join(d, "cairn.lock"), "utf8"));
  assert.notEqual(lock.images.app.base.digest, lock.images["app@arm64"].base.digest, "each platform pins its own base manifest");

  const s = await cairn(["build", "image.ts", "-A", "s390", "-o", "s.tar", "--no-typecheck", "--cache-dir", sharedCache()], { cwd: d });
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /CAIRN_E606\]: .*base\.tar holds images for linux\/amd64, linux\/arm64, not linux\/s390x/);
});
