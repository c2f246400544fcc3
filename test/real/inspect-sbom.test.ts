// `cairn sbom` on the redis example, on a skopeo-converted tar of it, and attached to a push: both
// formats validate against the official schemas, list the 18 packages the image keeps with purls
// and the locked .deb checksums, resolve libc6's licence, and come out byte-identical twice.
// The push goes to Debian's docker-registry (no referrers API), so the referrers tag is checked.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, lastLine } from "../support/cairn.js";
import { command } from "../support/command.js";
import { registry, type Registry } from "../support/registry.js";
import { schemaErrors } from "../support/sbom-schemas.js";

const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const cache = sharedCache();
const work = await mkdtemp(join(tmpdir(), "cairn-sbom-"));

async function sbom(target: string[], format: "spdx" | "cyclonedx"): Promise<string> {
  const r = await cairn(["sbom", ...target, "--format", format, "--cache-dir", cache, "-q"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function debPackages(format: "spdx" | "cyclonedx", doc: any): { name: string; purl: string; license?: string; sha256?: string }[] {
  if (format === "spdx") {
    return doc.packages.filter((p: any) => p.SPDXID !== "SPDXRef-Image").map((p: any) => ({
      name: p.name, purl: p.externalRefs[0].referenceLocator, license: p.licenseDeclared, sha256: p.checksums?.[0]?.checksumValue,
    }));
  }
  return doc.components.map((c: any) => ({ name: c.name, purl: c.purl, license: c.licenses?.[0]?.expression, sha256: c.hashes?.[0]?.content }));
}

describe("cairn sbom", () => {
  for (const format of ["spdx", "cyclonedx"] as const) {
    test(`${format}: redis from its definition validates, lists 18 packages with purls and .deb checksums, twice the same bytes`, async () => {
      const text = await sbom([redisDef, "-A", "redis"], format);
      const doc = JSON.parse(text);
      assert.deepEqual(schemaErrors(format, doc), []);
      const pkgs = debPackages(format, doc);
      assert.equal(pkgs.length, 18, pkgs.map((p) => p.name).join(" "));
      for (const p of pkgs) {
        assert.match(p.purl, new RegExp(`^pkg:deb/debian/${p.name.replace(/\+/g, "%2B")}@[^?]+\\?arch=(amd64|arm64|all)&distro=debian-12$`));
        assert.match(p.sha256 ?? "", /^[0-9a-f]{64}$/, `${p.name} has the .deb's sha256 from the lock`);
      }
      const libc = pkgs.find((p) => p.name === "libc6")!;
      assert.match(libc.license ?? "", /LGPL-2\.1-or-later/);
      assert.ok(pkgs.filter((p) => p.license && p.license !== "NOASSERTION").length >= 15, "most licences resolve");
      assert.equal(await sbom([redisDef, "-A", "redis"], format), text, "deterministic");
    });
  }

  test("an image tar converted by skopeo (oci-archive): both formats validate, same packages, no lock checksums", async () => {
    const tar = join(work, "redis.tar");
    const built = await cairn(["build", redisDef, "-A", "redis", "-o", tar, "--cache-dir", cache, "-q"]);
    assert.equal(built.code, 0, built.stderr);
    const oci = join(work, "redis-oci.tar");
    await command("skopeo", ["copy", "-q", `docker-archive:${tar}`, `oci-archive:${oci}:redis:7`]);
    for (const format of ["spdx", "cyclonedx"] as const) {
      const doc = JSON.parse(await sbom([oci], format));
      assert.deepEqual(schemaErrors(format, doc), []);
      const pkgs = debPackages(format, doc);
      assert.equal(pkgs.length, 18);
      assert.ok(pkgs.every((p) => p.sha256 === undefined), "a tar has no lock");
      assert.match(pkgs.find((p) => p.name === "libc6")!.license ?? "", /LGPL-2\.1-or-later/);
    }
  });
});

describe("cairn push --sbom (registry without the referrers API)", () => {
  let reg: Registry;
  before(async () => { reg = await registry(); });
  after(async () => reg?.close());

  const get = async (path: string, accept: string) => {
    const r = await fetch(`${reg.url}${path}`, { headers: { accept } });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return Buffer.from(await r.arrayBuffer());
  };

  test("the SBOM goes up as an artifact whose subject is the image, listed under the sha256-<hex> tag; a second format adds to the index", async () => {
    const ref = `${reg.host}/cairn/redis:7`;
    const pushed = await cairn(["push", redisDef, "-A", "redis", ref, "--sbom", "--cache-dir", cache]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = lastLine(pushed);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(pushed.stderr, /attached the spdx SBOM as sha256:[0-9a-f]{64} \(listed under the referrers tag sha256-/);

    const tag = digest.replace(":", "-");
    const index = JSON.parse((await get(`/v2/cairn/redis/manifests/${tag}`, "application/vnd.oci.image.index.v1+json")).toString());
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].artifactType, "application/spdx+json");

    const manifestBytes = await get(`/v2/cairn/redis/manifests/${index.manifests[0].digest}`, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(`sha256:${createHash("sha256").update(manifestBytes).digest("hex")}`, index.manifests[0].digest);
    const artifact = JSON.parse(manifestBytes.toString());
    assert.equal(artifact.artifactType, "application/spdx+json");
    assert.equal(artifact.subject.digest, digest);
    assert.equal(artifact.config.mediaType, "application/vnd.oci.empty.v1+json");
    assert.equal(artifact.layers.length, 1);
    const blob = await get(`/v2/cairn/redis/blobs/${artifact.layers[0].digest}`, "*/*");
    const expected = await sbom([redisDef, "-A", "redis"], "spdx");
    assert.equal(blob.toString(), expected, "the attached SBOM is what `cairn sbom` writes");
    assert.equal(JSON.parse(blob.toString()).packages[0].checksums[0].checksumValue, digest.slice(7));

    // Again with CycloneDX through build --push: the index keeps the SPDX entry and gains one.
    const again = await cairn(["build", redisDef, "-A", "redis", "-o", join(work, "r.tar"), "--push", ref, "--sbom", "--sbom-format", "cyclonedx", "--cache-dir", cache]);
    assert.equal(again.code, 0, again.stderr);
    const index2 = JSON.parse((await get(`/v2/cairn/redis/manifests/${tag}`, "application/vnd.oci.image.index.v1+json")).toString());
    assert.deepEqual(index2.manifests.map((m: any) => m.artifactType).sort(), ["application/spdx+json", "application/vnd.cyclonedx+json"]);
    // Pushing the same SBOM once more changes nothing.
    const third = await cairn(["push", redisDef, "-A", "redis", ref, "--sbom", "--cache-dir", cache]);
    assert.equal(third.code, 0, third.stderr);
    const index3 = JSON.parse((await get(`/v2/cairn/redis/manifests/${tag}`, "application/vnd.oci.image.index.v1+json")).toString());
    assert.equal(index3.manifests.length, 2);
  });

  test("--sbom without --push is refused with a hint", async () => {
    const r = await cairn(["build", redisDef, "-A", "redis", "-o", join(work, "x.tar"), "--sbom", "--cache-dir", cache]);
    assert.equal(r.code, 2, "a usage error");
    assert.match(r.stderr, /--sbom attaches an SBOM to a pushed image/);
  });
});

test("sbom of something that is not an image tar fails with a message naming it", async () => {
  const bogus = join(work, "bogus.tar");
  await writeFile(join(work, "note.txt"), "not an image\n");
  await command("tar", ["-cf", bogus, "-C", work, "note.txt"]);
  const r = await cairn(["sbom", bogus, "--cache-dir", cache]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bogus\.tar/);
});
