import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { headerBlocks, paxRecord, sortTarPaths, splitUstarName, TAR_CHUNK, writeTar, type TarEntry } from "./tar.js";

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function bytes(s: string | Buffer): () => AsyncIterable<Uint8Array> {
  return async function* () {
    yield Buffer.from(s);
  };
}

const T = 1700000000;
const longDir = "usr/share/" + "a-rather-long-directory-name/".repeat(4); // 126 bytes: needs the ustar prefix
const veryLong = "opt/" + "x".repeat(120) + "/" + "y".repeat(120) + "/file.txt"; // no ustar split fits: PAX path
const longTarget = "../" + "t".repeat(150);
const contentOf: Record<string, string> = { "etc/hostname": "cairn\n", [veryLong]: "abc", "usr/bin/su": "su", [longDir + "file"]: "", "usr/share/café": "c" };

function sample(): TarEntry[] {
  const e: TarEntry[] = [
    { path: "etc", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: T },
    { path: "etc/hostname", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 6, content: bytes(contentOf["etc/hostname"]!) },
    { path: "opt", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: T },
    { path: veryLong, type: "file", mode: 0o600, uid: 3000000, gid: 7, mtime: T, size: 3, content: bytes("abc") },
    { path: "srv", type: "dir", mode: 0o750, uid: 0, gid: 1000, mtime: T },
    { path: "tmp", type: "dir", mode: 0o1777, uid: 0, gid: 0, mtime: T },
    { path: "usr/bin/su", type: "file", mode: 0o4755, uid: 0, gid: 0, mtime: T, size: 2, content: bytes("su") },
    { path: "usr/bin/sux", type: "hardlink", mode: 0o4755, uid: 0, gid: 0, mtime: T, linkname: "usr/bin/su" },
    { path: "usr/lib/dangling", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: T, linkname: longTarget },
    { path: "usr/lib/libz.so", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: T, linkname: "libz.so.1" },
    { path: longDir + "file", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 0 },
    { path: "usr/share/café", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 1, content: bytes("c") },
  ];
  return e.sort((a, b) => sortTarPaths(a.path, b.path));
}

test("the ustar header of a known entry, byte by byte", () => {
  const h = Buffer.from(
    headerBlocks({ path: "etc/hostname", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 6, content: bytes("cairn\n") }),
  );
  assert.equal(h.length, 512);
  const field = (off: number, len: number) => h.subarray(off, off + len);
  const str = (s: string, len: number) => Buffer.concat([Buffer.from(s), Buffer.alloc(len - s.length)]);
  assert.deepEqual(field(0, 100), str("etc/hostname", 100)); // name, NUL-padded
  assert.deepEqual(field(100, 8), str("0000644", 8)); // mode: 7 octal digits + NUL
  assert.deepEqual(field(108, 8), str("0000000", 8)); // uid
  assert.deepEqual(field(116, 8), str("0000000", 8)); // gid
  assert.deepEqual(field(124, 12), str("00000000006", 12)); // size: 11 octal digits + NUL
  assert.deepEqual(field(136, 12), str("14524770400", 12)); // mtime 1700000000 in octal
  // Checksum: the unsigned sum of all 512 bytes with the checksum field itself read as 8 spaces.
  // Here: the ASCII of the fields above + "0" + "ustar" + "00" + two "0000000" device fields + 8×0x20
  // = 4975 = 0o11557; written as six octal digits, NUL, space (the GNU tar layout).
  assert.deepEqual(field(148, 8), Buffer.from("011557\0 "));
  assert.equal(String.fromCharCode(h[156]!), "0"); // typeflag: regular file
  assert.deepEqual(field(157, 100), Buffer.alloc(100)); // linkname empty
  assert.deepEqual(field(257, 8), Buffer.from("ustar\x0000")); // POSIX magic + version
  assert.deepEqual(field(265, 64), Buffer.alloc(64)); // uname, gname empty
  assert.deepEqual(field(329, 16), Buffer.from("0000000\x000000000\x00")); // devmajor, devminor
  assert.deepEqual(field(345, 167), Buffer.alloc(167)); // prefix + padding
  const recomputed = [...h].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
  assert.equal(recomputed, 0o11557);
});

test("PAX records only when ustar cannot say it, with a fixed header name", () => {
  const plain = headerBlocks({ path: longDir + "file", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 0 });
  assert.equal(plain.length, 512, "a 130-byte path that splits into prefix/name needs no PAX");
  // The shortest prefix that leaves a name of at most 100 bytes (GNU tar splits the same way).
  const seg = "a-rather-long-directory-name/";
  assert.deepEqual(splitUstarName(longDir + "file"), { prefix: "usr/share/" + seg.slice(0, -1), name: seg.repeat(3) + "file" });
  assert.equal(splitUstarName("x".repeat(101)), null, "no \"/\" to split at");

  const big = Buffer.from(headerBlocks({ path: "huge", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 8 * 2 ** 30, content: bytes("") }));
  assert.equal(big.length, 3 * 512); // PAX header, one block of records, the real header
  assert.equal(big.toString("latin1", 0, 9), "PaxHeader");
  assert.equal(String.fromCharCode(big[156]!), "x");
  assert.equal(big.toString("latin1", 512, 512 + 20), "19 size=8589934592\n\0"); // 2 + 1 + 15 + 1 bytes
  assert.equal(big.toString("latin1", 1024 + 124, 1024 + 135), "00000000000"); // size in PAX only

  const utf8 = Buffer.from(headerBlocks({ path: "é", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: T, size: 0 }));
  assert.equal(utf8.toString("utf8", 512, 512 + 11), "11 path=é\n"); // 2 + 1 + 5 + 2 (é is two bytes) + 1
  // The length counts its own digits: 97 bytes of " path=x…\n" + 2 digits = 99; one more x and
  // 98 + 2 = 100 needs a third digit, so the record is 101 long.
  assert.equal(paxRecord("path", "x".repeat(90)), `99 path=${"x".repeat(90)}\n`);
  assert.equal(paxRecord("path", "x".repeat(91)), `101 path=${"x".repeat(91)}\n`);
});

test("GNU tar and Python's tarfile read modes, owners, links and long names", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-tar-"));
  try {
    const file = path.join(dir, "layer.tar");
    fs.writeFileSync(file, await collect(writeTar(sample())));

    const listing = execFileSync("tar", ["-tvf", file, "--numeric-owner", "--quoting-style=literal"], {
      env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" },
    }).toString();
    const lines = listing.trim().split("\n");
    assert.equal(lines.length, sample().length);
    const line = (suffix: string) => lines.find((l) => l.endsWith(suffix)) ?? assert.fail(`no line ends with ${suffix}:\n${listing}`);
    assert.match(line(" srv/"), /^drwxr-x--- 0\/1000 /);
    assert.match(line(" tmp/"), /^drwxrwxrwt 0\/0 /);
    assert.match(line(" usr/bin/su"), /^-rwsr-xr-x 0\/0 +2 2023-11-14 22:13 /);
    assert.match(line(" usr/bin/sux link to usr/bin/su"), /^hrwsr-xr-x /);
    assert.match(line(` usr/lib/dangling -> ${longTarget}`), /^lrwxrwxrwx /);
    assert.match(line(` ${veryLong}`), /^-rw------- 3000000\/7 /);
    assert.match(line(` ${longDir}file`), /^-rw-r--r-- /);
    assert.match(line(" usr/share/café"), /^-rw-r--r-- /);

    const py = `
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([dict(name=m.name, type=m.type.decode(), mode=m.mode, uid=m.uid, gid=m.gid, uname=m.uname,
        gname=m.gname, mtime=m.mtime, size=m.size, linkname=m.linkname,
        data=(t.extractfile(m).read().decode() if m.isfile() else None)) for m in t.getmembers()]))`;
    const members = JSON.parse(execFileSync("python3", ["-c", py, file]).toString()) as Record<string, unknown>[];
    const typeChar = { file: "0", dir: "5", symlink: "2", hardlink: "1" };
    assert.deepEqual(
      members,
      sample().map((e) => ({
        name: e.path, type: typeChar[e.type], mode: e.mode, uid: e.uid, gid: e.gid, uname: "", gname: "", mtime: T,
        size: e.size ?? 0, linkname: e.linkname ?? "", data: e.type === "file" ? contentOf[e.path] : null,
      })),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("same entries give the same bytes, however their content is chunked", async () => {
  const data = Buffer.alloc(200_000, 0).map((_, i) => (i * 7) % 251);
  const entries = (chunk: number): TarEntry[] => [
    {
      path: "data.bin", type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: 0, size: data.length,
      content: async function* () {
        for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
      },
    },
    ...sample(),
  ].sort((a, b) => sortTarPaths(a.path, b.path));
  const a = await collect(writeTar(entries(1000)));
  const b = await collect(writeTar(entries(65_537)));
  assert.ok(a.equals(b));
  assert.equal(a.length % 512, 0);
  assert.ok(a.subarray(-1024).equals(Buffer.alloc(1024)), "ends with two zero blocks");
  const sizes: number[] = [];
  for await (const c of writeTar(entries(3))) sizes.push(c.length);
  assert.ok(sizes.slice(0, -1).every((n) => n === TAR_CHUNK), "every chunk but the last is TAR_CHUNK bytes");
});

test("memory stays flat: content is streamed, not buffered", async () => {
  const chunk = new Uint8Array(TAR_CHUNK);
  const n = 200; // 12.5 MiB
  let produced = 0;
  let maxLag = 0;
  let consumed = 0;
  const entries: TarEntry[] = [{
    path: "big", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: n * chunk.length,
    content: async function* () {
      for (let i = 0; i < n; i++) (produced += chunk.length), yield chunk;
    },
  }];
  for await (const c of writeTar(entries)) {
    consumed += c.length;
    maxLag = Math.max(maxLag, produced - consumed);
  }
  assert.ok(maxLag <= 2 * TAR_CHUNK, `writer held ${maxLag} bytes ahead of its reader`);
});

test("bugs in the caller are errors", async () => {
  const f = (p: string, extra: Partial<TarEntry> = {}): TarEntry => ({
    path: p, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 1, content: bytes("x"), ...extra,
  });
  await assert.rejects(collect(writeTar([f("b"), f("a")])), /out of order or duplicated: "a" after "b"/);
  await assert.rejects(collect(writeTar([f("a"), f("a")])), /out of order or duplicated/);
  await assert.rejects(collect(writeTar([f("a", { size: 2 })])), /content gave 1 bytes, size says 2/);
  await assert.rejects(collect(writeTar([f("a", { content: bytes("xy") })])), /more than bytes, size says 1/);
  await assert.rejects(collect(writeTar([f("a", { type: "hardlink", size: undefined, linkname: "b" }), f("b")])), /not an earlier file/);
  await assert.rejects(collect(writeTar([f("./a")])), /not normalised/);
  await assert.rejects(collect(writeTar([f("a/")])), /not normalised/);
  await assert.rejects(collect(writeTar([f("a", { mode: 0o100644 })])), /not permission bits/);
});

test("sortTarPaths is bytewise on UTF-8", () => {
  assert.deepEqual(["a/b", "a", "a-b"].sort(sortTarPaths), ["a", "a-b", "a/b"]); // "-" (0x2d) < "/" (0x2f)
  // UTF-16 puts U+1F600 (surrogate D83D) before U+FFFD; UTF-8 bytes (F0 vs EF) put it after.
  assert.deepEqual(["\u{1F600}", "\uFFFD"].sort(sortTarPaths), ["\uFFFD", "\u{1F600}"]);
  assert.deepEqual(["\u{1F600}", "\uFFFD"].sort(), ["\u{1F600}", "\uFFFD"]);
});
