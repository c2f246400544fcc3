import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadUnpacked, readDebControl, unpackDeb, type DebEntry } from "./deb.js";
import { ErrorCode } from "../errors.js";

const CONTROL = "Package: cairn-test\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: test package\n";
const POSTINST = "#!/bin/sh\nupdate-alternatives --install /usr/bin/t t /usr/bin/tool 5\n";
const LONG = "usr/share/cairn-test/" + "a-long-directory-name-to-pass-the-ustar-limit/".repeat(3) + "file.txt"; // > 100 bytes

/** A package tree with the awkward cases, built into a .deb under fakeroot so owners and modes stick. */
function buildDeb(dir: string, compression: string): string {
  const root = path.join(dir, `root-${compression}`);
  const put = (p: string, content: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), content, { mode });
  };
  put("DEBIAN/control", CONTROL);
  put("DEBIAN/conffiles", "/etc/cairn-test.conf\n");
  put("DEBIAN/postinst", POSTINST, 0o755);
  put("etc/cairn-test.conf", "key = value\n");
  put("usr/bin/tool", "#!/bin/sh\necho tool\n", 0o755);
  put("usr/bin/suid-tool", "setuid payload\n", 0o755);
  put(LONG, "deep\n");
  fs.linkSync(path.join(root, "usr/bin/tool"), path.join(root, "usr/bin/tool-hardlink"));
  fs.symlinkSync("../bin/tool", path.join(root, "usr/share/cairn-test/tool-link"));
  fs.mkdirSync(path.join(root, "var/lib/cairn-test"), { recursive: true });
  const md5 = (p: string) => createHash("md5").update(fs.readFileSync(path.join(root, p))).digest("hex");
  put("DEBIAN/md5sums", ["usr/bin/tool", "usr/bin/suid-tool", LONG].map((p) => `${md5(p)}  ${p}\n`).join(""));
  const deb = path.join(dir, `cairn-test-${compression}.deb`);
  const script = [
    `chown -R 0:0 '${root}'`,
    `chmod 4755 '${root}/usr/bin/suid-tool'`,
    `chgrp 1000 '${root}/var/lib/cairn-test' && chmod 0750 '${root}/var/lib/cairn-test'`,
    `dpkg-deb -Z${compression} --build '${root}' '${deb}'`,
  ].join(" && ");
  execFileSync("fakeroot", ["sh", "-c", script], { stdio: "pipe" });
  return deb;
}

/** What GNU tar says about the data tar, one record per entry, root "./" left out. */
function tarListing(deb: string): { perms: string; owner: string; path: string; link?: string }[] {
  const out = execFileSync("sh", ["-c", `dpkg-deb --fsys-tarfile '${deb}' | tar -tv --numeric-owner --quoting-style=literal`]);
  return out.toString().trim().split("\n").flatMap((line) => {
    const m = /^(\S{10}) (\d+\/\d+) +\d+ \S+ \S+ \.\/(.*?)(?: -> (.*)| link to \.\/(.*))?$/.exec(line);
    assert.ok(m, `unparsed tar -tv line: ${line}`);
    if (m[3] === "") return [];
    return [{ perms: m[1]!, owner: m[2]!, path: m[3]!.replace(/\/$/, ""), ...(m[4] ?? m[5] ? { link: (m[4] ?? m[5])! } : {}) }];
  });
}

function permString(e: DebEntry): string {
  const t = { file: "-", dir: "d", symlink: "l", hardlink: "h" }[e.type];
  const bit = (b: number, c: string) => (e.mode & b ? c : "-");
  const special = (x: number, s: number, c: string) => (e.mode & s ? (e.mode & x ? c : c.toUpperCase()) : bit(x, "x"));
  return t + bit(0o400, "r") + bit(0o200, "w") + special(0o100, 0o4000, "s") + bit(0o40, "r") + bit(0o20, "w") +
    special(0o10, 0o2000, "s") + bit(0o4, "r") + bit(0o2, "w") + special(0o1, 0o1000, "t");
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-deb-"));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const compression of ["xz", "gzip", "zstd", "none"]) {
  test(`unpack a -Z${compression} deb: entries agree with dpkg-deb and GNU tar`, async () => {
    const deb = buildDeb(tmp, compression);
    const dest = path.join(tmp, `out-${compression}`);
    const m = await unpackDeb(deb, dest);

    assert.equal(m.control, CONTROL);
    assert.equal(m.conffiles, "/etc/cairn-test.conf\n");
    assert.match(m.md5sums ?? "", /  usr\/bin\/suid-tool\n/);
    assert.equal(m.postinst, POSTINST);
    assert.deepEqual(await readDebControl(deb), { control: m.control, md5sums: m.md5sums, conffiles: m.conffiles, postinst: POSTINST });

    const listing = tarListing(deb);
    assert.deepEqual(m.entries.map((e) => e.path), listing.map((l) => l.path), "same paths in archive order");
    for (const [i, e] of m.entries.entries()) {
      const l = listing[i]!;
      assert.equal(permString(e), l.perms, e.path);
      assert.equal(`${e.uid}/${e.gid}`, l.owner, e.path);
      assert.equal(e.linkname, l.link, e.path);
    }
    const byPath = new Map(m.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("usr/bin/suid-tool")!.mode, 0o4755);
    assert.equal(byPath.get("var/lib/cairn-test")!.mode, 0o750);
    assert.equal(byPath.get("var/lib/cairn-test")!.gid, 1000);
    assert.deepEqual(byPath.get("usr/bin/tool-hardlink"), {
      path: "usr/bin/tool-hardlink", type: "hardlink", mode: 0o755, uid: 0, gid: 0, uname: "root", gname: "root", size: 0,
      linkname: "usr/bin/tool",
    });
    assert.equal(byPath.get("usr/share/cairn-test/tool-link")!.linkname, "../bin/tool");
    assert.ok(byPath.get(LONG), "the long path survives GNU long-name records");

    // Content on disk: the md5sums dpkg-deb recorded match; sha256 and size are right; no special
    // bits and no links on the host.
    for (const line of m.md5sums!.trim().split("\n")) {
      const [sum, p] = line.split("  ") as [string, string];
      const bytes = fs.readFileSync(path.join(dest, "files", p));
      assert.equal(createHash("md5").update(bytes).digest("hex"), sum, p);
      assert.equal(byPath.get(p)!.sha256, createHash("sha256").update(bytes).digest("hex"));
      assert.equal(byPath.get(p)!.size, bytes.length);
    }
    assert.equal(fs.statSync(path.join(dest, "files/usr/bin/suid-tool")).mode & 0o7777, 0o755);
    assert.equal(fs.statSync(path.join(dest, "files/etc/cairn-test.conf")).mode & 0o7777, 0o644);
    assert.equal(fs.existsSync(path.join(dest, "files/usr/bin/tool-hardlink")), false);
    assert.equal(fs.existsSync(path.join(dest, "files/usr/share/cairn-test/tool-link")), false);

    assert.deepEqual(await loadUnpacked(dest), m);
  });
}

test("every compression gives the same manifest", async () => {
  const manifests = await Promise.all(["xz", "zstd"].map((c) => loadUnpacked(path.join(tmp, `out-${c}`)).catch(() => undefined)));
  const [xz, zstd] = manifests;
  assert.ok(xz && zstd, "run with the per-compression tests");
  assert.deepEqual(xz, zstd);
});

/** A deb whose data.tar is written by Python's tarfile, for entries dpkg-deb would never make. */
function craftDeb(dir: string, name: string, members: string): string {
  const py = `
import io, sys, tarfile
def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for n, kind, data in entries:
            i = tarfile.TarInfo(n); i.type = kind
            if kind == tarfile.REGTYPE: i.size = len(data)
            else: i.linkname = data.decode()
            t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()
F, L, S, C = tarfile.REGTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE
open(sys.argv[1] + "/control.tar", "wb").write(tar([("./control", F, b"Package: x\\n")]))
open(sys.argv[1] + "/data.tar", "wb").write(tar(${members}))
open(sys.argv[1] + "/debian-binary", "wb").write(b"2.0\\n")`;
  const work = path.join(dir, name);
  fs.mkdirSync(work);
  execFileSync("python3", ["-c", py, work]);
  const deb = path.join(dir, `${name}.deb`);
  execFileSync("ar", ["rc", deb, "debian-binary", "control.tar", "data.tar"], { cwd: work });
  return deb;
}

test("malformed packages are BAD_DEB naming the file and the entry", async () => {
  const cases: [string, string, RegExp][] = [
    ["dotdot", `[("./usr/../../etc/passwd", F, b"x")]`, /"\.\/usr\/\.\.\/\.\.\/etc\/passwd" has a "\.\." component/],
    ["badlink", `[("./a", L, b"./missing")]`, /hardlink "a" points to "\.\/missing", which is not an earlier file/],
    ["device", `[("./dev/null", C, b"")]`, /"dev\/null" is a character-device entry/],
    ["dup", `[("./a", F, b"1"), ("a", F, b"2")]`, /"a" appears twice/],
  ];
  for (const [name, members, why] of cases) {
    const deb = craftDeb(tmp, name, members);
    await assert.rejects(unpackDeb(deb, path.join(tmp, `out-${name}`)), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCode.BAD_DEB);
      assert.ok(e.message.includes(deb), e.message);
      assert.match(e.message, why);
      return true;
    });
  }
  // The uncompressed members, the hand-made ar and a root-less, "./"-less tar are all fine otherwise.
  const ok = await unpackDeb(craftDeb(tmp, "ok", `[("./a", F, b"1"), ("b", L, b"./a"), ("./c", S, b"/abs/target")]`), path.join(tmp, "out-ok"));
  assert.deepEqual(ok.entries.map((e) => [e.path, e.type, e.linkname]), [["a", "file", undefined], ["b", "hardlink", "a"], ["c", "symlink", "/abs/target"]]);
});

test("a truncated or corrupt data.tar is BAD_DEB", async () => {
  const bytes = fs.readFileSync(path.join(tmp, "cairn-test-xz.deb")); // built by the -Zxz test above
  const broken = path.join(tmp, "broken.deb");
  // Flip bytes in the middle of data.tar.xz (the last member): the xz check fails.
  const copy = Buffer.from(bytes);
  for (let i = copy.length - 200; i < copy.length - 100; i++) copy[i] = copy[i]! ^ 0xff;
  fs.writeFileSync(broken, copy);
  const isCorrupt = (e: Error & { code?: string }) => {
    assert.equal(e.code, ErrorCode.BAD_DEB, String(e));
    assert.match(e.message, /data\.tar\.xz is corrupt/);
    return true;
  };
  await assert.rejects(unpackDeb(broken, path.join(tmp, "out-broken")), isCorrupt);
  // Cut short: the ar header still claims the full size, so the ar reader notices first.
  fs.writeFileSync(broken, bytes.subarray(0, bytes.length - 300));
  await assert.rejects(unpackDeb(broken, path.join(tmp, "out-short")), /claims \d+ bytes but the file ends first/);
  await assert.rejects(readDebControl(path.join(tmp, "missing.deb")), /ENOENT/);
});
