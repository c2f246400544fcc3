import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as openpgp from "openpgp";
import { ErrorCode } from "../errors.js";
import { loadKeyring } from "./release.js";
import { defaultKeyringPaths, keysForSource, parseListFile, parseSourcesFile, readAptSources, selectSources, type AptSource } from "./sources.js";

test("one-line format: options, comments, deb-src and flat repositories", () => {
  const text = [
    "# the main archive",
    "deb [signed-by=/usr/share/keyrings/k.gpg arch=amd64,arm64] http://mirror.example/pkgs bookworm main contrib # trailing",
    "deb-src http://mirror.example/pkgs bookworm main",
    "",
    "deb http://mirror.example/pkgs-security bookworm-security main",
    "deb [ trusted=yes ] http://flat.example/repo ./",
  ].join("\n");
  const got = parseListFile(text, "sources.list");
  assert.deepEqual(got, [
    {
      uris: ["http://mirror.example/pkgs"],
      suites: ["bookworm"],
      components: ["main", "contrib"],
      signedBy: "/usr/share/keyrings/k.gpg",
      architectures: ["amd64", "arm64"],
      origin: "sources.list:2",
    },
    { uris: ["http://mirror.example/pkgs-security"], suites: ["bookworm-security"], components: ["main"], origin: "sources.list:5" },
  ]);
});

test("one-line format: a line without components is a BAD_SOURCES error naming file and line", () => {
  assert.throws(() => parseListFile("\ndeb http://mirror.example/pkgs bookworm\n", "x.list"), (e: any) => {
    assert.equal(e.code, ErrorCode.BAD_SOURCES);
    assert.match(e.message, /x\.list:2/);
    return true;
  });
});

test("deb822 format: paragraphs, comments inside paragraphs, Enabled: no, deb-src only", () => {
  const text = [
    "Types: deb",
    "# a comment does not end the paragraph",
    "URIs: http://mirror.example/pkgs",
    "Suites: bookworm bookworm-updates",
    "Components: main",
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
    "",
    "Types: deb deb-src",
    "URIs: http://mirror.example/pkgs-security",
    "Suites: bookworm-security",
    "Components: main non-free-firmware",
    "Architectures: amd64",
    "",
    "Enabled: no",
    "Types: deb",
    "URIs: http://disabled.example/",
    "Suites: sid",
    "Components: main",
    "",
    "Types: deb-src",
    "URIs: http://mirror.example/pkgs",
    "Suites: bookworm",
    "Components: main",
    "",
  ].join("\n");
  assert.deepEqual(parseSourcesFile(text, "debian.sources"), [
    {
      uris: ["http://mirror.example/pkgs"],
      suites: ["bookworm", "bookworm-updates"],
      components: ["main"],
      signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
      origin: "debian.sources:1",
    },
    {
      uris: ["http://mirror.example/pkgs-security"],
      suites: ["bookworm-security"],
      components: ["main", "non-free-firmware"],
      architectures: ["amd64"],
      origin: "debian.sources:8",
    },
  ]);
});

test("deb822 format: an inline Signed-By key block loads as a key", async () => {
  const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "inline" }], format: "armored" });
  // deb822 writes a multi-line value indented, with "." for empty lines.
  const indented = publicKey.trim().split("\n").map((l) => (l.trim() === "" ? " ." : ` ${l}`)).join("\n");
  const text = `Types: deb\nURIs: http://archive.example/x\nSuites: stable\nComponents: main\nSigned-By:\n${indented}\n`;
  const [src] = parseSourcesFile(text, "x.sources");
  assert.match(src.signedBy!, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n/);
  const keys = await loadKeyring(src.signedBy!);
  const expected = await openpgp.readKey({ armoredKey: publicKey });
  assert.equal(keys.length, 1);
  assert.equal(keys[0].getFingerprint(), expected.getFingerprint());
});

test("deb822 format: a paragraph without URIs is a BAD_SOURCES error", () => {
  assert.throws(() => parseSourcesFile("Types: deb\nSuites: bookworm\nComponents: main\n", "y.sources"), (e: any) => {
    assert.equal(e.code, ErrorCode.BAD_SOURCES);
    assert.match(e.message, /y\.sources:1.*URIs/);
    return true;
  });
});

test("readAptSources reads sources.list, *.list and *.sources in order and ignores other files", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-apt-"));
  try {
    await fs.mkdir(path.join(dir, "sources.list.d"));
    await fs.writeFile(path.join(dir, "sources.list"), "deb http://a.example/pkgs bookworm main\n");
    await fs.writeFile(path.join(dir, "sources.list.d", "b.sources"), "Types: deb\nURIs: http://b.example/\nSuites: bookworm-updates\nComponents: main\n");
    await fs.writeFile(path.join(dir, "sources.list.d", "c.list"), "deb http://c.example/ bookworm-security main\n");
    await fs.writeFile(path.join(dir, "sources.list.d", "d.list.disabled-by-farm"), "deb http://d.example/ cloud main\n");
    await fs.writeFile(path.join(dir, "sources.list.d", "e.sources.save"), "this would not parse\n");
    const got = await readAptSources(dir);
    assert.deepEqual(got.map((s) => s.uris[0]), ["http://a.example/pkgs", "http://b.example/", "http://c.example/"]);
    assert.equal(got[1].origin, path.join(dir, "sources.list.d", "b.sources") + ":1");
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("readAptSources of a directory without sources gives none, and selectSources says so", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-apt-"));
  try {
    const got = await readAptSources(dir);
    assert.deepEqual(got, []);
    assert.throws(() => selectSources(got), (e: any) => e.code === ErrorCode.NO_SOURCES);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

const hostLike: AptSource[] = [
  { uris: ["http://a.example/pkgs"], suites: ["bookworm", "bookworm-updates", "bookwormish"], components: ["main"], origin: "a:1" },
  { uris: ["http://a.example/pkgs-security"], suites: ["bookworm-security"], components: ["main"], origin: "a:8" },
  { uris: ["http://c.example/"], suites: ["nodistro"], components: ["main"], origin: "c:1" },
];

test("selectSources keeps a suite and its -updates/-security companions", () => {
  const got = selectSources(hostLike, "bookworm");
  assert.deepEqual(got.map((s) => s.suites), [["bookworm", "bookworm-updates"], ["bookworm-security"]]);
  assert.equal(selectSources(hostLike).length, 3);
});

test("selectSources for another release: the host's mirror, same URIs and keys, its companions optional", () => {
  const got = selectSources(hostLike, "trixie");
  assert.deepEqual(got.map((s) => [s.uris, s.suites, s.optionalSuites]), [
    [["http://a.example/pkgs"], ["trixie", "trixie-updates"], ["trixie-updates"]],
    [["http://a.example/pkgs-security"], ["trixie-security"], ["trixie-security"]],
  ], "a vendor's suite (bookwormish, nodistro) is no guide");
  // Only when the host has a Debian release to take the pattern from.
  assert.throws(() => selectSources([hostLike[2]!], "trixie"), (e: any) => e.code === ErrorCode.NO_SOURCES);
});

test("selectSources for a suite the host lacks lists the host's suites", () => {
  assert.throws(() => selectSources(hostLike, "trixie-backports"), (e: any) => {
    assert.equal(e.code, ErrorCode.NO_SOURCES);
    assert.match(e.message, /"trixie-backports"/);
    assert.match(e.message, /"bookworm", "bookworm-security", "bookworm-updates"/);
    assert.match(e.hint, /explicitly/);
    return true;
  });
});

test("defaultKeyringPaths: the archive keyring plus trusted.gpg.d's .gpg and .asc, sorted", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-apt-"));
  try {
    await fs.mkdir(path.join(dir, "trusted.gpg.d"));
    for (const n of ["z.asc", "a.gpg", "notes.txt"]) await fs.writeFile(path.join(dir, "trusted.gpg.d", n), "");
    const archive = path.join(dir, "archive.gpg");
    await fs.writeFile(archive, "");
    assert.deepEqual(await defaultKeyringPaths(dir, archive), [archive, path.join(dir, "trusted.gpg.d", "a.gpg"), path.join(dir, "trusted.gpg.d", "z.asc")]);
    assert.deepEqual(await defaultKeyringPaths(dir, path.join(dir, "missing.gpg")), [path.join(dir, "trusted.gpg.d", "a.gpg"), path.join(dir, "trusted.gpg.d", "z.asc")]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("the host's own apt configuration reads (real data)", { skip: !existsSync("/etc/apt/sources.list.d") && !existsSync("/etc/apt/sources.list") }, async () => {
  const all = await readAptSources();
  for (const s of all) {
    assert.ok(s.uris.length > 0 && s.suites.length > 0 && s.components.length > 0, s.origin);
    assert.match(s.origin, /^\/etc\/apt\/.*:\d+$/);
  }
  // Debian hosts with the default keyring: every key file apt would use loads.
  if (existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")) {
    for (const p of await defaultKeyringPaths()) assert.ok((await loadKeyring(p)).length > 0, p);
  }
});

test("keysForSource: Signed-By wins; otherwise the archive keyring and trusted.gpg.d, armored or binary", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-apt-"));
  try {
    const gen = async (name: string) => (await openpgp.generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name }], format: "object" })).publicKey;
    const [a, b, c] = await Promise.all([gen("a"), gen("b"), gen("c")]);
    await fs.mkdir(path.join(dir, "trusted.gpg.d"));
    const archive = path.join(dir, "archive.gpg");
    await fs.writeFile(archive, a.write() as Uint8Array);
    await fs.writeFile(path.join(dir, "trusted.gpg.d", "b.asc"), b.armor());
    const own = path.join(dir, "own.gpg");
    await fs.writeFile(own, c.write() as Uint8Array);
    const base = { uris: ["http://a.example/"], suites: ["s"], components: ["main"], origin: "t:1" };
    const fps = async (src: AptSource, arch = archive) => (await keysForSource(src, dir, arch)).map((k) => k.getFingerprint());
    assert.deepEqual(await fps(base), [a.getFingerprint(), b.getFingerprint()]);
    assert.deepEqual(await fps({ ...base, signedBy: own }), [c.getFingerprint()]);
    await fs.rm(path.join(dir, "trusted.gpg.d"), { recursive: true });
    await assert.rejects(keysForSource(base, dir, path.join(dir, "none.gpg")), (e: any) => e.code === ErrorCode.KEY_NOT_FOUND && /t:1 has no Signed-By/.test(e.message));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
