import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../../errors.js";
import { formatReference, isLoopback, parseReference, registryBaseUrl } from "./reference.js";

const D = "sha256:" + "ab".repeat(32);

test("references with a host, a port, a path and a tag", () => {
  assert.deepEqual(parseReference("127.0.0.1:5000/team/redis:7"), { registry: "127.0.0.1:5000", repository: "team/redis", tag: "7" });
  assert.deepEqual(parseReference("localhost/app"), { registry: "localhost", repository: "app", tag: "latest" });
  assert.deepEqual(parseReference("[::1]:5000/app:v1.2-rc_3"), { registry: "[::1]:5000", repository: "app", tag: "v1.2-rc_3" });
  assert.deepEqual(parseReference("ghcr.io/a/b/c"), { registry: "ghcr.io", repository: "a/b/c", tag: "latest" });
});

test("short names mean Docker Hub, single names its library", () => {
  assert.deepEqual(parseReference("redis"), { registry: "docker.io", repository: "library/redis", tag: "latest" });
  assert.deepEqual(parseReference("bitnami/redis:7"), { registry: "docker.io", repository: "bitnami/redis", tag: "7" });
  assert.deepEqual(parseReference("index.docker.io/redis"), { registry: "docker.io", repository: "library/redis", tag: "latest" });
});

test("digests, with or without a tag", () => {
  assert.deepEqual(parseReference(`registry.example/redis@${D}`), { registry: "registry.example", repository: "redis", digest: D });
  assert.deepEqual(parseReference(`registry.example:443/redis:7@${D}`), { registry: "registry.example:443", repository: "redis", tag: "7", digest: D });
  assert.equal(formatReference(parseReference(`redis:7@${D}`)), `docker.io/library/redis:7@${D}`);
});

test("bad references are refused with the reason", () => {
  for (const [ref, why] of [
    ["", /empty/],
    ["Redis", /lowercase/],
    ["host:5000/app:", /tag/],
    ["app:bad/tag", /registry host/],
    ["app@sha256:abc", /64/],
    ["host:5000//app", /repository part/],
    ["app:-x", /tag/],
  ] as const) {
    assert.throws(() => parseReference(ref), (e) => isCairnError(e) && e.code === ErrorCode.BAD_REFERENCE && why.test(e.message), ref);
  }
});

test("loopback hosts speak plain http, everything else https", () => {
  for (const h of ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "localhost", "[::1]:5000"]) assert.ok(isLoopback(h), h);
  for (const h of ["128.0.0.1", "localhost.example", "10.0.0.1:5000", "[::2]:5000"]) assert.ok(!isLoopback(h), h);
  assert.equal(registryBaseUrl("127.0.0.1:5000"), "http://127.0.0.1:5000");
  assert.equal(registryBaseUrl("127.0.0.1:5000", { tls: true }), "https://127.0.0.1:5000");
  assert.equal(registryBaseUrl("registry.example"), "https://registry.example");
  assert.equal(registryBaseUrl("registry.example:8080", { insecure: true }), "http://registry.example:8080");
  assert.equal(registryBaseUrl("docker.io"), "https://registry-1.docker.io");
});
