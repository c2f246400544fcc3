import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as openpgp from "openpgp";
import { ErrorCode, isCairnError } from "../errors.js";
import { checkValidUntil, loadKeyring, parseRelease, verifyDetached, verifyInRelease } from "./release.js";

const RELEASE = `Origin: Test
Label: Test Archive
Suite: stable
Version: 12.1
Codename: bookworm
Date: Sat, 11 Jul 2026 10:16:37 UTC
Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC
Acquire-By-Hash: yes
Architectures: all amd64 arm64
Components: main contrib
Description: a test
MD5Sum:
 f230d61720e789abf5df55d6026230c6 50060337 main/binary-amd64/Packages
SHA256:
 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 main/binary-amd64/Packages
 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 main/binary-amd64/Packages.xz
`;

let ed: { priv: openpgp.PrivateKey; pub: openpgp.Key; binary: Uint8Array };
let rsa: { priv: openpgp.PrivateKey; pub: openpgp.Key };
let other: { priv: openpgp.PrivateKey; pub: openpgp.Key };

async function makeKey(type: "ecc" | "rsa", name: string) {
  const k = await openpgp.generateKey(
    type === "rsa" ? { type: "rsa", rsaBits: 2048, userIDs: [{ name }], format: "object" } : { type: "ecc", curve: "ed25519Legacy", userIDs: [{ name }], format: "object" },
  );
  return { priv: k.privateKey, pub: k.publicKey as openpgp.Key, binary: k.publicKey.write() as Uint8Array };
}

async function clearsign(text: string, keys: openpgp.PrivateKey[]): Promise<string> {
  return openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: keys });
}

before(async () => {
  [ed, rsa, other] = await Promise.all([makeKey("ecc", "ed"), makeKey("rsa", "rsa"), makeKey("ecc", "other")]);
});

test("a clear-signed Release verifies with ed25519 and RSA keys and yields the signed text", async () => {
  for (const k of [ed, rsa]) {
    const signed = await clearsign(RELEASE, [k.priv]);
    const text = await verifyInRelease(signed, [k.pub], "http://archive.example/dists/stable/InRelease");
    assert.equal(parseRelease(text).codename, "bookworm");
    assert.match(text, /^Origin: Test\n/);
  }
});

test("a binary keyring (bytes) is accepted in place of parsed keys", async () => {
  const keyring = new Uint8Array([...rsa.pub.write(), ...ed.binary]);
  const text = await verifyInRelease(await clearsign(RELEASE, [ed.priv]), keyring, "x");
  assert.equal(parseRelease(text).suite, "stable");
});

test("one good signature among signatures by unknown keys is enough (Debian signs with several keys)", async () => {
  const signed = await clearsign(RELEASE, [other.priv, ed.priv]);
  assert.equal(parseRelease(await verifyInRelease(signed, [ed.pub], "x")).suite, "stable");
});

function assertBad(what: string, pattern?: RegExp) {
  return (e: any) => {
    assert.equal(e.code, ErrorCode.BAD_SIGNATURE, e.message);
    assert.ok(e.message.includes(what), e.message);
    assert.match(e.hint, /debian-archive-keyring|Signed-By/);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test("a changed byte in the signed text is BAD_SIGNATURE naming the URL", async () => {
  const signed = await clearsign(RELEASE, [ed.priv]);
  const tampered = signed.replace("Version: 12.1", "Version: 12.2");
  assert.notEqual(tampered, signed);
  const url = "http://archive.example/dists/stable/InRelease";
  await assert.rejects(verifyInRelease(tampered, [ed.pub], url), assertBad(url));
});

test("text injected before or after the signed block is rejected", async () => {
  const signed = await clearsign(RELEASE, [ed.priv]);
  // openpgp.js itself accepts both; the fields here would override the signed ones in a naive parser.
  await assert.rejects(verifyInRelease(`Suite: evil\n\n${signed}`, [ed.pub], "x"), assertBad("x", /before/));
  await assert.rejects(verifyInRelease(`${signed}\nSHA256:\n ${"0".repeat(64)} 1 main/binary-amd64/Packages\n`, [ed.pub], "x"), assertBad("x", /after/));
  await assert.rejects(verifyInRelease(`${signed}\n${signed}`, [ed.pub], "x"), assertBad("x", /expected one signed block/));
  // Surrounding whitespace is harmless.
  assert.equal(parseRelease(await verifyInRelease(`\n\n${signed}\n\n`, [ed.pub], "x")).suite, "stable");
});

test("a signature by a key not in the keyring is BAD_SIGNATURE saying so", async () => {
  const signed = await clearsign(RELEASE, [other.priv]);
  await assert.rejects(verifyInRelease(signed, [ed.pub, rsa.pub], "x"), assertBad("x", /none of which is in the keyring used \(2 keys\)/));
});

test("an unsigned file is BAD_SIGNATURE", async () => {
  await assert.rejects(verifyInRelease(RELEASE, [ed.pub], "x"), assertBad("x"));
});

test("Release + detached Release.gpg (armored or binary) verifies; a changed Release does not", async () => {
  const bytes = new TextEncoder().encode(RELEASE);
  const message = await openpgp.createMessage({ binary: bytes });
  const armored = await openpgp.sign({ message, signingKeys: [rsa.priv], detached: true });
  const binary = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: [rsa.priv], detached: true, format: "binary" });
  assert.equal(await verifyDetached(bytes, new TextEncoder().encode(armored), [rsa.pub], "x"), RELEASE);
  assert.equal(await verifyDetached(bytes, binary as Uint8Array, [rsa.pub], "x"), RELEASE);
  const changed = new TextEncoder().encode(RELEASE.replace("main contrib", "main contri"));
  await assert.rejects(verifyDetached(changed, binary as Uint8Array, [rsa.pub], "http://a.example/Release"), assertBad("http://a.example/Release"));
  await assert.rejects(verifyDetached(bytes, binary as Uint8Array, [ed.pub], "x"), assertBad("x", /none of which/));
});

test("parseRelease reads the fields and the SHA256 list only", () => {
  const r = parseRelease(RELEASE);
  assert.equal(r.origin, "Test");
  assert.equal(r.label, "Test Archive");
  assert.equal(r.suite, "stable");
  assert.equal(r.version, "12.1");
  assert.equal(r.date?.toISOString(), "2026-07-11T10:16:37.000Z");
  assert.equal(r.validUntil?.toISOString(), "2026-07-18T10:16:37.000Z");
  assert.equal(r.acquireByHash, true);
  assert.deepEqual(r.architectures, ["all", "amd64", "arm64"]);
  assert.deepEqual(r.components, ["main", "contrib"]);
  assert.deepEqual([...r.files], [
    ["main/binary-amd64/Packages", { sha256: "515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f", size: 50060337 }],
    ["main/binary-amd64/Packages.xz", { sha256: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5", size: 8790396 }],
  ]);
  const minimal = parseRelease("Codename: sid\n");
  assert.equal(minimal.suite, "sid");
  assert.equal(minimal.acquireByHash, false);
  assert.equal(minimal.files.size, 0);
});

test("parseRelease rejects a malformed SHA256 line or date, naming the file", () => {
  assert.throws(() => parseRelease("Suite: x\nSHA256:\n nothex 12 main/Packages\n", "The Release at U"), (e: any) => e.code === ErrorCode.INDEX_MISSING && /The Release at U is malformed/.test(e.message));
  assert.throws(() => parseRelease("Suite: x\nValid-Until: someday\n"), (e: any) => /Valid-Until "someday"/.test(e.message));
  assert.throws(() => parseRelease("Label: x\n"), (e: any) => /neither Suite nor Codename/.test(e.message));
});

test("checkValidUntil: past Valid-Until is RELEASE_EXPIRED with the snapshot opt-out hint", () => {
  const r = parseRelease(RELEASE);
  checkValidUntil(r, new Date("2026-07-18T10:16:37Z"), "x"); // the last valid second
  checkValidUntil(parseRelease("Suite: x\n"), new Date("2100-01-01"), "x"); // no Valid-Until: never expires
  assert.throws(() => checkValidUntil(r, new Date("2026-07-18T10:16:38Z"), "The Release at http://a.example/InRelease"), (e: any) => {
    assert.equal(e.code, ErrorCode.RELEASE_EXPIRED);
    assert.match(e.message, /http:\/\/a\.example\/InRelease expired: its Valid-Until is 2026-07-18T10:16:37\.000Z/);
    assert.match(e.hint, /checkValidUntil: false/);
    return true;
  });
});

test("loadKeyring: armored and binary files, several paths, missing files and fingerprints", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-keys-"));
  try {
    const asc = path.join(dir, "ed.asc");
    const gpg = path.join(dir, "rsa.gpg");
    await fs.writeFile(asc, ed.pub.armor());
    await fs.writeFile(gpg, rsa.pub.write() as Uint8Array);
    const keys = await loadKeyring(`${asc} ${gpg}`);
    assert.deepEqual(keys.map((k) => k.getFingerprint()), [ed.pub.getFingerprint(), rsa.pub.getFingerprint()]);
    await assert.rejects(loadKeyring(path.join(dir, "nope.gpg")), (e: any) => e.code === ErrorCode.KEY_NOT_FOUND && e.message.includes("nope.gpg"));
    await assert.rejects(loadKeyring("/usr/share/keyrings/debian-archive-keyring-missing.gpg"), (e: any) => /apt-get install debian-archive-keyring/.test(e.hint));
    await assert.rejects(loadKeyring("A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"), (e: any) => e.code === ErrorCode.KEY_NOT_FOUND && /fingerprint/.test(e.message));
    await fs.writeFile(path.join(dir, "junk.gpg"), "not a key");
    await assert.rejects(loadKeyring(path.join(dir, "junk.gpg")), (e: any) => e.code === ErrorCode.KEY_NOT_FOUND && /no usable OpenPGP public keys/.test(e.message));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// Real data: the InRelease files apt cached on this host, against the real Debian keyring.
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const LISTS = "/var/lib/apt/lists";
const cached = existsSync(LISTS) ? readdirSync(LISTS).filter((n) => n.endsWith("_InRelease")).map((n) => path.join(LISTS, n)) : [];

test("the Debian archive keyring loads whole (RSA-4096 and Ed25519 keys)", { skip: !existsSync(KEYRING) }, async () => {
  const keys = await loadKeyring(KEYRING);
  assert.ok(keys.length >= 3, `${keys.length} keys`);
  const algos = new Set(keys.map((k) => k.getAlgorithmInfo().algorithm));
  assert.ok(algos.has("rsaEncryptSign") && algos.has("eddsaLegacy"), [...algos].join(","));
});

test("the host's cached InRelease files verify against the Debian keyring", { skip: !existsSync(KEYRING) || cached.length === 0 }, async () => {
  const keys = await loadKeyring(KEYRING);
  for (const file of cached) {
    const raw = await fs.readFile(file, "utf8");
    const text = await verifyInRelease(raw, keys, file);
    const r = parseRelease(text, file);
    assert.ok(r.codename, file);
    assert.ok([...r.files.keys()].some((k) => /^main\/binary-[a-z0-9]+\/Packages\.xz$/.test(k)), file);
    await assert.rejects(verifyInRelease(`Acquire-By-Hash: no\n${raw}`, keys, file), assertBad(file, /before/));
    await assert.rejects(verifyInRelease(raw.replace("Acquire-By-Hash: yes", "Acquire-By-Hash: no"), keys, file), assertBad(file));
  }
});

test("a signature minutes ahead of our clock verifies (skew); one a day ahead does not", async () => {
  const now = new Date();
  const at = async (ms: number) =>
    openpgp.sign({ message: await openpgp.createCleartextMessage({ text: RELEASE }), signingKeys: [rsa.priv], date: new Date(now.getTime() + ms) });
  assert.equal(parseRelease(await verifyInRelease(await at(5 * 60_000), [rsa.pub], "x", now)).suite, "stable");
  await assert.rejects(verifyInRelease(await at(24 * 3600_000), [rsa.pub], "x", now), assertBad("x", /future/));
});

test("a Release that lists its indexes with MD5Sum only is refused for that reason, not as 'no Packages index'", () => {
  const text = "Suite: old\nCodename: old\nMD5Sum:\n 0123456789abcdef0123456789abcdef 100 main/binary-amd64/Packages\n";
  assert.throws(() => parseRelease(text, "the Release file at http://127.0.0.1/dists/old/InRelease"), (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.match(e.message, /at http:\/\/127\.0\.0\.1\/dists\/old\/InRelease is malformed: it lists its indexes with MD5Sum only, and cairn \(like apt\) needs SHA256 sums/);
    return true;
  });
});

test("a Release.gpg packet naming no issuer key is BAD_SIGNATURE, not a TypeError (found by fuzzing)", async () => {
  await assert.rejects(verifyDetached(new TextEncoder().encode(RELEASE), Uint8Array.from([232, 0]), [ed.pub], "Release"), (e) => isCairnError(e) && e.code === ErrorCode.BAD_SIGNATURE);
});
