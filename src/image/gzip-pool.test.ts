import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

test("a stream whose input fails halfway does not leave its answers to the next stream", async () => {
  const data = randomBytes(6_000_000);
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield* pieces(data.subarray(0, 5_000_000), 1 << 20);
    throw new Error("the tar failed");
  }
  await assert.rejects(collect(gzipOffThread(failing())), /the tar failed/);
  // The next stream may take the same worker only if nothing of the first is still in flight.
  const next = randomBytes(3_000_000);
  assert.ok(gunzipSync(await collect(gzipOffThread(pieces(next, 1 << 20)))).equals(next));
});

test("an idle worker does not keep the process alive", async () => {
  // A process that compresses once and never calls closeGzipWorkers must still end by itself.
  const script = `import { gzipOffThread } from ${JSON.stringify(new URL("./gzip-pool.ts", import.meta.url).href)};
for await (const _ of gzipOffThread((async function* () { yield new Uint8Array(1000); })())) {}
console.log("done");`;
  const file = join(mkdtempSync(join(tmpdir(), "cairn-gzip-")), "once.mts");
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.signal, null, "ended by itself, not killed by the timeout");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "done\n");
});
