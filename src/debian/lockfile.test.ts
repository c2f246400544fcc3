import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../errors.js";
import { emptyLock, formatLock, LOCKFILE_VERSION, packageKey, readLock, withImage, writeLock, type LockedImage, type LockedPackage } from "./lockfile.js";

const pkg = (name: string, version: string): LockedPackage => ({
  name, version, architecture: "amd64", filename: `pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb`, sha256: "0".repeat(64), size: 100, suite: "bookworm", component: "main",
});
const image = (packages: LockedPackage[], roots: string[]): LockedImage => ({
  request: { architecture: "amd64", sources: { host: true, suite: "bookworm" }, roots },
  packages: packages.map(packageKey).sort(),
  edges: [],
  distribution: { origin: "Debian", codename: "bookworm", version: "12.11" },
});

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-lock-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test("packageKey is name, version, architecture", () => {
  assert.equal(packageKey(pkg("libc6", "2.36-9")), "libc6 2.36-9 amd64");
});

test("formatLock: keys sorted at every depth, two-space indent, trailing newline, independent of insertion order", () => {
  const libc = pkg("libc6", "2.36-9");
  const redis = pkg("redis-server", "5:7.0.15-1");
  const a = withImage(withImage(emptyLock(), "redis", image([redis, libc], ["redis-server"]), [redis, libc]), "base", image([libc], ["libc6"]), [libc]);
  const b = withImage(withImage(emptyLock(), "base", image([libc], ["libc6"]), [libc]), "redis", image([libc, redis], ["redis-server"]), [libc, redis]);
  const text = formatLock(a);
  assert.equal(text, formatLock(b));
  assert.ok(text.endsWith("}\n") && !text.endsWith("\n\n"));
  assert.ok(text.startsWith('{\n  "images": {\n    "base": {\n      "distribution": {\n        "codename": "bookworm",'), text.slice(0, 200));
  assert.match(text, /\n {2}"lockfileVersion": 1,\n/);
  const keys = Object.keys(JSON.parse(text).packages as object);
  assert.deepEqual(keys, ["libc6 2.36-9 amd64", "redis-server 5:7.0.15-1 amd64"]);
  // Arrays keep their order: the caller sorts them, and the order can carry meaning.
  assert.deepEqual(JSON.parse(formatLock({ ...a, images: { x: { ...image([], ["b", "a"]) } } })).images.x.request.roots, ["b", "a"]);
});

test("withImage replaces an image and drops packages no image uses any more", () => {
  const old = pkg("redis-server", "5:7.0.11-1");
  const cur = pkg("redis-server", "5:7.0.15-1");
  const libc = pkg("libc6", "2.36-9");
  const first = withImage(emptyLock(), "redis", image([old, libc], ["redis-server"]), [old, libc]);
  const second = withImage(first, "redis", image([cur, libc], ["redis-server"]), [cur, libc]);
  assert.deepEqual(Object.keys(second.packages).sort(), [packageKey(libc), packageKey(cur)]);
  assert.deepEqual(Object.keys(first.packages).sort(), [packageKey(libc), packageKey(old)], "the input lock is not changed");
  const other = withImage(second, "base", image([libc], ["libc6"]), [libc]);
  assert.deepEqual(Object.keys(other.images).sort(), ["base", "redis"]);
  assert.equal(Object.keys(other.packages).length, 2, "a package shared by two images stays once");
  assert.equal(other.lockfileVersion, LOCKFILE_VERSION);
});

test("writeLock writes atomically, and only when the text changed", async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, "cairn.lock");
  const libc = pkg("libc6", "2.36-9");
  const lock = withImage(emptyLock(), "base", image([libc], ["libc6"]), [libc]);
  assert.equal(await writeLock(file, lock), true);
  assert.equal(fs.readFileSync(file, "utf8"), formatLock(lock));
  const past = new Date("2001-01-01T00:00:00Z");
  fs.utimesSync(file, past, past);
  const before = fs.statSync(file);
  assert.equal(await writeLock(file, JSON.parse(JSON.stringify(lock))), false);
  const after = fs.statSync(file);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.equal(after.ino, before.ino);
  assert.deepEqual(await readLock(file), lock);
  const changed = withImage(lock, "base", image([pkg("libc6", "2.36-9+deb12u1")], ["libc6"]), [pkg("libc6", "2.36-9+deb12u1")]);
  assert.equal(await writeLock(file, changed), true);
  assert.notEqual(fs.statSync(file).mtimeMs, before.mtimeMs);
  assert.deepEqual(fs.readdirSync(dir), ["cairn.lock"], "no temp file left behind");
});

test("readLock: a missing file is an empty lock; garbage and other versions are LOCK_INVALID", async (t) => {
  const dir = tmpDir(t);
  assert.deepEqual(await readLock(path.join(dir, "nope.lock")), emptyLock());
  const isInvalid = (what: string) => (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.LOCK_INVALID);
    assert.ok(e.message.includes(what), e.message);
    return true;
  };
  const garbage = path.join(dir, "garbage.lock");
  fs.writeFileSync(garbage, "{ this is not json");
  await assert.rejects(readLock(garbage), isInvalid(garbage));
  for (const text of ['{"lockfileVersion": 2, "images": {}, "packages": {}}', "null", "[]", '"x"', '{"lockfileVersion": 1}', '{"lockfileVersion": 1, "images": null, "packages": {}}']) {
    fs.writeFileSync(garbage, text);
    await assert.rejects(readLock(garbage), isInvalid(garbage), text);
  }
});
