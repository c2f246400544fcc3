import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { GZIP_BLOCK, gzip } from "./gzip.js";

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Compressible but not trivial: text-like lines with a pseudo-random (seeded) part. */
function sampleData(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 64 === 63 ? 0x0a : 0x61 + ((x >>> 16) % 12);
  }
  return out;
}

test("output depends on the bytes only, not on how they arrive", async () => {
  const data = sampleData(GZIP_BLOCK * 2 + 12345); // crosses two block boundaries
  const small = data.subarray(0, 300_000); // 1-byte chunks on all of it would be slow for no gain
  assert.ok((await collect(gzip(chunked(small, 1)))).equals(await collect(gzip(chunked(small, 7)))));
  const a = await collect(gzip(chunked(data, 7)));
  const b = await collect(gzip(chunked(data, 5 * 1024 * 1024)));
  const c = await collect(gzip(chunked(data, 65_536)));
  assert.ok(a.equals(b) && a.equals(c));
  assert.ok(gunzipSync(a).equals(data));
});

test("the header is fixed: no mtime, OS = Unix", async () => {
  const out = await collect(gzip(chunked(Buffer.from("hello\n"), 3)));
  // ID1 ID2, CM=8 (deflate), FLG=0 (no name/comment/extra), MTIME=0, XFL=0 (level 6), OS=3 (Unix).
  assert.deepEqual([...out.subarray(0, 10)], [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
  // Trailer: CRC32 and length mod 2^32, little-endian.
  assert.equal(out.readUInt32LE(out.length - 4), 6);
  assert.equal(out.readUInt32LE(out.length - 8), 0x363a3020); // crc32("hello\n")
  assert.equal(gunzipSync(out).toString(), "hello\n");
  const best = await collect(gzip(chunked(Buffer.from("hello\n"), 3), 9));
  assert.equal(best[8], 0x02, "XFL says 'maximum compression' at level 9");
});

test("empty input and exact multiples of the block size", async () => {
  const empty = await collect(gzip(chunked(Buffer.alloc(0), 1)));
  assert.equal(gunzipSync(empty).length, 0);
  const exact = sampleData(GZIP_BLOCK);
  assert.ok(gunzipSync(await collect(gzip(chunked(exact, 100_000)))).equals(exact));
});

test("the host's gzip -dc reads it", async () => {
  const data = sampleData(3_000_000);
  const out = await collect(gzip(chunked(data, 1 << 20), 1));
  const r = spawnSync("gzip", ["-dc"], { input: out, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(createHash("sha256").update(r.stdout).digest("hex"), createHash("sha256").update(data).digest("hex"));
});

test("a bad level is a bug", async () => {
  await assert.rejects(collect(gzip(chunked(Buffer.from("x"), 1), 10)), /level 10/);
});
