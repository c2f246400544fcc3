import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaErrors } from "../../test/support/sbom-schemas.js";
import type { FinalFile, InspectedImage, InstalledPackage } from "./model.js";
import { cyclonedxDocument } from "./sbom-cyclonedx.js";
import { spdxDocument } from "./sbom-spdx.js";
import { sbomModel, serialise, spdxTime, splitReference, uuidFrom } from "./sbom.js";

const DIGEST = "sha256:1e9ccc7ee9901d7f4be55a86b77b7f3e9be0a4d1365aaf70dc654d3e0472379b";
const DEP5 = (license: string) => `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: ${license}\n`;

function pkg(name: string, version: string, o: Partial<InstalledPackage> = {}): InstalledPackage {
  return { name, version, architecture: "amd64", source: name, depends: "", dependsOn: [], files: [], size: 0, ...o };
}

/** A hand-made image: gcc's runtime (a shared copyright), glibc (prose copyright), redis (DEP-5, a LicenseRef). */
function image(o: { packages?: InstalledPackage[]; digest?: string; created?: string } = {}): InspectedImage {
  const packages = o.packages ?? [
    pkg("redis-server", "5:7.0.15-1~deb12u10", { source: "redis", dependsOn: ["libc6", "libstdc++6", "not-installed"], copyright: DEP5("BSD-3-clause") }),
    pkg("libstdc++6", "12.2.0-14+deb12u1", { source: "gcc-12", dependsOn: ["gcc-12-base", "libc6"] }),
    pkg("libc6", "2.36-9+deb12u14", { source: "glibc", copyright: "either version 2.1 of the License, or (at your option) any later version.\n/usr/share/common-licenses/LGPL-2.1\n" }),
    pkg("gcc-12-base", "12.2.0-14+deb12u1", { source: "gcc-12", copyright: DEP5("GPL-3+ or odd-one") }),
  ];
  return {
    reference: "redis:7", ...(o.digest === "" ? {} : { manifestDigest: o.digest ?? DIGEST }),
    config: { architecture: "amd64", os: "linux", ...({ created: o.created ?? "2024-05-06T07:08:09.123456789Z" }) } as InspectedImage["config"],
    layers: [{ index: 0, digest: "sha256:aa", storedSize: 1, contentSize: 1, entries: [] }],
    files: new Map<string, FinalFile>(), packages,
    osRelease: { ID: "debian", VERSION_ID: "12", NAME: "Debian GNU/Linux" },
  };
}

const tool = { name: "cairn", version: "0.1.0" };
const debSha256 = new Map([["libc6", "ab".repeat(32)]]);

test("the model: sorted packages with purls, declared licences, the .deb's sha256 when locked, installed dependencies only", () => {
  const m = sbomModel(image(), { debSha256, tool });
  assert.deepEqual(m.packages.map((p) => p.name), ["gcc-12-base", "libc6", "libstdc++6", "redis-server"]);
  const by = new Map(m.packages.map((p) => [p.name, p]));
  assert.equal(by.get("libstdc++6")!.purl, "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12");
  assert.equal(by.get("libc6")!.license.expression, "LGPL-2.1-or-later");
  assert.equal(by.get("libc6")!.sha256, "ab".repeat(32));
  assert.equal(by.get("redis-server")!.sha256, undefined);
  assert.equal(by.get("redis-server")!.license.expression, "BSD-3-Clause");
  // libstdc++6 has no copyright of its own: its source's package (one it depends on) lends it.
  assert.equal(by.get("libstdc++6")!.license.expression, "GPL-3.0-or-later OR LicenseRef-odd-one");
  assert.deepEqual(by.get("redis-server")!.dependsOn, ["libc6", "libstdc++6"]);
  assert.equal(m.image.created, "2024-05-06T07:08:09Z");
  assert.equal(m.image.purl, `pkg:oci/redis@${DIGEST}?tag=7`);
  assert.equal(m.supplier, "Debian");
});

test("SPDX 2.3: validates; DESCRIBES the image, which CONTAINS every package; DEPENDS_ON edges; LicenseRefs defined", () => {
  const doc = spdxDocument(sbomModel(image(), { debSha256, tool })) as any;
  assert.deepEqual(schemaErrors("spdx", doc), []);
  assert.equal(doc.creationInfo.created, "2024-05-06T07:08:09Z");
  assert.match(doc.documentNamespace, /^https:\/\/spdx\.org\/spdxdocs\/cairn\/redis-[0-9a-f-]{36}$/);
  const rel = (t: string) => doc.relationships.filter((r: any) => r.relationshipType === t);
  assert.deepEqual(rel("DESCRIBES"), [{ spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-Image" }]);
  assert.equal(rel("CONTAINS").length, 4);
  const deps = rel("DEPENDS_ON").map((r: any) => `${r.spdxElementId} ${r.relatedSpdxElement}`);
  assert.ok(deps.some((d: string) => /redis-server-amd64 SPDXRef-Package-deb-libstdc--6-amd64-[0-9a-f]{8}$/.test(d)), deps.join("\n"));
  assert.equal(deps.length, 4);
  const image_ = doc.packages[0];
  assert.equal(image_.primaryPackagePurpose, "CONTAINER");
  assert.deepEqual(image_.checksums, [{ algorithm: "SHA256", checksumValue: DIGEST.slice(7) }]);
  const libc = doc.packages.find((p: any) => p.name === "libc6");
  assert.equal(libc.supplier, "Organization: Debian");
  assert.equal(libc.sourceInfo, "built package from: glibc");
  assert.deepEqual(libc.checksums, [{ algorithm: "SHA256", checksumValue: "ab".repeat(32) }]);
  assert.deepEqual(doc.hasExtractedLicensingInfos.map((l: any) => l.licenseId), ["LicenseRef-odd-one"]);
});

test("CycloneDX 1.6: validates; the image is a container with its digest; dependencies name every package", () => {
  const doc = cyclonedxDocument(sbomModel(image(), { debSha256, tool })) as any;
  assert.deepEqual(schemaErrors("cyclonedx", doc), []);
  assert.equal(doc.metadata.component.type, "container");
  assert.deepEqual(doc.metadata.component.hashes, [{ alg: "SHA-256", content: DIGEST.slice(7) }]);
  assert.equal(doc.metadata.timestamp, "2024-05-06T07:08:09Z");
  const libc = doc.components.find((c: any) => c.name === "libc6");
  assert.deepEqual(libc.licenses, [{ expression: "LGPL-2.1-or-later", acknowledgement: "declared" }]);
  assert.deepEqual(libc.supplier, { name: "Debian" });
  assert.ok(libc.properties.some((p: any) => p.name === "cairn:debian:source" && p.value === "glibc"));
  assert.deepEqual(doc.dependencies[0], { ref: "image", dependsOn: doc.components.map((c: any) => c.purl) });
  const redis = doc.dependencies.find((d: any) => d.ref.startsWith("pkg:deb/debian/redis-server@"));
  assert.equal(redis.dependsOn.length, 2);
});

test("the validators are not vacuous: a document missing a required field fails", () => {
  const spdx = spdxDocument(sbomModel(image(), { tool })) as any;
  delete spdx.documentNamespace;
  assert.notDeepEqual(schemaErrors("spdx", spdx), []);
  const cdx = cyclonedxDocument(sbomModel(image(), { tool })) as any;
  cdx.components[0].type = "debian-package";
  assert.notDeepEqual(schemaErrors("cyclonedx", cdx), []);
});

test("deterministic: the same bytes twice, whatever order the packages come in; ids from the digest, time from the config", () => {
  const a = image();
  const b = image({ packages: [...a.packages].reverse() });
  for (const render of [spdxDocument, cyclonedxDocument]) {
    const one = serialise(render(sbomModel(a, { debSha256, tool })));
    assert.equal(serialise(render(sbomModel(b, { debSha256, tool }))), one);
    assert.equal(serialise(render(sbomModel(image(), { debSha256, tool }))), one);
    // Another image: another namespace / serial number.
    assert.notEqual(serialise(render(sbomModel(image({ digest: `sha256:${"0".repeat(64)}` }), { debSha256, tool }))), one);
  }
});

test("an image without a manifest digest (a docker-archive): no checksum, a stable id from config and layers, still valid", () => {
  const m = sbomModel(image({ digest: "" }), { tool });
  assert.equal(m.image.digest, undefined);
  assert.match(m.image.id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(sbomModel(image({ digest: "" }), { tool }).image.id, m.image.id);
  const doc = spdxDocument(m) as any;
  assert.equal(doc.packages[0].checksums, undefined);
  assert.deepEqual(schemaErrors("spdx", doc), []);
  assert.deepEqual(schemaErrors("cyclonedx", cyclonedxDocument(m)), []);
});

test("helpers: SPDX times, references, name-based UUIDs", () => {
  assert.equal(spdxTime("1970-01-01T00:00:00Z"), "1970-01-01T00:00:00Z");
  assert.equal(spdxTime("2024-01-02T03:04:05+02:00"), "2024-01-02T01:04:05Z");
  assert.equal(spdxTime(undefined), "1970-01-01T00:00:00Z");
  assert.deepEqual(splitReference("127.0.0.1:5000/team/redis:7"), { repository: "127.0.0.1:5000/team/redis", tag: "7" });
  assert.deepEqual(splitReference("127.0.0.1:5000/team/redis"), { repository: "127.0.0.1:5000/team/redis" });
  assert.deepEqual(splitReference("redis.tar"), { repository: "redis" });
  assert.match(uuidFrom("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(uuidFrom("x"), uuidFrom("x"));
});
