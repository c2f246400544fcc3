import assert from "node:assert/strict";
import { test } from "node:test";
import { parseChallenges, registryErrorText, retryAfterMs } from "./challenge.js";

test("a Bearer challenge with quoted parameters", () => {
  const [c, ...rest] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/redis:pull,push"');
  assert.equal(rest.length, 0);
  assert.equal(c.scheme, "bearer");
  assert.deepEqual(c.params, { realm: "https://auth.example/token", service: "registry.example", scope: "repository:team/redis:pull,push" });
});

test("a Basic challenge, bare values and two challenges in one header", () => {
  assert.deepEqual(parseChallenges('Basic realm="cairn-test"'), [{ scheme: "basic", params: { realm: "cairn-test" } }]);
  assert.deepEqual(parseChallenges("Bearer realm=https://a/t, service=reg, Basic realm=\"x\""), [
    { scheme: "bearer", params: { realm: "https://a/t", service: "reg" } },
    { scheme: "basic", params: { realm: "x" } },
  ]);
  assert.deepEqual(parseChallenges(""), []);
});

test("Retry-After in seconds or as a date, capped", () => {
  assert.equal(retryAfterMs("3", 0), 3000);
  assert.equal(retryAfterMs("3600", 0), 60_000);
  const now = Date.parse("2024-01-01T00:00:00Z");
  assert.equal(retryAfterMs("Mon, 01 Jan 2024 00:00:05 GMT", now), 5000);
  assert.equal(retryAfterMs(undefined, 0), undefined);
  assert.equal(retryAfterMs("soon", 0), undefined);
});

test("the registry's error codes and messages, or nothing", () => {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: "DIGEST_INVALID", message: "provided digest did not match uploaded content" }] }));
  assert.equal(registryErrorText(body), "DIGEST_INVALID: provided digest did not match uploaded content");
  assert.equal(registryErrorText(Buffer.from("<html>bad gateway</html>")), "");
});

test("a challenge without parameters before another (found by fuzzing)", () => {
  assert.deepEqual(parseChallenges("a, a"), [{ scheme: "a", params: {} }, { scheme: "a", params: {} }]);
  assert.deepEqual(parseChallenges('Negotiate, Bearer realm="r"'), [{ scheme: "negotiate", params: {} }, { scheme: "bearer", params: { realm: "r" } }]);
});
