import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheDirectories, cacheEntries, encodeLdCache, isDsoName, libcmp, libraryFlags, parseLdCache, sortCacheEntries, type LibraryEntry } from "./ldcache.js";
import { hostLibraryView, ldSoConfDirs, scanLdSoCache } from "../../closure/ldcache-scan.js";

const LDCONFIG = ["/sbin/ldconfig", "/usr/sbin/ldconfig"].find((p) => fs.existsSync(p));
const x64 = (name: string, soname?: string, link = false): LibraryEntry => ({ name, link, ...(soname ? { soname } : {}), elfClass: 64, machine: 62, needed: ["libc.so.6"] });

test("libcmp compares digit runs as numbers, as glibc's _dl_cache_libcmp", () => {
  assert.ok(libcmp("libfoo.so.10", "libfoo.so.9") > 0);
  assert.ok(libcmp("libfoo.so.9", "libfoo.so.10") < 0);
  assert.equal(libcmp("libfoo.so.01", "libfoo.so.1"), 0);
  assert.ok(libcmp("libz3.so", "libz.so") > 0, "a digit sorts after any other character");
  assert.ok(libcmp("libz.so", "libz.so.1") < 0);
  assert.ok(libcmp("libB.so", "liba.so") < 0);
});

test("ldconfig's order: keys descending, higher flags first, equal entries in directory order", () => {
  const sorted = sortCacheEntries([
    { key: "libz.so.1", value: "/a/libz.so.1", flags: 0x303 },
    { key: "libc.so.6", value: "/lib32/libc.so.6", flags: 0x3 },
    { key: "libc.so.6", value: "/lib/x86_64-linux-gnu/libc.so.6", flags: 0x303 },
    { key: "libz.so.1", value: "/b/libz.so.1", flags: 0x303 },
    { key: "libzstd.so.1", value: "/a/libzstd.so.1", flags: 0x303 },
  ]);
  assert.deepEqual(sorted.map((e) => e.value), ["/a/libzstd.so.1", "/a/libz.so.1", "/b/libz.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib32/libc.so.6"]);
});

test("which names count, and which key a link gets", () => {
  assert.ok(isDsoName("libz.so.1") && isDsoName("ld-linux-x86-64.so.2") && isDsoName("ld64.so.2") && isDsoName("libfoo-1.2.so"));
  assert.ok(!isDsoName("python3.11") && !isDsoName("ld-linux") && !isDsoName("libz.so.1.#prelink#.a1b2c3"));
  const entries = cacheEntries("amd64", [{
    path: "/lib/x86_64-linux-gnu",
    entries: [
      x64("libz.so.1.2.13", "libz.so.1"),
      x64("libz.so.1", "libz.so.1", true),
      x64("libz.so", "libz.so.1", true), // the development link: its own key
      x64("libzother.so.7", "libz.so.1", true), // any other link is the file it leads to
      x64("libnosoname.so"), // no DT_SONAME: the file name
      { name: "libarm.so.1", link: false, soname: "libarm.so.1", elfClass: 64, machine: 183 }, // another machine: skipped
    ],
  }]);
  assert.deepEqual(entries.map((e) => `${e.key} ${e.value} ${e.flags.toString(16)}`).sort(), [
    "libnosoname.so /lib/x86_64-linux-gnu/libnosoname.so 303",
    "libz.so /lib/x86_64-linux-gnu/libz.so 303",
    "libz.so.1 /lib/x86_64-linux-gnu/libz.so.1 303",
  ]);
});

test("flags per machine: x86-64 and x32 are libc6; i386 only when it needs libc or has its loader as interpreter", () => {
  assert.equal(libraryFlags("amd64", { elfClass: 64, machine: 62 }), 0x0303);
  assert.equal(libraryFlags("amd64", { elfClass: 32, machine: 62 }), 0x0803);
  assert.equal(libraryFlags("amd64", { elfClass: 32, machine: 3, needed: ["libc.so.6"] }), 0x0003);
  assert.equal(libraryFlags("amd64", { elfClass: 32, machine: 3, needed: ["ld-linux.so.2"], interpreter: "/lib/ld-linux.so.2" }), 0x0003, "i386 libc.so.6 itself");
  assert.equal(libraryFlags("amd64", { elfClass: 32, machine: 3, needed: [] }), 0x0001);
  assert.equal(libraryFlags("arm64", { elfClass: 64, machine: 183 }), 0x0a03);
  assert.equal(libraryFlags("arm64", { elfClass: 64, machine: 62 }), undefined);
  assert.equal(libraryFlags("s390x", { elfClass: 64, machine: 22 }), undefined);
});

test("a directory reached twice (merged /usr) keeps the spelling listed first", () => {
  const canonical = (d: string) => (d.replace(/^\/(lib)(\/|$)/, "/usr/$1$2").replace(/\/$/, "") || undefined);
  const dirs = cacheDirectories(["/opt/x/lib/", "/nowhere", "/usr/lib/x86_64-linux-gnu"], "x86_64-linux-gnu", (d) => (d === "/nowhere" ? undefined : canonical(d)));
  assert.deepEqual(dirs.map((d) => d.path), ["/opt/x/lib", "/usr/lib/x86_64-linux-gnu", "/lib"]);
});

test("the file: header, entries, tail-merged strings, generator; parseLdCache reads it back", () => {
  const buf = encodeLdCache([{ key: "libz.so.1", value: "/lib/x86_64-linux-gnu/libz.so.1", flags: 0x303 }], "test");
  assert.equal(buf.toString("latin1", 0, 20), "glibc-ld.so.cache1.1");
  assert.equal(buf.readUInt32LE(20), 1);
  const value = "/lib/x86_64-linux-gnu/libz.so.1";
  assert.equal(buf.readUInt32LE(24), value.length + 1, "the key is the value's tail: stored once");
  assert.equal(buf.readUInt32LE(48 + 4), buf.readUInt32LE(48 + 8) + value.length - "libz.so.1".length);
  assert.equal(buf.readUInt32LE(32) % 4, 0);
  assert.deepEqual(parseLdCache(buf), { entries: [{ flags: 0x303, key: "libz.so.1", value, osversion: 0, hwcap: 0n }], generator: "test" });
  assert.equal(parseLdCache(Buffer.from("not a cache at all, not at all........................")), undefined);
});

/** A merged-/usr root holding the host's own libraries (hard links; small copies across devices). */
function hostRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-ldcache-"));
  for (const d of ["usr/bin", "usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/lib32", "etc/ld.so.conf.d", "opt/extra/lib"]) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const [l, t] of [["bin", "usr/bin"], ["lib", "usr/lib"], ["lib64", "usr/lib64"], ["lib32", "usr/lib32"]] as const) fs.symlinkSync(t, path.join(root, l));
  const mirror = (from: string, to: string, only?: RegExp) => {
    if (!fs.existsSync(from)) return;
    for (const name of fs.readdirSync(from)) {
      if (!/^(lib|ld)/.test(name) || (only && !only.test(name))) continue;
      const src = path.join(from, name), dst = path.join(root, to, name);
      const st = fs.lstatSync(src);
      if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
      else if (st.isFile()) {
        try {
          fs.linkSync(src, dst);
        } catch {
          if (st.size < 4 << 20) fs.copyFileSync(src, dst);
        }
      }
    }
  };
  mirror("/usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu");
  mirror("/usr/lib32", "usr/lib32"); // i386 libraries, where the host has them
  mirror("/usr/lib/x86_64-linux-gnu", "opt/extra/lib", /^lib(z|ffi)\.so/); // the same sonames again, listed first
  fs.writeFileSync(path.join(root, "opt/extra/lib/libc.so"), "/* GNU ld script */\nGROUP ( libc.so.6 )\n");
  fs.writeFileSync(path.join(root, "etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
  fs.writeFileSync(path.join(root, "etc/ld.so.conf.d/a-extra.conf"), "# extra\n/opt/extra/lib/\n");
  fs.writeFileSync(path.join(root, "etc/ld.so.conf.d/b-32.conf"), "/lib32\n/usr/lib32\ninclude ../more/*.conf\n");
  fs.mkdirSync(path.join(root, "etc/more"));
  fs.writeFileSync(path.join(root, "etc/more/m.conf"), "/usr/local/lib\n");
  return root;
}

test("byte for byte what the host's ldconfig writes for the same root", { skip: !LDCONFIG && "no ldconfig" }, async () => {
  const root = hostRoot();
  try {
    const view = hostLibraryView(root);
    assert.deepEqual(await ldSoConfDirs(view), ["/opt/extra/lib", "/lib32", "/usr/lib32", "/usr/local/lib"]);
    const r = spawnSync(LDCONFIG!, ["-r", root, "-C", "/etc/ld.so.cache.ref", "-X"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const ref = fs.readFileSync(path.join(root, "etc/ld.so.cache.ref"));
    const theirs = parseLdCache(ref)!;
    const ours = (await scanLdSoCache(view, "amd64", theirs.generator))!;
    const listed = (c: typeof theirs) => c.entries.map((e) => `${e.key} ${e.flags.toString(16)} ${e.value}`);
    assert.deepEqual(listed(parseLdCache(ours)!), listed(theirs));
    assert.ok(theirs.entries.length > 20, `only ${theirs.entries.length} libraries: the root is too thin to prove much`);
    assert.ok(theirs.entries.some((e) => e.value === "/opt/extra/lib/libz.so.1") && theirs.entries.some((e) => e.value === "/lib/x86_64-linux-gnu/libz.so.1"));
    assert.ok(ours.equals(ref), "same entries, but the bytes differ");
    // And ldconfig reads ours as its own.
    fs.writeFileSync(path.join(root, "etc/ld.so.cache"), ours);
    const p = spawnSync(LDCONFIG!, ["-r", root, "-p"], { encoding: "utf8" });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /^\tlibz\.so\.1 \(libc6,x86-64\) => \/opt\/extra\/lib\/libz\.so\.1$/m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
