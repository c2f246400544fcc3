// Images on top of a base, against a signed repository the test serves on 127.0.0.1: maxLayers
// counts the base's layers, as dockerTools does.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cairn, extractImage, project } from "../support/cairn.js";
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
      ...["one", "two", "three"].map((n) => ({ name: `data-${n}`, version: "1", architecture: "all", files: { [`usr/share/${n}/file`]: `${n}\n` } })),
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
