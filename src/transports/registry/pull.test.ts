import assert from "node:assert/strict";
import { test } from "node:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, isCairnError } from "../../errors.js";
import { Store } from "../../store/store.js";
import { platformString, pullImage, selectPlatform, type IndexEntry } from "./pull.js";

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

test("platformString of index fields that are not strings shows them as JSON, and selectPlatform still says what is missing (found by fuzzing)", () => {
  const odd = { os: { toString: "" }, architecture: 5 } as unknown as { os: string; architecture: string };
  assert.equal(platformString(odd), '{"toString":""}/5');
  assert.throws(() => selectPlatform([{ digest: d(1), platform: odd }], { os: "linux", architecture: "amd64" }, "x"), (e) => isCairnError(e) && e.code === ErrorCode.PLATFORM_MISSING);
});

test("malformed index, config and layer descriptors are registry rejections, not TypeErrors (found by fuzzing)", async () => {
  const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const blobs = new Map<string, Buffer>();
  let top = Buffer.from("{}");
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    const body = url === "/v2/" ? Buffer.from("{}") : url.endsWith("/manifests/t") ? top : blobs.get(url.slice(url.lastIndexOf("/") + 1));
    res.writeHead(body ? 200 : 404, { "content-length": body?.length ?? 0 });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const dir = mkdtempSync(join(tmpdir(), "cairn-pull-"));
  try {
    const ref = `127.0.0.1:${(server.address() as AddressInfo).port}/fuzz/img:t`;
    const put = (v: unknown) => { const b = Buffer.from(typeof v === "string" ? v : JSON.stringify(v)); blobs.set(sha(b), b); return sha(b); };
    const layer = put("layer bytes");
    const goodConfig = put({ os: "linux", architecture: "amd64", rootfs: { diff_ids: [layer] } });
    const manifest = (config: string, layers: unknown[]) => ({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: config }, layers });
    const cases: [string, unknown, ErrorCode][] = [
      ["an index entry that is null", { mediaType: "application/vnd.oci.image.index.v1+json", manifests: [null] }, ErrorCode.PLATFORM_MISSING],
      ["an index whose manifests is not a list", { mediaType: "application/vnd.oci.image.index.v1+json", manifests: "x" }, ErrorCode.PLATFORM_MISSING],
      ["a config that is not JSON", manifest(put("{"), []), ErrorCode.REGISTRY_REJECTED],
      ["a config that is JSON null", manifest(put("null"), []), ErrorCode.REGISTRY_REJECTED],
      ["a layer descriptor that is null", manifest(goodConfig, [null]), ErrorCode.REGISTRY_REJECTED],
      ["a layer size that is not a byte count", manifest(goodConfig, [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: -1 }]), ErrorCode.REGISTRY_REJECTED],
    ];
    for (const [what, doc, code] of cases) {
      top = Buffer.from(JSON.stringify(doc));
      await assert.rejects(pullImage(ref, { store: new Store(join(dir, "store")), attempts: 1 }), (e) => isCairnError(e) && e.code === code, what);
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
