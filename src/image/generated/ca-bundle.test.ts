import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleSources, caBundle } from "./ca-bundle.js";

test("bundleSources: only .crt files under usr/share/ca-certificates, in path order", () => {
  assert.deepEqual(
    bundleSources(["usr/share/ca-certificates/mozilla/B.crt", "etc/ssl/certs/x.crt", "usr/share/ca-certificates/mozilla/A.crt", "usr/share/ca-certificates/mozilla/README", "usr/share/ca-certificates/a.crt"]),
    ["usr/share/ca-certificates/a.crt", "usr/share/ca-certificates/mozilla/A.crt", "usr/share/ca-certificates/mozilla/B.crt"],
  );
});

test("caBundle concatenates, adding a newline only where one is missing", () => {
  const a = Buffer.from("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n");
  const b = Buffer.from("-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----");
  assert.equal(caBundle([b, a, Buffer.alloc(0)]).toString(), b.toString() + "\n" + a.toString());
  assert.equal(caBundle([]).length, 0);
});
