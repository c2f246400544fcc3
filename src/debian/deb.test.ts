import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_LIMITS, loadUnpacked, readDebControl, unpackDeb, type DebEntry } from "./deb.js";
import { withLimit } from "./deb-limits.js";
import { writeHandMadeDeb, type TarItem } from "./hostile-debs.test-helper.js";
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

// Hostile packages: each refused at a named bound or rule, naming the package and where it came from.
const origin = (name: string) => ({ name, version: "6.6-6", filename: `pool/main/h/${name}/${name}_6.6-6_amd64.deb` });
const hostileControl = (name: string, extra = "") => `Package: ${name}\nVersion: 6.6-6\nArchitecture: amd64\n${extra}`;

/** Refused at a bound the caller lowered: the setting is named, not the package called malformed. */
function overBound(name: string, setting: string, why: RegExp) {
  return (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, ErrorCode.DEB_TOO_BIG, String(e));
    assert.ok(e.message.startsWith(`The package ${name} 6.6-6 (pool/main/h/${name}/${name}_6.6-6_amd64.deb) is over the bound --limit ${setting} sets`), e.message);
    assert.match(e.message, why);
    assert.doesNotMatch(e.message, /malformed/);
    return true;
  };
}

function refused(code: string, name: string, debPath: string, why: RegExp) {
  return (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, code, String(e));
    assert.ok(e.message.startsWith(`The package ${name} 6.6-6 (pool/main/h/${name}/${name}_6.6-6_amd64.deb) is malformed`), e.message);
    assert.ok(!e.message.includes(debPath), `the cache path stays out of the message: ${e.message}`);
    assert.match(e.message, why);
    assert.doesNotMatch(String(e.hint), /delete/i);
    return true;
  };
}

test("a control.tar that expands far beyond its size is refused without being held in memory", async () => {
  const deb = path.join(tmp, "control-bomb.deb");
  await writeHandMadeDeb(deb, { control: hostileControl("control-bomb"), controlExtra: [{ name: "./bomb", zeros: 512 * 2 ** 20 }], data: [] });
  assert.ok(fs.statSync(deb).size < 2 * 2 ** 20, "the bomb is small on disk");
  const peakBefore = process.resourceUsage().maxRSS; // KiB
  await assert.rejects(unpackDeb(deb, path.join(tmp, "out-control-bomb"), { origin: origin("control-bomb") }),
    refused(ErrorCode.DEB_TOO_BIG, "control-bomb", deb, /control\.tar\.gz expands to more than 16 MiB/));
  const grewMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  assert.ok(grewMiB < 128, `peak memory grew by ${grewMiB.toFixed(0)} MiB reading a 512 MiB control.tar`);
  assert.deepEqual(DEFAULT_LIMITS.maxControlBytes, 16 * 2 ** 20);
});

test("xz and zstd control bombs are refused within bounded memory too", async () => {
  for (const [ext, compress] of [["zst", "zstd -3 -q -c"], ["xz", "xz -1 -T1 -c"]] as const) {
    const work = path.join(tmp, `bomb-${ext}`);
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, "control"), hostileControl(`bomb-${ext}`));
    fs.writeFileSync(path.join(work, "debian-binary"), "2.0\n");
    fs.writeFileSync(path.join(work, "data.tar"), Buffer.alloc(1024)); // an empty tar
    fs.closeSync(fs.openSync(path.join(work, "big"), "w"));
    fs.truncateSync(path.join(work, "big"), 512 * 2 ** 20); // sparse: the test holds none of it
    execFileSync("sh", ["-c", `tar --format=gnu -cf - control big | ${compress} > control.tar.${ext}`], { cwd: work });
    fs.rmSync(path.join(work, "big"));
    const deb = path.join(tmp, `bomb-${ext}.deb`);
    execFileSync("ar", ["rc", deb, "debian-binary", `control.tar.${ext}`, "data.tar"], { cwd: work });
    const peakBefore = process.resourceUsage().maxRSS;
    await assert.rejects(readDebControl(deb, { origin: origin(`bomb-${ext}`) }),
      refused(ErrorCode.DEB_TOO_BIG, `bomb-${ext}`, deb, new RegExp(`control\\.tar\\.${ext} expands to more than 16 MiB`)));
    const grewMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
    assert.ok(grewMiB < 128, `${ext}: peak memory grew by ${grewMiB.toFixed(0)} MiB reading a 512 MiB control.tar`);
  }
});

test("data.tar entries are capped, at the limit given and by default", async () => {
  const links = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `./l${i}`, type: "symlink" as const, linkname: "target" }));
  const deb = path.join(tmp, "many.deb");
  await writeHandMadeDeb(deb, { control: hostileControl("many"), data: links(101) });
  await assert.rejects(unpackDeb(deb, path.join(tmp, "out-many"), { origin: origin("many"), limits: { maxEntries: 100 } }),
    overBound("many", "deb-entries=100", /data\.tar\.gz holds more than 100 entries/));
  const ok = await unpackDeb(deb, path.join(tmp, "out-many-ok"), { origin: origin("many"), limits: { maxEntries: 101 } });
  assert.equal(ok.entries.length, 101);
  assert.ok(DEFAULT_LIMITS.maxEntries >= 100_000 && DEFAULT_LIMITS.maxEntries < 1_000_000, "a million entries is over the default");
});

test("the unpacked size is bounded by Installed-Size, checked before any content is written", async () => {
  const big = path.join(tmp, "big.deb");
  await writeHandMadeDeb(big, { control: hostileControl("big", "Installed-Size: 1\n"), data: [{ name: "./small", content: "x" }, { name: "./usr/huge", zeros: 70 * 2 ** 20 }] });
  const dest = path.join(tmp, "out-big");
  await assert.rejects(unpackDeb(big, dest, { origin: origin("big") }),
    refused(ErrorCode.DEB_TOO_BIG, "big", big, /unpacks to more than the 64 MiB its Installed-Size of 1 KiB allows \(at "\.\/usr\/huge"\)/));
  assert.equal(fs.existsSync(path.join(dest, "files/usr/huge")), false, "refused on the header, not after writing");
  // No Installed-Size: the fixed bound applies; within the bound the same shape unpacks.
  const plain = path.join(tmp, "no-size.deb");
  await writeHandMadeDeb(plain, { control: hostileControl("no-size"), data: [{ name: "./f", zeros: 2000 }] });
  await assert.rejects(unpackDeb(plain, path.join(tmp, "out-no-size"), { origin: origin("no-size"), limits: { sizeWithoutInstalledSize: 1000 } }),
    overBound("no-size", "deb-size-unknown=1000B", /more than the 1000 bytes allowed a package without Installed-Size/));
  const m = await unpackDeb(plain, path.join(tmp, "out-no-size-ok"), { origin: origin("no-size") });
  assert.equal(m.entries[0]!.size, 2000);
});

test("an entry beneath a symlink of the same package is refused", async () => {
  const cases: [string, TarItem[], RegExp][] = [
    ["escape", [{ name: "./etc/x", type: "symlink", linkname: "/tmp" }, { name: "./etc/x/evil", content: "pwned" }], /"etc\/x\/evil" lies beneath "etc\/x", a symlink/],
    ["deep", [{ name: "./a", type: "symlink", linkname: "b" }, { name: "./a/b/c", type: "directory" }], /"a\/b\/c" lies beneath "a", a symlink/],
    // Not an escape, but the same shape on disk: refused by name, not as a host ENOTDIR.
    ["under-file", [{ name: "./usr/f", content: "1" }, { name: "./usr/f/g", content: "2" }], /"usr\/f\/g" lies beneath "usr\/f", a file in the same package/],
  ];
  for (const [name, data, why] of cases) {
    const deb = path.join(tmp, `${name}.deb`);
    await writeHandMadeDeb(deb, { control: hostileControl(name), data });
    await assert.rejects(unpackDeb(deb, path.join(tmp, `out-${name}`), { origin: origin(name) }), refused(ErrorCode.BAD_DEB, name, deb, why));
  }
  // A symlink beside (not above) other entries is fine, as is a name that merely starts alike.
  const deb = path.join(tmp, "beside.deb");
  await writeHandMadeDeb(deb, { control: hostileControl("beside"), data: [{ name: "./etc/x", type: "symlink", linkname: "/tmp" }, { name: "./etc/xy/f", content: "1" }] });
  assert.equal((await unpackDeb(deb, path.join(tmp, "out-beside"), { origin: origin("beside") })).entries.length, 2);
});

test("every malformed-package error names the package, the ar framing included", async () => {
  const deb = path.join(tmp, "not-ar.deb");
  fs.writeFileSync(deb, "this is not a package\n");
  await assert.rejects(readDebControl(deb, { origin: origin("not-ar") }), refused(ErrorCode.BAD_DEB, "not-ar", deb, /ar archive: it does not start with the ar magic/));
  // An ar of 65 empty members: a few bytes each, so a small file could otherwise list millions.
  const members = path.join(tmp, "members.deb");
  const header = (i: number) => `m${i}`.padEnd(16) + "0".padEnd(12) + "0".padEnd(6) + "0".padEnd(6) + "100644".padEnd(8) + "0".padEnd(10) + "`\n";
  fs.writeFileSync(members, "!<arch>\n" + Array.from({ length: 65 }, (_, i) => header(i)).join(""));
  await assert.rejects(unpackDeb(members, path.join(tmp, "out-members"), { origin: origin("members") }),
    refused(ErrorCode.BAD_DEB, "members", members, /ar archive: it has more than 64 members/));
  const dotdot = craftDeb(tmp, "dotdot-named", `[("./../x", F, b"x")]`);
  await assert.rejects(unpackDeb(dotdot, path.join(tmp, "out-dotdot-named"), { origin: origin("dotdot-named") }),
    refused(ErrorCode.BAD_DEB, "dotdot-named", dotdot, /has a "\.\." component/));
});

test("a path longer than Linux allows is refused by name, before anything is written", async () => {
  const cases: [string, string][] = [["long-name", `./usr/${"n".repeat(256)}`], ["long-path", `./${"d/".repeat(2100)}f`]];
  for (const [name, entry] of cases) {
    const deb = path.join(tmp, `${name}.deb`);
    await writeHandMadeDeb(deb, { control: hostileControl(name), data: [{ name: entry, content: "x" }] });
    await assert.rejects(unpackDeb(deb, path.join(tmp, `out-${name}`), { origin: origin(name) }),
      refused(ErrorCode.BAD_DEB, name, deb, /an entry's path is longer than Linux allows/));
  }
});

test("each refused limit names the --limit that raises it, and --limit values are checked", async () => {
  const deb = path.join(tmp, "many-named.deb");
  await writeHandMadeDeb(deb, { control: hostileControl("many-named"), data: [{ name: "./a", content: "1" }, { name: "./b", content: "2" }] });
  // Over a default bound: malformed, and the hint names the --limit that would raise it.
  const flood = path.join(tmp, "flood-named.deb");
  await writeHandMadeDeb(flood, { control: hostileControl("flood-named"), data: Array.from({ length: DEFAULT_LIMITS.maxEntries + 1 }, (_, i) => ({ name: `./l${i}`, type: "symlink" as const, linkname: "t" })) });
  await assert.rejects(unpackDeb(flood, path.join(tmp, "out-flood-named"), { origin: origin("flood-named") }),
    (e: Error & { hint?: string }) => /is malformed/.test(e.message) && /--limit deb-entries=… \(default 250000\)/.test(String(e.hint)));
  // Over a bound the user lowered: their setting is named, and the package is not called malformed.
  await assert.rejects(unpackDeb(deb, path.join(tmp, "out-many-named"), { origin: origin("many-named"), limits: withLimit(DEFAULT_LIMITS, "deb-entries=1") }),
    overBound("many-named", "deb-entries=1", /holds more than 1 entries/));
  assert.equal(withLimit(DEFAULT_LIMITS, "deb-control-size=64MiB").maxControlBytes, 64 * 2 ** 20);
  assert.equal(withLimit(DEFAULT_LIMITS, "deb-size-unknown=2GiB").sizeWithoutInstalledSize, 2 * 2 ** 30);
  assert.equal(withLimit(DEFAULT_LIMITS, "deb-size-factor=3.5").sizeFactor, 3.5);
  for (const bad of ["deb-entries", "nope=1", "deb-entries=1.5", "deb-entries=-3", "deb-control-size=lots"]) {
    assert.throws(() => withLimit(DEFAULT_LIMITS, bad), (e: Error & { code?: string }) => e.code === ErrorCode.USAGE && /--limit/.test(e.message), bad);
  }
});

test("a file or link where an earlier entry made a folder is refused by name, not as a host EISDIR (found by fuzzing)", async () => {
  const cases: [string, TarItem[], RegExp][] = [
    ["file-over-dir", [{ name: "./usr/share/doc/a", content: "1" }, { name: "./usr", content: "2" }], /"usr" is a file, but "usr\/share\/doc\/a" lies beneath it/],
    ["link-over-dir", [{ name: "./etc/a", content: "1" }, { name: "./etc", type: "symlink", linkname: "/tmp" }], /"etc" is a symlink, but "etc\/a" lies beneath it/],
  ];
  for (const [name, data, why] of cases) {
    const deb = path.join(tmp, `${name}.deb`);
    await writeHandMadeDeb(deb, { control: hostileControl(name), data });
    await assert.rejects(unpackDeb(deb, path.join(tmp, `out-${name}`), { origin: origin(name) }), refused(ErrorCode.BAD_DEB, name, deb, why));
  }
  // A directory entry after its contents is normal (tar --sort=name does not always put it first).
  const deb = path.join(tmp, "dir-after.deb");
  await writeHandMadeDeb(deb, { control: hostileControl("dir-after"), data: [{ name: "./usr/bin/x", content: "1" }, { name: "./usr", type: "directory" }] });
  assert.equal((await unpackDeb(deb, path.join(tmp, "out-dir-after"), { origin: origin("dir-after") })).entries.length, 2);
});
