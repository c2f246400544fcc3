import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode, isCairnError } from "../errors.js";
import { comparePaths, directory, FileTree } from "./tree.js";
import type { FsEntry } from "./types.js";

const file = (path: string, origin: string, sha256 = "a".repeat(64), mode = 0o644): FsEntry => ({ path, type: "file", mode, uid: 0, gid: 0, size: 3, sha256, origin });
const link = (path: string, origin: string, linkname: string): FsEntry => ({ path, type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, linkname, origin });

function conflict(fn: () => void, ...mentions: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.FILE_CONFLICT);
    for (const m of mentions) assert.ok(e.message.includes(m), `${JSON.stringify(e.message)} should mention ${m}`);
    return true;
  });
}

test("two packages with different files at one path: the error names both", () => {
  const t = new FileTree();
  t.add(file("usr/bin/tool", "pkg-one", "1".repeat(64)));
  conflict(() => t.add(file("usr/bin/tool", "pkg-two", "2".repeat(64))), "/usr/bin/tool", "package pkg-one", "package pkg-two", "111111111111");
  assert.equal(t.get("usr/bin/tool")!.origin, "pkg-one");
});

test("generated files and the user's files are named as such in conflicts", () => {
  const t = new FileTree();
  t.add(file("etc/passwd", "generated"));
  conflict(() => t.add(link("etc/passwd", "files:./passwd", "x")), "cairn's generated files", "your files (./passwd)", "a link to x");
  conflict(() => t.add(directory("etc/passwd", "base-files")), "package base-files (a directory)");
});

test("equal files and equal links merge; a different mode or link target does not", () => {
  const t = new FileTree();
  t.add(file("usr/share/doc/x", "a"));
  t.add(file("usr/share/doc/x", "b"));
  assert.equal(t.get("usr/share/doc/x")!.origin, "a");
  t.add(link("usr/lib/l", "a", "t"));
  t.add(link("usr/lib/l", "b", "t"));
  assert.equal(t.size, 2);
  conflict(() => t.add(file("usr/share/doc/x", "c", "a".repeat(64), 0o755)), "package a", "package c");
  conflict(() => t.add(link("usr/lib/l", "c", "u")), "a link to t", "a link to u");
  conflict(() => t.add({ ...file("usr/lib/l", "c"), type: "hardlink", linkname: "usr/lib/t" }), "a hard link to /usr/lib/t");
});

test("directories merge and the first one's metadata stays", () => {
  const t = new FileTree();
  t.add(directory("var/cache", "a", 0o755));
  t.add(directory("var/cache", "b", 0o700, 5, 5));
  assert.deepEqual(t.get("var/cache"), directory("var/cache", "a", 0o755));
});

test("replaces lets a package take over another's file, and only the one it names", () => {
  const t = new FileTree();
  t.add(file("usr/bin/x", "old", "1".repeat(64)));
  const calls: string[] = [];
  t.add(file("usr/bin/x", "new", "2".repeat(64)), (o) => (calls.push(o), o === "old"));
  assert.deepEqual(calls, ["old"]);
  assert.equal(t.get("usr/bin/x")!.origin, "new");
  conflict(() => t.add(file("usr/bin/x", "third", "3".repeat(64)), (o) => o === "old"), "package new", "package third");
});

test("set and delete override without checks", () => {
  const t = new FileTree();
  t.add(file("etc/a", "p"));
  t.set(file("etc/a", "generated", "b".repeat(64)));
  assert.equal(t.get("etc/a")!.origin, "generated");
  t.delete("etc/a");
  assert.equal(t.has("etc/a"), false);
});

test("entries(): bytewise sorted, with missing parent directories made", () => {
  const t = new FileTree();
  t.add(file("usr/share/zz", "p"));
  t.add(file("usr/share/café", "p"));
  t.add(file("usr/share/cafz", "p"));
  t.add(file("usr/share/caf\u{1F600}", "p"));
  t.add(file("usr/share/caf\uFFFD", "p"));
  t.add(file("usr-x", "p"));
  t.add(directory("usr/share", "base-files", 0o750));
  t.add(file("a.b/c", "p"));
  const paths = t.entries().map((e) => e.path);
  assert.deepEqual(paths, [
    "a.b", "a.b/c", "usr", "usr-x", "usr/share", "usr/share/cafz", "usr/share/café", "usr/share/caf\uFFFD", "usr/share/caf\u{1F600}", "usr/share/zz",
  ]);
  // A JS string sort would put the astral char before U+FFFD (UTF-16 surrogates); bytes do not.
  assert.ok(comparePaths("caf\uFFFD", "caf\u{1F600}") < 0);
  assert.deepEqual(t.get("usr"), directory("usr", "generated"));
  assert.deepEqual(t.get("a.b"), directory("a.b", "generated"));
  assert.equal(t.get("usr/share")!.mode, 0o750, "an existing directory is kept as it was");
  assert.equal(new Set(paths).size, paths.length);
});

test("a directory is never replaced by a file or a link, nor a file by a directory, even where replacing is allowed", () => {
  const t = new FileTree();
  t.add(directory("etc", "base-files"));
  t.add(file("etc/passwd", "base-files"));
  t.add(file("usr/bin/tool", "pkg-one"));
  const always = () => true;
  conflict(() => t.add(file("etc", "files:./motd"), always), "would replace", "package base-files (a directory)", "/etc");
  conflict(() => t.add(link("etc", "files:./x", "/elsewhere"), always), "a link to /elsewhere");
  conflict(() => t.add(directory("usr/bin/tool", "files:./site"), always), "your files (./site) (a directory)", "package pkg-one");
  assert.equal(t.get("etc")!.type, "dir");
  assert.equal(t.get("usr/bin/tool")!.type, "file");
});

test("an entry beneath a link of the tree, or of the base below, is refused naming both; a link beside files is fine", () => {
  const t = new FileTree();
  t.add(directory("usr/bin", "pkg"));
  t.add(file("usr/bin/tool", "pkg"));
  t.add(link("bin", "generated", "usr/bin"));
  t.checkNoEntryBeneathLinks();
  t.add(link("etc/x", "evil", "/tmp"));
  t.add(file("etc/x/payload", "evil"));
  conflict(() => t.checkNoEntryBeneathLinks(), "/etc/x/payload, from package evil", "beneath /etc/x, a symbolic link from package evil (a link to /tmp)");
  const clean = new FileTree();
  clean.add(file("var/run/app.pid", "files:./run"));
  clean.checkNoEntryBeneathLinks(new Map([["var", { type: "dir" }]]));
  conflict(() => clean.checkNoEntryBeneathLinks(new Map([["var/run", { type: "symlink" }]])), "your files (./run)", "beneath /var/run, a symbolic link from the base image");
});
