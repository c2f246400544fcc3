import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { sniffArchive } from "./unpack-archive.js";

test("an archive is told by its first bytes, not its name", () => {
  assert.equal(sniffArchive(gzipSync(Buffer.from("x"))), "gz");
  assert.equal(sniffArchive(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])), "xz");
  assert.equal(sniffArchive(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1])), "zst");
  const tar = Buffer.alloc(512);
  tar.write("ustar", 257, "latin1");
  assert.equal(sniffArchive(tar), "none");
  assert.deepEqual(sniffArchive(Buffer.from("PK\x03\x04rest", "latin1")), { other: "a zip archive" });
  assert.deepEqual(sniffArchive(Buffer.from("BZh91AY", "latin1")), { other: "bzip2 data" });
  assert.match((sniffArchive(Buffer.from("<!doctype html>")) as { other: string }).other, /not a tar archive/);
});
