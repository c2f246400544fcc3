import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { test } from "node:test";
import * as tarStream from "tar-stream";
import { ErrorCode, isCairnError } from "../errors.js";
import { compareTarRecords, readTarRecords } from "./verify-tar.js";

interface E { name: string; type?: "file" | "directory" | "symlink" | "link"; body?: string; mode?: number; uid?: number; gid?: number; uname?: string; mtime?: number; linkname?: string; pax?: Record<string, string> }

/** A real tar (tar-stream's ustar writer), in memory. */
async function tar(entries: E[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    const { body, mtime, ...h } = e;
    pack.entry({ type: "file", mode: 0o644, uid: 0, gid: 0, ...h, mtime: new Date((mtime ?? 0) * 1000) }, body ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const records = async (entries: E[]) => readTarRecords(Readable.from([await tar(entries)]));

test("readTarRecords: header fields, content hash of files only, paths without ./", async () => {
  const r = await records([
    { name: "./etc/", type: "directory", mode: 0o755 },
    { name: "./etc/hostname", body: "cairn\n", uid: 999, gid: 998, uname: "redis", mtime: 7 },
    { name: "./bin", type: "symlink", linkname: "usr/bin" },
  ]);
  assert.deepEqual(r.map((x) => [x.index, x.path, x.type]), [[0, "etc", "directory"], [1, "etc/hostname", "file"], [2, "bin", "symlink"]]);
  assert.equal(r[1]!.sha256, createHash("sha256").update("cairn\n").digest("hex"));
  assert.deepEqual([r[1]!.uid, r[1]!.gid, r[1]!.uname, r[1]!.mtime, r[1]!.size, r[1]!.mode], [999, 998, "redis", 7, 6, 0o644]);
  assert.equal(r[0]!.sha256, undefined);
  assert.equal(r[2]!.linkname, "usr/bin");
});

test("compareTarRecords: names the entry and each field that differs", async () => {
  const a = await records([
    { name: "etc/stamp", body: "1700000000123" },
    { name: "etc/same", body: "x" },
    { name: "etc/moded", body: "x", mode: 0o644 },
    { name: "etc/owned", body: "x", uid: 0 },
    { name: "etc/timed", body: "x", mtime: 0 },
    { name: "etc/link", type: "symlink", linkname: "a" },
    { name: "etc/grown", body: "x" },
    { name: "etc/gone", body: "x" },
  ]);
  const b = await records([
    { name: "etc/stamp", body: "1700000000999" },
    { name: "etc/same", body: "x" },
    { name: "etc/moded", body: "x", mode: 0o600 },
    { name: "etc/owned", body: "x", uid: 999 },
    { name: "etc/timed", body: "x", mtime: 1700000000 },
    { name: "etc/link", type: "symlink", linkname: "b" },
    { name: "etc/grown", body: "xy" },
    { name: "etc/new", body: "x" },
  ]);
  const d = compareTarRecords(a, b);
  const fields = Object.fromEntries(d.map((x) => [x.path, x.change === "differs" ? x.fields.map((f) => f.field) : x.change]));
  assert.deepEqual(fields, {
    "etc/stamp": ["content"], "etc/moded": ["mode"], "etc/owned": ["owner"], "etc/timed": ["mtime"], "etc/link": ["link target"],
    "etc/grown": ["content", "size"], "etc/gone": "only in A", "etc/new": "only in B",
  });
  assert.deepEqual(d.find((x) => x.path === "etc/moded")!.fields[0], { field: "mode", a: "0644", b: "0600" });
  assert.match(d[0]!.fields[0]!.a, /^sha256:[0-9a-f]{12}…$/);
});

test("compareTarRecords: same entries in another order are reported by position; equal tars by nothing", async () => {
  const one = [{ name: "a", body: "1" }, { name: "b", body: "2" }];
  const a = await records(one);
  const b = await records([...one].reverse());
  assert.deepEqual(compareTarRecords(a, b), [{ path: "a", change: "differs", fields: [{ field: "position", a: "#0", b: "#1" }] }]);
  assert.deepEqual(compareTarRecords(a, await records(one)), []);
});

test("compareTarRecords: PAX records that carry more than a long name count", async () => {
  const a = await records([{ name: "f", body: "1", pax: { "SCHILY.xattr.user.x": "1" } }]);
  const b = await records([{ name: "f", body: "1" }]);
  assert.deepEqual(compareTarRecords(a, b).map((x) => x.fields.map((f) => f.field)), [["pax"]]);
});

test("a damaged layer tar is a BAD_REFERENCE, not a raw tar-stream error (found by fuzzing)", async () => {
  const garbage = Buffer.alloc(512, 0x41); // a header block whose checksum cannot match
  await assert.rejects(readTarRecords(Readable.from([garbage])), (e) => isCairnError(e) && e.code === ErrorCode.BAD_REFERENCE);
});
