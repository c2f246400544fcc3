import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readArMembers } from "./ar.js";
import { ErrorCode } from "../errors.js";

function header(name: string, size: number): Buffer {
  // name 16, mtime 12, uid 6, gid 6, mode 8, size 10, "`\n" — space-padded decimal fields.
  const f = (s: string, n: number) => s.padEnd(n, " ");
  const h = f(name, 16) + f("0", 12) + f("0", 6) + f("0", 6) + f("100644", 8) + f(String(size), 10) + "`\n";
  assert.equal(h.length, 60);
  return Buffer.from(h, "latin1");
}

function archive(members: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from("!<arch>\n")];
  for (const [name, data] of members) {
    parts.push(header(name, data.length), data);
    if (data.length % 2) parts.push(Buffer.from("\n")); // odd sizes are padded to even
  }
  return Buffer.concat(parts);
}

function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-ar-"));
  return fn(dir).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

test("members with GNU '/' names and odd sizes, at the right offsets", () =>
  withTemp(async (dir) => {
    const file = path.join(dir, "x.deb");
    const buf = archive([["debian-binary/", Buffer.from("2.0\n")], ["odd/", Buffer.from("abc")], ["after", Buffer.from("zz")]]);
    fs.writeFileSync(file, buf);
    const members = await readArMembers(file);
    assert.deepEqual(members.map((m) => m.name), ["debian-binary", "odd", "after"]);
    // 8 (magic) + 60 = 68; 68 + 4 + 60 = 132; 132 + 3 + 1 (pad) + 60 = 196.
    assert.deepEqual(members.map((m) => [m.offset, m.size]), [[68, 4], [132, 3], [196, 2]]);
    for (const [i, want] of ["2.0\n", "abc", "zz"].entries()) {
      const m = members[i]!;
      assert.equal(buf.toString("latin1", m.offset, m.offset + m.size), want);
    }
  }));

test("BSD '#1/len' long names", () =>
  withTemp(async (dir) => {
    const file = path.join(dir, "bsd.a");
    const name = "a-member-name-longer-than-16";
    const data = Buffer.concat([Buffer.from(name), Buffer.from("payload")]);
    fs.writeFileSync(file, archive([[`#1/${name.length}`, data]]));
    const [m] = await readArMembers(file);
    assert.deepEqual(m, { name, offset: 8 + 60 + name.length, size: 7 });
  }));

test("agrees with binutils ar on a real .deb built here", () =>
  withTemp(async (dir) => {
    const root = path.join(dir, "pkg");
    fs.mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
    fs.writeFileSync(path.join(root, "DEBIAN/control"), "Package: t\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: t\n");
    fs.writeFileSync(path.join(root, "hello"), "hello\n");
    const deb = path.join(dir, "t.deb");
    execFileSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, deb], { stdio: "pipe" });
    const members = await readArMembers(deb);
    assert.deepEqual(members.map((m) => m.name), execFileSync("ar", ["t", deb]).toString().trim().split("\n"));
    const bytes = fs.readFileSync(deb);
    for (const m of members) {
      assert.ok(bytes.subarray(m.offset, m.offset + m.size).equals(execFileSync("ar", ["p", deb, m.name], { maxBuffer: 1 << 26 })));
    }
  }));

test("malformed archives are BAD_DEB naming the file", () =>
  withTemp(async (dir) => {
    const cases: [string, Buffer, RegExp][] = [
      ["magic.deb", Buffer.from("!<arch>X"), /ar magic/],
      ["short.deb", Buffer.concat([Buffer.from("!<arch>\n"), header("x", 4).subarray(0, 30)]), /truncated/],
      ["fmag.deb", Buffer.concat([Buffer.from("!<arch>\n"), header("x", 0).fill(0x20, 58)]), /terminator/],
      ["size.deb", Buffer.concat([Buffer.from("!<arch>\n"), header("x", 100), Buffer.from("abc")]), /claims 100 bytes/],
      ["sizefield.deb", Buffer.concat([Buffer.from("!<arch>\n"), Buffer.from(header("x", 0).toString("latin1").replace("0         `", "-1        `"), "latin1")]), /bad size field/],
    ];
    for (const [name, data, why] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, data);
      await assert.rejects(readArMembers(file), (e: Error & { code?: string }) => {
        assert.equal(e.code, ErrorCode.BAD_DEB);
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, why);
        return true;
      });
    }
  }));

test("a BSD long name makes the stored size odd: the padding counts name and data (found by fuzzing)", () =>
  withTemp(async (dir) => {
    const file = path.join(dir, "x.a");
    // "#1/7": a 7-byte name and no data, so one byte of padding before the next header.
    const name = Buffer.from("ࠀ𐀀", "utf8");
    assert.equal(name.length, 7);
    fs.writeFileSync(file, Buffer.concat([Buffer.from("!<arch>\n"), header("#1/7", 7), name, Buffer.from("\n"), header("_/", 0)]));
    const members = await readArMembers(file);
    assert.deepEqual(members.map((m) => [m.name, m.offset, m.size]), [["ࠀ𐀀", 75, 0], ["_", 136, 0]]);
  }));
