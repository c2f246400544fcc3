import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { scanChanges } from "./changes.js";
import { S_IFREG, type FakeStat } from "./fakeroot.js";
import { materialize } from "./materialize.js";

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const entry = (p: string, type: FsEntry["type"], mode: number, more: Partial<FsEntry> = {}): FsEntry => ({ path: p, type, mode, uid: 0, gid: 0, size: 0, origin: "pkg", ...more });
const dir = (p: string, mode = 0o755) => entry(p, "dir", mode);
const file = (p: string, text: string, more: Partial<FsEntry> = {}) =>
  entry(p, "file", 0o644, { size: text.length, sha256: sha(text), content: { kind: "bytes", data: Buffer.from(text) }, ...more });

/** Materialises `entries` in a fresh directory, returning what scanChanges needs. */
function setUp(t: { after: (fn: () => void) => void }, entries: FsEntry[]) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-changes-"));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const root = path.join(work, "root");
  const m = materialize(entries, root, { writable: true, mtime: 1700000000 });
  return { root, m, before: new Map(entries.map((e) => [e.path, e])), at: (p: string) => path.join(root, p) };
}

const ENTRIES = [
  dir("etc"),
  file("etc/motd", "hello\n", { uid: 5, gid: 6 }),
  file("etc/untouched", "same\n"),
  file("etc/mode", "m\n", { mode: 0o755 }),
  file("etc/gone", "bye\n"),
  entry("etc/link", "symlink", 0o777, { linkname: "motd" }),
  dir("old"),
  dir("old/sub"),
  file("old/sub/f", "f\n"),
  dir("var"),
  file("var/ignored-gone", "i\n"),
  dir("cache"),
  file("cache/x", "c\n"),
  file("owned", "o\n"),
];

test("what a step changed, added and deleted, and nothing else", async (t) => {
  const { root, m, before, at } = setUp(t, ENTRIES);
  // Same size, same inode: only the change time and the content tell.
  fs.writeFileSync(at("etc/motd"), "HELLO\n", { flag: "r+" });
  fs.chmodSync(at("etc/mode"), 0o700);
  fs.rmSync(at("etc/gone"));
  fs.rmSync(at("old"), { recursive: true });
  fs.writeFileSync(at("etc/new"), "new file\n");
  fs.mkdirSync(at("etc/newdir"));
  fs.writeFileSync(at("etc/newdir/owned-by-fake"), "x");
  fs.rmSync(at("var/ignored-gone"));
  fs.writeFileSync(at("cache/y"), "ignored new\n");
  fs.rmSync(at("cache/x"));
  fs.writeFileSync(at("proc"), "");

  const fakeFor = (p: string, over: Partial<FakeStat>): FakeStat => ({ dev: m.dev, ino: fs.lstatSync(at(p), { bigint: true }).ino, mode: S_IFREG | 0o644, uid: 0, gid: 0, nlink: 1, rdev: 0, ...over });
  const fake = new Map<bigint, FakeStat>();
  for (const f of [fakeFor("etc/newdir/owned-by-fake", { uid: 999, gid: 998, mode: S_IFREG | 0o4750 }), fakeFor("owned", { uid: 7, gid: 8 })]) fake.set(f.ino, f);
  const ignore = (p: string) => p === "cache" || p === "var/ignored-gone" || p === "proc";

  const { changed, deleted } = await scanChanges(root, { before, stamps: m.stamps, fake, origin: "step:runAsRoot", ignore });
  const byPath = new Map(changed.map((e) => [e.path, e]));
  assert.deepEqual([...byPath.keys()], ["etc/mode", "etc/motd", "etc/new", "etc/newdir", "etc/newdir/owned-by-fake", "owned"]);
  assert.deepEqual(deleted, ["etc/gone", "old", "old/sub", "old/sub/f"]);

  const motd = byPath.get("etc/motd")!;
  assert.equal(motd.sha256, sha("HELLO\n"));
  assert.deepEqual([motd.uid, motd.gid], [5, 6], "edited in place: the owner stays");
  assert.deepEqual(motd.content, { kind: "path", path: at("etc/motd") });
  assert.equal(byPath.get("etc/mode")!.mode, 0o700);
  const added = byPath.get("etc/new")!;
  assert.deepEqual([added.type, added.uid, added.gid, added.mode, added.size, added.sha256, added.origin], ["file", 0, 0, 0o644, 9, sha("new file\n"), "step:runAsRoot"]);
  assert.equal(byPath.get("etc/newdir")!.type, "dir");
  const fakeOwned = byPath.get("etc/newdir/owned-by-fake")!;
  assert.deepEqual([fakeOwned.uid, fakeOwned.gid, fakeOwned.mode], [999, 998, 0o4750]);
  // A chown under fakeroot leaves the disk as it was; only the record says.
  assert.deepEqual([byPath.get("owned")!.uid, byPath.get("owned")!.gid], [7, 8]);
});

test("nothing done, nothing reported", async (t) => {
  const { root, m, before } = setUp(t, ENTRIES);
  assert.deepEqual(await scanChanges(root, { before, stamps: m.stamps, origin: "x", ignore: () => false }), { changed: [], deleted: [] });
});

test("a named pipe left behind is refused with CAIRN_E703", async (t) => {
  const { root, m, before, at } = setUp(t, [dir("run")]);
  execFileSync("mkfifo", [at("run/fifo")]);
  await assert.rejects(scanChanges(root, { before, stamps: m.stamps, origin: "x", ignore: () => false }), (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.STEP_OUTPUT_INVALID);
    assert.equal(e.code, "CAIRN_E703");
    assert.match(e.message, /\/run\/fifo, which is a named pipe/);
    return true;
  });
});
