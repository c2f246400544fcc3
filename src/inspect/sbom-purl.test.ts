import assert from "node:assert/strict";
import { test } from "node:test";
import { debPurl, distroQualifier, formatPurl, ociPurl, purlEncode } from "./sbom-purl.js";

test("percent-encoding: letters, digits, .-_~ and ':' stay; every other octet of the UTF-8 is %XX", () => {
  assert.equal(purlEncode("1:2.66-4+deb12u3+b1"), "1:2.66-4%2Bdeb12u3%2Bb1");
  assert.equal(purlEncode("3.0.22-1~deb12u2"), "3.0.22-1~deb12u2");
  assert.equal(purlEncode("a b/c@d?e#f&g=h%"), "a%20b%2Fc%40d%3Fe%23f%26g%3Dh%25");
  assert.equal(purlEncode("é"), "%C3%A9");
});

test("deb purls: namespace from os-release's ID, lowercased names, qualifiers sorted arch then distro", () => {
  assert.equal(
    debPurl({ vendor: "debian", name: "libstdc++6", version: "12.2.0-14+deb12u1", architecture: "amd64", distro: "debian-12" }),
    "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12",
  );
  assert.equal(
    debPurl({ vendor: "Debian", name: "redis-server", version: "5:7.0.15-1~deb12u10", architecture: "amd64", distro: "debian-12" }),
    "pkg:deb/debian/redis-server@5:7.0.15-1~deb12u10?arch=amd64&distro=debian-12",
  );
  // No distro known: the qualifier is left out, not written empty.
  assert.equal(debPurl({ vendor: "debian", name: "lsb-base", version: "11.6", architecture: "all" }), "pkg:deb/debian/lsb-base@11.6?arch=all");
});

test("distro qualifier: ID-VERSION_ID, the codename when there is no number, nothing without an ID", () => {
  assert.equal(distroQualifier({ ID: "debian", VERSION_ID: "12", VERSION_CODENAME: "bookworm" }), "debian-12");
  assert.equal(distroQualifier({ ID: "debian", VERSION_CODENAME: "trixie" }), "debian-trixie");
  assert.equal(distroQualifier({}), undefined);
});

test("oci purls: the repository's last segment as name, the digest as version, repository_url only for a registry", () => {
  const digest = "sha256:1e9ccc7ee9901d7f4be55a86b77b7f3e9be0a4d1365aaf70dc654d3e0472379b";
  assert.equal(ociPurl({ repository: "redis", digest, tag: "7" }), `pkg:oci/redis@${digest}?tag=7`);
  assert.equal(ociPurl({ repository: "127.0.0.1:5000/team/Redis", digest }), `pkg:oci/redis@${digest}?repository_url=127.0.0.1:5000%2Fteam%2FRedis`);
  assert.equal(formatPurl({ type: "Generic", name: "x", qualifiers: { b: "2", a: "", c: undefined } }), "pkg:generic/x?b=2");
});
