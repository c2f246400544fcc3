import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../errors.js";
import { platformString, selectPlatform, type IndexEntry } from "./pull.js";

const d = (n: number) => `sha256:${String(n).repeat(64)}`;
const entries: IndexEntry[] = [
  { digest: d(1), platform: { os: "linux", architecture: "amd64" } },
  { digest: d(2), platform: { os: "linux", architecture: "arm", variant: "v6" } },
  { digest: d(3), platform: { os: "linux", architecture: "arm", variant: "v7" } },
  { digest: d(4), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  { digest: d(5), platform: { os: "unknown", architecture: "unknown" } },
  { digest: d(6), platform: { os: "windows", architecture: "amd64" } },
];

test("os and architecture pick the entry", () => {
  assert.equal(selectPlatform(entries, { os: "linux", architecture: "amd64" }, "x").digest, d(1));
  assert.equal(selectPlatform(entries, { os: "windows", architecture: "amd64" }, "x").digest, d(6));
});

test("a variant asked for must match; arm64 without one means v8", () => {
  assert.equal(selectPlatform(entries, { os: "linux", architecture: "arm", variant: "v7" }, "x").digest, d(3));
  assert.equal(selectPlatform(entries, { os: "linux", architecture: "arm64" }, "x").digest, d(4));
  const bare = [{ digest: d(7), platform: { os: "linux", architecture: "arm64" } }];
  assert.equal(selectPlatform(bare, { os: "linux", architecture: "arm64", variant: "v8" }, "x").digest, d(7));
  assert.throws(() => selectPlatform(entries, { os: "linux", architecture: "arm", variant: "v5" }, "x"), (e) => isCairnError(e) && e.code === ErrorCode.PLATFORM_MISSING);
});

test("without a variant asked, the first of several variants is taken", () => {
  assert.equal(selectPlatform(entries, { os: "linux", architecture: "arm" }, "x").digest, d(2));
});

test("no match lists the available platforms, without attestation entries", () => {
  assert.throws(() => selectPlatform(entries, { os: "linux", architecture: "s390x" }, "127.0.0.1:5000/team/base:1"), (e) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.PLATFORM_MISSING);
    assert.match(e.message, /127\.0\.0\.1:5000\/team\/base:1/);
    assert.match(e.message, /no manifest for linux\/s390x; it has linux\/amd64, linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8, windows\/amd64$/);
    assert.ok(!e.message.includes("unknown"));
    return true;
  });
});

test("platformString", () => {
  assert.equal(platformString({ os: "linux", architecture: "arm", variant: "v7" }), "linux/arm/v7");
  assert.equal(platformString({ os: "linux", architecture: "amd64" }), "linux/amd64");
});
