import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, isCairnError } from "../errors.js";
import { canonicalJson, inputKey, sha256Hex, Store } from "./store.js";
import { cacheKeyFile, loadCacheKey, sealerFor } from "./seal.js";

function newStore(t: { after: (fn: () => void) => void }): Store {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-store-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return new Store(d);
}

/** Every file under dir (relative), sorted; [] when dir is missing. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, p)).isFile()).sort();
}

const badChecksum = (e: unknown) => {
  assert.ok(isCairnError(e));
  assert.equal(e.code, ErrorCode.BAD_CHECKSUM);
  assert.match(e.message, /Nothing was stored/);
  return true;
};

test("sha256Hex matches the known digest of 'abc'", () => {
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("writeBlob stores by sha256 and checks the expected hash", async (t) => {
  const s = newStore(t);
  const data = Buffer.from("hello blob");
  const hex = await s.writeBlob(data, sha256Hex(data));
  assert.equal(hex, sha256Hex(data));
  assert.ok(await s.hasBlob(hex));
  assert.deepEqual(await s.readBlob(hex), data);
  assert.equal(s.blobPath(hex), path.join(s.root, "blobs", "sha256", hex));
  assert.equal(await s.writeBlob(data), hex, "writing again is a no-op");

  const other = Buffer.from("not what the index said");
  await assert.rejects(s.writeBlob(other, "f".repeat(64), "pool/x.deb"), (e: unknown) => badChecksum(e) && (e as Error).message.includes("pool/x.deb"));
  assert.equal(await s.hasBlob(sha256Hex(other)), false);
  assert.equal(await s.hasBlob("f".repeat(64)), false);
  assert.deepEqual(filesUnder(path.join(s.root, "blobs")), [`sha256/${hex}`]);
  assert.deepEqual(filesUnder(path.join(s.root, "tmp")), []);
});

test("writeBlobStream hashes on the way, verifies before the blob lands, and cleans up", async (t) => {
  const s = newStore(t);
  const chunks = [Buffer.from("part one, "), Buffer.from("part two")];
  const whole = Buffer.concat(chunks);
  const r = await s.writeBlobStream(Readable.from(chunks), sha256Hex(whole));
  assert.deepEqual(r, { hex: sha256Hex(whole), size: whole.length });
  assert.deepEqual(await s.readBlob(r.hex), whole);
  const viaIterable = await s.writeBlobStream((async function* () { yield* chunks; })());
  assert.equal(viaIterable.hex, r.hex);

  await assert.rejects(s.writeBlobStream(Readable.from([Buffer.from("evil")]), r.hex.replace(/^./, "0")), badChecksum);
  assert.equal(await s.hasBlob(sha256Hex("evil")), false);
  assert.deepEqual(filesUnder(path.join(s.root, "tmp")), []);

  // A source that fails half way leaves nothing behind either.
  const failing = (async function* () {
    yield Buffer.from("half");
    throw new Error("connection reset");
  })();
  await assert.rejects(s.writeBlobStream(failing), /connection reset/);
  assert.deepEqual(filesUnder(path.join(s.root, "tmp")), []);
  assert.deepEqual(filesUnder(path.join(s.root, "blobs")), [`sha256/${r.hex}`]);
  const read: Buffer[] = [];
  for await (const c of s.openBlob(r.hex)) read.push(c as Buffer);
  assert.deepEqual(Buffer.concat(read), whole);
});

test("tree(): made once, appears whole or not at all", async (t) => {
  const s = newStore(t);
  let calls = 0;
  const final = s.treePath("k1");
  const dir = await s.tree("k1", async (d) => {
    calls++;
    fs.writeFileSync(path.join(d, "a"), "1");
    await sleep(5);
    assert.equal(fs.existsSync(final), false, "nothing is visible while the tree is being made");
    fs.mkdirSync(path.join(d, "sub"));
    fs.writeFileSync(path.join(d, "sub/b"), "2");
  });
  assert.equal(dir, final);
  assert.deepEqual(filesUnder(dir), ["a", "sub/b"]);
  assert.equal(await s.tree("k1", async () => void calls++), dir);
  assert.equal(calls, 1);

  await assert.rejects(s.tree("k2", async (d) => {
    fs.writeFileSync(path.join(d, "partial"), "x");
    throw new Error("unpack failed");
  }), /unpack failed/);
  assert.equal(fs.existsSync(s.treePath("k2")), false);
  assert.deepEqual(fs.readdirSync(path.join(s.root, "tmp")), []);
});

test("two concurrent tree() calls for one key both succeed with one result", async (t) => {
  const s = newStore(t);
  const make = (who: string, delay: number) => async (d: string) => {
    fs.writeFileSync(path.join(d, "who"), who);
    fs.writeFileSync(path.join(d, "same"), "content");
    await sleep(delay);
  };
  const [a, b] = await Promise.all([s.tree("key", make("first", 10)), s.tree("key", make("second", 30))]);
  assert.equal(a, b);
  assert.deepEqual(filesUnder(a), ["same", "who"]);
  assert.ok(["first", "second"].includes(fs.readFileSync(path.join(a, "who"), "utf8")));
  assert.deepEqual(fs.readdirSync(path.join(s.root, "trees")), ["key"]);
  assert.deepEqual(fs.readdirSync(path.join(s.root, "tmp")), [], "the loser's staging dir is removed");
});

test("entries round trip; a missing or damaged entry is a miss", async (t) => {
  const s = newStore(t);
  assert.equal(await s.getEntry("layer", "k"), undefined);
  const value = { diffId: "sha256:" + "1".repeat(64), sizes: [1, 2], nested: { ok: true, none: null } };
  await s.putEntry("layer", "k", value);
  assert.deepEqual(await s.getEntry("layer", "k"), value);
  assert.equal(await s.getEntry("other-kind", "k"), undefined);
  const file = path.join(s.root, "entries", "layer", "k.json");
  assert.ok(fs.existsSync(file));
  fs.writeFileSync(file, '{"diffId": "sha256:12');
  assert.equal(await s.getEntry("layer", "k"), undefined);
  fs.writeFileSync(file, "");
  assert.equal(await s.getEntry("layer", "k"), undefined);
  await s.putEntry("layer", "k", value);
  assert.deepEqual(await s.getEntry("layer", "k"), value, "a new put heals it");
});

test("canonicalJson and inputKey do not depend on key order", () => {
  const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" }, u: undefined };
  const b = { a: { c: "x", d: [3, { y: 2, z: 1 }] }, b: 1 };
  assert.equal(canonicalJson(a), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson(b), canonicalJson(a));
  assert.equal(inputKey(a), inputKey(b));
  assert.equal(inputKey(a), sha256Hex(canonicalJson(b)));
  assert.notEqual(inputKey({ l: [1, 2] }), inputKey({ l: [2, 1] }), "array order matters");
  assert.notEqual(inputKey({ a: 1 }), inputKey({ a: "1" }));
  assert.equal(canonicalJson([null, "s", 1]), '[null,"s",1]');
});

test("a record is trusted only under the key it was sealed with", async (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-store-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  const untrusted: string[] = [];
  const mine = new Store(d, { sealer: sealerFor(Buffer.from("key of this machine")), onUntrusted: (kind, key) => untrusted.push(`${kind}/${key}`) });
  await mine.putEntry("layer", "k", { digest: "sha256:aa" });
  assert.deepEqual(await mine.getEntry("layer", "k"), { digest: "sha256:aa" });

  // Another machine's key: not used, and said.
  const theirs = new Store(d, { sealer: sealerFor(Buffer.from("key of another one")), onUntrusted: (kind, key) => untrusted.push(`${kind}/${key}`) });
  assert.equal(await theirs.getEntry("layer", "k"), undefined);
  assert.deepEqual(untrusted, ["layer/k"]);

  // Someone without the key rewrites the record, keeping its seal: not used either.
  const file = mine.entryPath("layer", "k");
  const [seal] = fs.readFileSync(file, "utf8").split("\n");
  fs.writeFileSync(file, `${seal}\n${JSON.stringify({ digest: "sha256:bb" })}`);
  assert.equal(await mine.getEntry("layer", "k"), undefined);
  // Nor is a record moved to another key or kind (the seal covers both).
  await mine.putEntry("layer", "k2", { digest: "sha256:cc" });
  fs.copyFileSync(mine.entryPath("layer", "k2"), mine.entryPath("layer", "k"));
  assert.equal(await mine.getEntry("layer", "k"), undefined);
  // Plain JSON (an earlier cairn's record) is a miss without a word.
  fs.writeFileSync(file, JSON.stringify({ digest: "sha256:dd" }));
  const before = untrusted.length;
  assert.equal(await mine.getEntry("layer", "k"), undefined);
  assert.equal(untrusted.length, before);
});

test("a blob read back is checked against its name, whole or streamed", async (t) => {
  const s = newStore(t);
  const hex = await s.writeBlob(Buffer.from("the real bytes"));
  assert.equal((await s.readBlob(hex)).toString(), "the real bytes");
  fs.writeFileSync(s.blobPath(hex), "other bytes");
  const damaged = (e: unknown) => isCairnError(e) && e.code === ErrorCode.CACHE_DAMAGED && e.message.includes(hex) && /cache verify --repair/.test(e.hint ?? "");
  await assert.rejects(s.readBlob(hex), damaged);
  await assert.rejects(async () => {
    for await (const _ of s.openBlob(hex)) void _;
  }, damaged);
});

test("a blob hashed once is read without hashing while it is untouched; a same-size rewrite is still caught", async (t) => {
  const s = newStore(t);
  const hex = await s.writeBlob(Buffer.from("the real bytes"));
  const read = async () => {
    const parts: Buffer[] = [];
    for await (const c of s.openBlob(hex)) parts.push(c as Buffer);
    return Buffer.concat(parts).toString();
  };
  // The write sealed the file's identity (what spares later reads the hashing: a speed, measured
  // by the bench); what must hold is that no change gets past it.
  assert.equal(fs.readdirSync(path.join(s.root, "entries", "blob-check")).length, 1, "the identity is recorded when the blob is written");
  assert.equal(await read(), "the real bytes");
  assert.equal(await s.blobIntact(hex), true);
  // Same size, same mtime put back: the ctime still moves, so the bytes are hashed and refused.
  const st = fs.statSync(s.blobPath(hex));
  fs.writeFileSync(s.blobPath(hex), "the fake bytes");
  fs.utimesSync(s.blobPath(hex), st.atime, st.mtime);
  await assert.rejects(read(), (e: unknown) => isCairnError(e) && e.code === ErrorCode.CACHE_DAMAGED);
  assert.equal(await s.blobIntact(hex), false);
});

test("the cache key comes from CAIRN_CACHE_KEY, else a file made once outside the cache", (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-key-"));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const env = { XDG_CONFIG_HOME: home };
  const first = loadCacheKey(env);
  assert.equal(first.length, 64);
  assert.deepEqual(loadCacheKey(env), first, "the same key on the next run");
  assert.equal(fs.statSync(cacheKeyFile(env)).mode & 0o777, 0o600);
  assert.equal(Buffer.from(loadCacheKey({ ...env, CAIRN_CACHE_KEY: "a shared secret of ci" })).toString(), "a shared secret of ci");
  assert.throws(() => loadCacheKey({ ...env, CAIRN_CACHE_KEY: "short" }), (e: unknown) => isCairnError(e) && e.code === ErrorCode.USAGE && /at least 16/.test(e.message));
});
