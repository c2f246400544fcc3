import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { schemaErrors } from "../../test/support/sbom-schemas.js";
import type { FsEntry } from "../fs/types.js";
import { closeGzipWorkers } from "../image/gzip-pool.js";
import { buildLayer } from "../image/layer.js";
import { Store } from "../store/store.js";
import { inspect } from "./model.js";
import { cyclonedxDocument } from "./sbom-cyclonedx.js";
import { spdxDocument } from "./sbom-spdx.js";
import { sbomModel } from "./sbom.js";

const dir = await mkdtemp(join(tmpdir(), "cairn-sbom-lang-"));
after(async () => {
  await closeGzipWorkers();
  await rm(dir, { recursive: true, force: true });
});

const file = (path: string, text: string): FsEntry => ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, size: Buffer.byteLength(text), content: { kind: "bytes", data: Buffer.from(text) }, origin: "t" });

test("npm and Python packages outside Debian's are in the SBOM, with purls, licences and where they are", async () => {
  const status = "Package: node-debian-thing\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n";
  const entries = [
    file("app/node_modules/@types/node/package.json", JSON.stringify({ name: "@types/node", version: "20.11.0", license: "MIT" })),
    file("app/node_modules/express/node_modules/debug/package.json", JSON.stringify({ name: "debug", version: "2.6.9", license: "MIT" })),
    file("app/node_modules/express/package.json", JSON.stringify({ name: "express", version: "4.19.2", license: "(MIT OR Apache-2.0)" })),
    file("app/node_modules/broken/package.json", "{ not json"),
    file("usr/local/lib/python3.11/dist-packages/Flask-3.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.0\nLicense-Expression: BSD-3-Clause\n\nA long description.\nName: not-a-header\n"),
    file("usr/share/nodejs/thing/node_modules/inner/package.json", JSON.stringify({ name: "inner", version: "9" })),
    file("var/lib/dpkg/info/node-debian-thing.list", "/usr/share/nodejs/thing/node_modules/inner/package.json\n"),
    file("var/lib/dpkg/status", status),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const layer = await buildLayer(entries, 0, new Store(join(dir, "store")));
  const image = await inspect({ repoTags: ["app:1"], config: Buffer.from(JSON.stringify({ created: "2024-01-01T00:00:00Z" })), layers: [layer] });
  assert.deepEqual(image.languagePackages?.map((p) => [p.ecosystem, p.name, p.version, p.path]), [
    ["npm", "@types/node", "20.11.0", "app/node_modules/@types/node"],
    ["npm", "debug", "2.6.9", "app/node_modules/express/node_modules/debug"],
    ["npm", "express", "4.19.2", "app/node_modules/express"],
    ["pypi", "Flask", "3.0.0", "usr/local/lib/python3.11/dist-packages/Flask-3.0.0.dist-info"],
  ], "Debian's own package.json (owned by node-debian-thing) is Debian's; a broken manifest is left out");

  const model = sbomModel(image, { tool: { name: "cairn", version: "0" } });
  assert.deepEqual(model.languagePackages.map((p) => [p.purl, p.license.expression]), [
    ["pkg:npm/%40types/node@20.11.0", "MIT"],
    ["pkg:npm/debug@2.6.9", "MIT"],
    ["pkg:npm/express@4.19.2", "MIT OR Apache-2.0"],
    ["pkg:pypi/flask@3.0.0", "BSD-3-Clause"],
  ]);
  const spdx = spdxDocument(model) as { packages: { name: string; externalRefs?: { referenceLocator: string }[] }[] };
  assert.deepEqual(schemaErrors("spdx", spdx), []);
  assert.ok(spdx.packages.some((p) => p.externalRefs?.[0]?.referenceLocator === "pkg:npm/express@4.19.2"));
  const cdx = cyclonedxDocument(model) as { components: { purl: string; "bom-ref": string }[] };
  assert.deepEqual(schemaErrors("cyclonedx", cdx), []);
  assert.ok(cdx.components.some((c) => c.purl === "pkg:pypi/flask@3.0.0"));
  assert.equal(new Set(cdx.components.map((c) => c["bom-ref"])).size, cdx.components.length, "bom-refs are unique");
});
