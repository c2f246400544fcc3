import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { FileTree } from "../fs/tree.js";
import type { FsEntry } from "../fs/types.js";
import { parseLdCache } from "../fs/generated/ldcache.js";
import type { BaseImage } from "../build/base.js";
import { imageLdSoCache } from "./ld-so-cache.js";

const HOST = "/usr/lib/x86_64-linux-gnu";
const hostFile = (name: string) => fs.realpathSync(`${HOST}/${name}`);
const have = ["libc.so.6", "ld-linux-x86-64.so.2", "libz.so.1"].every((n) => fs.existsSync(`${HOST}/${n}`));

function file(p: string, from: string): FsEntry {
  return { path: p, type: "file", mode: 0o644, uid: 0, gid: 0, size: fs.statSync(from).size, sha256: "0".repeat(64), content: { kind: "path", path: from }, origin: "pkg" };
}
function bytes(p: string, text: string): FsEntry {
  return { path: p, type: "file", mode: 0o644, uid: 0, gid: 0, size: text.length, sha256: "0".repeat(64), content: { kind: "bytes", data: Buffer.from(text) }, origin: "pkg" };
}
function link(p: string, target: string): FsEntry {
  return { path: p, type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, linkname: target, origin: "pkg" };
}

/** An assembled image: libc and zlib where Debian puts them, the /usr-merge links, and a library
 * directory that only ld.so.conf.d names. */
function imageTree(withLinker = true): FileTree {
  const t = new FileTree();
  const d = "usr/lib/x86_64-linux-gnu";
  t.set(file(`${d}/libc.so.6`, hostFile("libc.so.6")));
  if (withLinker) t.set(file(`${d}/ld-linux-x86-64.so.2`, hostFile("ld-linux-x86-64.so.2")));
  t.set(file(`${d}/libz.so.1.2.13`, hostFile("libz.so.1")));
  t.set(link(`${d}/libz.so.1`, "libz.so.1.2.13"));
  t.set(file("opt/vendor/lib/libvendor.so.4", hostFile("libz.so.1"))); // soname libz.so.1, in a conf.d directory
  t.set(link("opt/vendor/lib/libvendor.so", "libvendor.so.4")); // a link named neither like its target's soname
  t.set(bytes("etc/ld.so.conf.d/vendor.conf", "# vendor\n/opt/vendor/lib\n"));
  t.set(link("lib", "usr/lib"));
  t.set(link("lib64", "usr/lib64"));
  return t;
}

test("the cache of an assembled image: trusted directories as /lib/<triplet>, ld.so.conf.d ones first", { skip: !have && "host has no x86-64 glibc" }, async () => {
  const cache = await imageLdSoCache(imageTree(), "amd64");
  assert.ok(cache);
  const parsed = parseLdCache(cache)!;
  assert.equal(parsed.generator, "cairn");
  assert.deepEqual(parsed.entries.map((e) => `${e.key} => ${e.value}`), [
    "libz.so.1 => /opt/vendor/lib/libz.so.1",
    "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1",
    "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6",
    "ld-linux-x86-64.so.2 => /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  ]);
  assert.ok(parsed.entries.every((e) => e.flags === 0x0303));
});

test("no cache without glibc's dynamic linker, or over a base whose libraries cairn cannot read", { skip: !have && "host has no x86-64 glibc" }, async () => {
  assert.equal(await imageLdSoCache(imageTree(false), "amd64"), undefined);
  const base = { paths: new Map([["usr/lib/x86_64-linux-gnu/libbase.so.1", { type: "file" as const }]]) } as unknown as BaseImage;
  assert.equal(await imageLdSoCache(imageTree(), "amd64", base), undefined);
  const plainBase = { paths: new Map([["etc/motd", { type: "file" as const }]]) } as unknown as BaseImage;
  assert.ok(await imageLdSoCache(imageTree(), "amd64", plainBase));
});
