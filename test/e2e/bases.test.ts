// Images on top of a base, against a signed repository the test serves on 127.0.0.1: maxLayers
// counts the base's layers, as dockerTools does.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cairn, extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, docker } from "../support/engines.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

let repo: Repo;
let cache: string;

const definition = (body: string) => `import { buildLayeredImage, debian, files, imageFile } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
${body}
`;

before(async () => {
  repo = await makeRepo({
    packages: [
      { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } } },
      ...["one", "two", "three"].map((n) => ({ name: `data-${n}`, version: "1", architecture: "all" as const, files: { [`usr/share/${n}/file`]: `${n}\n` } })),
    ],
  });
  cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
});

after(async () => {
  await repo?.close();
});

describe("maxLayers counts the base image's layers", () => {
  let base: string;
  let baseLayers: string[];

  before(async () => {
    const d = await project({ "image.ts": definition(`export default buildLayeredImage({ name: "base", tag: "1", contents: [pkgs("tiny-base")], maxLayers: 2 });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    base = join(d, "result");
    baseLayers = (await extractImage(base)).manifest.Layers;
    assert.equal(baseLayers.length, 2, "the base has its package layer and its generated files' layer");
  });

  const top = (maxLayers: number) =>
    project({
      "image.ts": definition(`export default buildLayeredImage({
  name: "top", tag: "1", fromImage: imageFile(${JSON.stringify(base)}), maxLayers: ${maxLayers},
  contents: [pkgs("data-one"), pkgs("data-two"), pkgs("data-three"), files("./app", "/app")],
});`),
      "app/run.sh": "#!/bin/sh\necho app\n",
    });

  test("a 2-layer base with maxLayers: 4 gives 4 layers, the base's first", async () => {
    const d = await top(4);
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    const { manifest, root } = await extractImage(join(d, "result"));
    assert.equal(manifest.Layers.length, 4);
    assert.deepEqual(manifest.Layers.slice(0, 2), baseLayers);
    for (const n of ["one", "two", "three"]) assert.equal(await readFile(join(root, `usr/share/${n}/file`), "utf8"), `${n}\n`);
    assert.equal(await readFile(join(root, "app/run.sh"), "utf8"), "#!/bin/sh\necho app\n");
  });

  test("a maxLayers the base alone fills is an error that says how many it needs", async () => {
    const d = await top(3);
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E003.*maxLayers is 3, and its base image .* already has 2 layers, which leaves 1/);
    assert.match(r.stderr, /Raise maxLayers to 4 or more/);
  });
});

const noSkopeo = spawnSync("skopeo", ["--version"]).status !== 0 && "skopeo is not installed (apt-get install -y skopeo; .ci/run installs it)";

describe("imageFile reads the tars other tools write", () => {
  let base: string;
  let work: string;

  before(async () => {
    const d = await project({ "image.ts": definition(`export default buildLayeredImage({ name: "base", tag: "1", contents: [pkgs("tiny-base")], users: [{ name: "app", uid: 1000 }] });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    base = join(d, "result");
    work = await mkdtemp(join(tmpdir(), "cairn-bases-"));
  });

  /** A definition on top of `tar`, built twice (the pin is stable), checked for the base's files and accounts. */
  async function buildOn(tar: string): Promise<void> {
    const d = await project({ "image.ts": definition(`export default buildLayeredImage({
  name: "top", tag: "1", fromImage: imageFile(${JSON.stringify(tar)}), contents: [pkgs("tiny-base"), pkgs("data-one")],
});`) });
    const first = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /1 packages come with the base image: tiny-base/);
    const again = await cairn(["build", "--frozen", "-o", "again.tar", "--cache-dir", cache], { cwd: d });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim().split("\n").pop(), first.stdout.trim().split("\n").pop(), "the same pin and image from the same file");
    const { root, manifest } = await extractImage(join(d, "result"));
    // Every tar here is a copy of cairn's base, in another tool's layout.
    const { manifest: baseManifest } = await extractImage(base);
    assert.equal(manifest.Layers.length, baseManifest.Layers.length + 2, "the base's layers, then data-one's and the generated files'");
    assert.ok((await readFile(join(root, "usr/bin/busybox"))).length > 100_000, "the base's busybox is there");
    assert.equal(await readFile(join(root, "usr/share/one/file"), "utf8"), "one\n");
    assert.match(await readFile(join(root, "etc/passwd"), "utf8"), /^app:x:1000:/m);
  }

  test("docker save of this host's Docker (no index.json when it is older than 25)", { skip: !available().docker && "docker.io is not installed (.ci/run installs it)" }, async () => {
    const engine = await docker();
    const saved = join(work, "docker-save.tar");
    try {
      const ref = await engine.load(base);
      await engine.cli(["save", "-o", saved, ref]);
    } finally {
      await engine.cleanup();
    }
    const members = (await command("tar", ["-tf", saved])).stdout.split("\n");
    assert.ok(members.includes("manifest.json"));
    await buildOn(saved);
  });

  test("skopeo's docker-archive and oci-archive", { skip: noSkopeo }, async () => {
    const dockerArchive = join(work, "skopeo-docker.tar");
    const ociArchive = join(work, "skopeo-oci.tar");
    await command("skopeo", ["copy", "--quiet", `oci-archive:${base}`, `docker-archive:${dockerArchive}:base:1`]);
    await command("skopeo", ["copy", "--quiet", `oci-archive:${base}`, `oci-archive:${ociArchive}:base:1`]);
    assert.ok(!(await command("tar", ["-tf", dockerArchive])).stdout.split("\n").includes("index.json"), "a docker-archive has no OCI index");
    await buildOn(dockerArchive);
    await buildOn(ociArchive);
  });

  test("a tar that is no image is named, with what to give instead", async () => {
    const bogus = join(work, "bogus.tar");
    await command("tar", ["-cf", bogus, "-C", work, "."]);
    const d = await project({ "image.ts": definition(`export default buildLayeredImage({ name: "x", fromImage: imageFile(${JSON.stringify(bogus)}), contents: [pkgs("data-one")] });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E601.*bogus\.tar is not an image tar \(no index\.json or manifest\.json in it\)/);
  });
});
