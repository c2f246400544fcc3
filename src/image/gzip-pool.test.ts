import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { gzip } from "./gzip.js";
import { closeGzipWorkers, gzipOffThread } from "./gzip-pool.js";

after(closeGzipWorkers);

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* pieces(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

test("compressing on a worker gives the same bytes as on the main thread", async () => {
  // Mixed content over several 1 MiB blocks: text that compresses and noise that does not.
  const data = Buffer.concat([Buffer.from("cairn layer ".repeat(300_000)), randomBytes(1_500_000), Buffer.alloc(700_000, 7)]);
  const main = await collect(gzip(pieces(data, 65536)));
  const worker = await collect(gzipOffThread(pieces(data, 12345)));
  assert.ok(main.equals(worker), "identical gzip bytes");
  assert.ok(gunzipSync(worker).equals(data));
});

test("two streams at once on two workers stay separate and correct", async () => {
  const a = Buffer.from("a".repeat(3_000_000));
  const b = randomBytes(2_200_000);
  const [za, zb] = await Promise.all([collect(gzipOffThread(pieces(a, 100_000))), collect(gzipOffThread(pieces(b, 77_777)))]);
  assert.ok(gunzipSync(za).equals(a));
  assert.ok(gunzipSync(zb).equals(b));
  assert.ok(za.equals(await collect(gzip(pieces(a, 1 << 20)))));
});

test("an empty stream compresses like gzip() does", async () => {
  assert.ok((await collect(gzipOffThread(pieces(Buffer.alloc(0), 1)))).equals(await collect(gzip(pieces(Buffer.alloc(0), 1)))));
});
