import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../errors.js";
import { decompressBuffer } from "./decompress.js";

test("damaged index data is an INDEX_MISSING naming the file, not a raw zlib/xz/zstd error (found by fuzzing)", async () => {
  const cases: [Parameters<typeof decompressBuffer>[0], number[]][] = [
    ["gz", [0x1f, 0x8b, 8, 0]], // a gzip header cut short
    ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4, 1, 2, 3]],
    ["zst", [0x28, 0xb5, 0x2f, 0xfd, 0]],
  ];
  for (const [kind, bytes] of cases) {
    await assert.rejects(decompressBuffer(kind, Uint8Array.from(bytes), "main/binary-amd64/Packages." + kind), (e) => {
      assert.ok(isCairnError(e), `${kind}: ${String(e)}`);
      assert.equal(e.code, ErrorCode.INDEX_MISSING);
      assert.match(e.message, new RegExp(`Packages\\.${kind} is not valid ${kind} data`));
      return true;
    });
  }
});

test("xz: the host's xz and the WebAssembly decoder give the same bytes, and both refuse corrupt data", async () => {
  const { spawnSync } = await import("node:child_process");
  const { randomBytes } = await import("node:crypto");
  const { unxz } = await import("./decompress.js");
  const plain = Buffer.concat([randomBytes(300_000), Buffer.alloc(2_000_000, "debian ")]);
  const packed = spawnSync("xz", ["-c"], { input: plain, maxBuffer: 1 << 26 });
  assert.equal(packed.status, 0, "xz is needed (apt-get install xz-utils)");
  const read = async (decoder: "host" | "wasm", bytes: Buffer) => {
    const chunks: Buffer[] = [];
    for await (const c of unxz(decoder, Readable.from([bytes]))) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  assert.deepEqual(await read("host", packed.stdout), plain);
  assert.deepEqual(await read("wasm", packed.stdout), plain);
  const broken = Buffer.from(packed.stdout);
  for (let i = 100; i < 200; i++) broken[i] = broken[i]! ^ 0xff;
  await assert.rejects(read("host", broken));
  await assert.rejects(read("wasm", broken));
  await assert.rejects(read("host", packed.stdout.subarray(0, packed.stdout.length - 50)), "a cut stream is an error, not a short one");
});
