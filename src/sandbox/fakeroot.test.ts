import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatFakerootDb, parseFakerootDb, S_IFDIR, S_IFREG, type FakeStat } from "./fakeroot.js";

const rec = (over: Partial<FakeStat>): FakeStat => ({ dev: 0xfe00n, ino: 1n, mode: S_IFREG | 0o644, uid: 0, gid: 0, nlink: 1, rdev: 0, ...over });

test("format then parse gives the records back, keyed by inode", () => {
  const records = [
    rec({ ino: 2468275n, mode: S_IFREG | 0o4755, uid: 999, gid: 999 }),
    rec({ ino: 12n, mode: S_IFDIR | 0o750, uid: 7, gid: 8, nlink: 3 }),
    // Inodes beyond 2^53 must not lose precision.
    rec({ ino: 18446744073709551557n, mode: S_IFREG | 0o600, rdev: 5 }),
  ];
  const text = formatFakerootDb(records);
  assert.match(text, /^dev=fe00,ino=2468275,mode=104755,uid=999,gid=999,nlink=1,rdev=0\n/);
  const parsed = parseFakerootDb(text, 0xfe00n);
  assert.equal(parsed.size, 3);
  for (const r of records) assert.deepEqual(parsed.get(r.ino), r);
});

test("records of another device are dropped; blank and foreign lines skipped", () => {
  const text = formatFakerootDb([rec({ ino: 5n, uid: 1 }), rec({ dev: 0x803n, ino: 5n, uid: 2 }), rec({ dev: 0x803n, ino: 6n })]) + "\ngarbage\n";
  const mine = parseFakerootDb(text, 0xfe00n);
  assert.deepEqual([...mine.keys()], [5n]);
  assert.equal(mine.get(5n)!.uid, 1);
  const other = parseFakerootDb(text, 0x803n);
  assert.deepEqual([...other.keys()].sort(), [5n, 6n]);
  assert.equal(other.get(5n)!.uid, 2);
});

test("a save file written by the real faked is understood", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-fakeroot-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, "db");
  execFileSync("fakeroot", ["-s", db, "sh", "-c", "touch a; chown 7:8 a; chmod 4755 a"], { cwd: dir });
  const st = fs.statSync(path.join(dir, "a"), { bigint: true });
  const record = parseFakerootDb(fs.readFileSync(db, "utf8"), st.dev).get(st.ino);
  assert.ok(record, "faked recorded a's inode on this device");
  assert.equal(record.uid, 7);
  assert.equal(record.gid, 8);
  assert.equal(record.mode, 0o104755);
});
