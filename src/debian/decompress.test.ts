import assert from "node:assert/strict";
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
