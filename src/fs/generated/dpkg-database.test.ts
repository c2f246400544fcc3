import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dpkgDatabase, type InstalledPackage } from "./dpkg-database.js";

const md5 = (s: string) => execFileSync("md5sum", { input: s, encoding: "utf8" }).split(" ")[0]!;

/** Builds a real .deb with dpkg-deb and returns it as dpkg-database's input (control, md5sums, paths). */
function buildDeb(work: string, control: string, files: Record<string, string>): { deb: string; pkg: InstalledPackage } {
  const name = /^Package: (.*)$/m.exec(control)![1]!;
  const dir = path.join(work, `${name}-src`);
  fs.mkdirSync(path.join(dir, "DEBIAN"), { recursive: true });
  fs.writeFileSync(path.join(dir, "DEBIAN/control"), control);
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content);
  }
  fs.writeFileSync(path.join(dir, "DEBIAN/md5sums"), Object.entries(files).map(([p, c]) => `${md5(c)}  ${p}\n`).join(""));
  const deb = path.join(work, `${name}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", dir, deb], { stdio: "pipe" });
  // Member names as the data tar has them ("./usr/bin/"), normalised like the deb reader does.
  const paths = execFileSync("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -t', "sh", deb], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.replace(/^\.\//, "").replace(/\/$/, ""))
    .filter((l) => l && l !== ".");
  return {
    deb,
    pkg: { control: execFileSync("dpkg-deb", ["-f", deb], { encoding: "utf8" }), md5sums: execFileSync("dpkg-deb", ["-I", deb, "md5sums"], { encoding: "utf8" }), paths },
  };
}

const HELLO = `Package: zz-hello
Version: 1.0-1
Architecture: all
Maintainer: Cairn Tests <tests@localhost>
Depends: libfoo1 (>= 2.0)
Description: a greeting
 Prints a greeting.
 .
 Second paragraph.
`;
const LIBFOO = `Package: libfoo1
Source: foo
Version: 2:2.1~rc1-3
Architecture: amd64
Multi-Arch: same
Maintainer: Cairn Tests <tests@localhost>
Description: the foo library
`;

test("status: sorted by name, Status right after Package; info files named like dpkg's", () => {
  const db = dpkgDatabase([
    { control: HELLO, paths: ["usr", "usr/bin", "usr/bin/hello"], md5sums: "d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello" },
    { control: LIBFOO, paths: ["usr/lib/libfoo.so.1"] },
  ]);
  const paragraphs = db.status.split("\n\n");
  assert.equal(paragraphs.length, 2);
  assert.ok(paragraphs[0]!.startsWith("Package: libfoo1\nStatus: install ok installed\nSource: foo\n"), paragraphs[0]);
  assert.ok(paragraphs[1]!.startsWith("Package: zz-hello\nStatus: install ok installed\nVersion: 1.0-1\n"), paragraphs[1]);
  assert.match(db.status, /Description: a greeting\n Prints a greeting\.\n \.\n Second paragraph\.\n$/);
  assert.deepEqual([...db.info.keys()].sort(), ["format", "libfoo1:amd64.list", "zz-hello.list", "zz-hello.md5sums"]);
  assert.equal(db.info.get("format"), "1\n");
  assert.equal(db.info.get("zz-hello.list"), "/.\n/usr\n/usr/bin\n/usr/bin/hello\n");
  assert.equal(db.info.get("libfoo1:amd64.list"), "/.\n/usr/lib/libfoo.so.1\n");
  assert.equal(db.info.get("zz-hello.md5sums"), "d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n");
  assert.equal(dpkgDatabase([]).status, "");
});

test("dpkg-query and dpkg --verify read the database as written, from real .debs", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-dpkgdb-"));
  try {
    const hello = buildDeb(work, HELLO, { "usr/bin/hello": "#!/bin/sh\necho hello\n", "usr/share/doc/zz-hello/README": "hi\n" });
    const foo = buildDeb(work, LIBFOO, { "usr/lib/x86_64-linux-gnu/libfoo.so.1": "\x7fELF not really\n" });
    const db = dpkgDatabase([hello.pkg, foo.pkg]);

    const root = path.join(work, "root");
    const admin = path.join(root, "var/lib/dpkg");
    for (const d of ["info", "updates", "triggers"]) fs.mkdirSync(path.join(admin, d), { recursive: true });
    fs.writeFileSync(path.join(admin, "status"), db.status);
    for (const [name, text] of db.info) fs.writeFileSync(path.join(admin, "info", name), text);
    for (const { deb } of [hello, foo]) execFileSync("dpkg-deb", ["-x", deb, root]);

    const q = (...args: string[]) => execFileSync("dpkg-query", [`--admindir=${admin}`, ...args], { encoding: "utf8" });
    assert.equal(q("-W", "-f", "${Package} ${Version} ${Architecture} ${Status}\n"), "libfoo1 2:2.1~rc1-3 amd64 install ok installed\nzz-hello 1.0-1 all install ok installed\n");
    assert.equal(q("-L", "zz-hello"), "/.\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/share\n/usr/share/doc\n/usr/share/doc/zz-hello\n/usr/share/doc/zz-hello/README\n");
    assert.match(q("-L", "libfoo1:amd64"), /^\/usr\/lib\/x86_64-linux-gnu\/libfoo\.so\.1$/m);
    assert.equal(q("-S", "/usr/bin/hello"), "zz-hello: /usr/bin/hello\n");
    assert.equal(q("-W", "-f", "${Description}", "zz-hello"), "a greeting\n Prints a greeting.\n .\n Second paragraph.");
    assert.equal(q("-W", "-f", "${Depends}", "zz-hello"), "libfoo1 (>= 2.0)");

    // md5sums as shipped: dpkg --verify checks them against the unpacked files and stays quiet.
    const verify = spawnSync("dpkg", [`--root=${root}`, "--verify"], { encoding: "utf8" });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stdout, "");
    fs.appendFileSync(path.join(root, "usr/bin/hello"), "tampered\n");
    const tampered = spawnSync("dpkg", [`--root=${root}`, "--verify"], { encoding: "utf8" });
    assert.match(tampered.stdout, /^\?\?5\?\?\?\?\?\? {3}\/usr\/bin\/hello$/m, "the check above would have seen a bad md5sum");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
