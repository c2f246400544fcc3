import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { directory, FileTree } from "../fs/tree.js";
import type { FsEntry } from "../fs/types.js";
import { writeTar, type TarEntry } from "./tar.js";
import { planImageLayers } from "./layer-plan.js";

function file(p: string, origin: string, text: string, mode = 0o644): FsEntry {
  const data = Buffer.from(text);
  return { path: p, type: "file", mode, uid: 0, gid: 0, size: data.length, sha256: createHash("sha256").update(data).digest("hex"), content: { kind: "bytes", data }, origin };
}
const hardlink = (p: string, origin: string, target: string): FsEntry => ({ path: p, type: "hardlink", mode: 0o755, uid: 0, gid: 0, size: 0, linkname: target, origin });
const symlink = (p: string, origin: string, target: string): FsEntry => ({ path: p, type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, linkname: target, origin });

/** A tree as assemble would make it: three packages, generated files, the user's files. */
function sampleTree(): FileTree {
  const t = new FileTree();
  for (const e of [
    directory("usr", "base-files"),
    file("usr/lib/x86_64-linux-gnu/libc.so.6", "libc6", "libc"),
    symlink("lib64", "generated", "usr/lib64"),
    file("usr/lib/x86_64-linux-gnu/libfoo.so.1", "libfoo1", "foo"),
    file("usr/share/doc/libfoo1/copyright", "libfoo1", "(c)"),
    // The hard link sorts before its target: the tar writer needs the file first.
    file("usr/bin/app-z", "app", "#!/bin/sh\necho app\n", 0o755),
    hardlink("usr/bin/app-a", "app", "usr/bin/app-z"),
    hardlink("usr/bin/app-b", "app", "usr/bin/app-z"),
    file("etc/passwd", "generated", "root:x:0:0::/root:/bin/sh\n"),
    file("srv/www/index.html", "files:./site", "<p>hi</p>"),
    file("usr/bin/stray", "not-in-graph", "?"),
  ]) t.add(e);
  return t;
}
const graph = { nodes: ["app", "libfoo1", "libc6", "base-files"], edges: [["app", "libfoo1"], ["libfoo1", "libc6"], ["app", "libc6"]] as [string, string][], roots: ["app", "base-files"] };

function toTar(e: FsEntry): TarEntry {
  const base = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: 1 };
  if (e.type === "dir") return base;
  if (e.type !== "file") return { ...base, linkname: e.linkname! };
  const data = e.content?.kind === "bytes" ? e.content.data : Buffer.alloc(0);
  return { ...base, size: e.size, content: async function* () { yield data; } };
}

async function tarBytes(entries: FsEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries.map(toTar))) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function assertParentsPresent(layer: FsEntry[]): void {
  const have = new Set(layer.map((e) => e.path));
  for (const e of layer) for (let i = e.path.indexOf("/"); i > 0; i = e.path.indexOf("/", i + 1)) assert.ok(have.has(e.path.slice(0, i)), `${e.path} lacks its parent ${e.path.slice(0, i)}`);
}

test("buildImage: a single layer holding everything, which the tar writer accepts", async () => {
  const plan = planImageLayers(sampleTree(), false, 1, graph);
  assert.equal(plan.layers.length, 1);
  assert.deepEqual(plan.descriptions, ["cairn: 4 packages and generated files"]);
  const layer = plan.layers[0]!;
  assert.equal(layer.length, sampleTree().entries().length);
  assertParentsPresent(layer);
  await tarBytes(layer);
  assert.equal(planImageLayers(sampleTree(), true, 100, { nodes: [], edges: [], roots: [] }).layers.length, 1, "no packages: one layer even when layered");
});

test("buildLayeredImage: package entries in their package's layer, generated files then user files on top", async () => {
  const plan = planImageLayers(sampleTree(), true, 100, graph);
  assert.equal(plan.layers.length, 6);
  assert.equal(plan.descriptions.length, 6);
  assert.deepEqual(plan.descriptions.slice(-2), ["cairn: generated files", "cairn: your files"]);
  const layerOf = new Map<string, number[]>();
  plan.layers.forEach((l, i) => l.forEach((e) => layerOf.set(e.path, [...(layerOf.get(e.path) ?? []), i])));
  const describedAs = (i: number) => plan.descriptions[i]!.replace("cairn: ", "");
  for (const e of sampleTree().entries()) {
    if (e.type === "dir") continue;
    const at = layerOf.get(e.path) ?? [];
    assert.equal(at.length, 1, `${e.path} is in exactly one layer`);
    const expected = e.origin.startsWith("files:") ? "your files" : ["generated", "not-in-graph"].includes(e.origin) ? "generated files" : e.origin;
    assert.equal(describedAs(at[0]!), expected, e.path);
  }
  // The most depended-on package sits at the bottom.
  assert.equal(describedAs(0), "libc6");
  for (const layer of plan.layers) {
    assertParentsPresent(layer);
    await tarBytes(layer);
  }
  // base-files' own usr directory is reused as the parent everywhere.
  const withUsr = plan.layers.filter((l) => l.some((e) => e.path.startsWith("usr/")));
  assert.ok(withUsr.length >= 4 && withUsr.every((l) => l.find((e) => e.path === "usr")?.origin === "base-files"));
});

test("few layers allowed: the long tail shares one layer below the top two", () => {
  const plan = planImageLayers(sampleTree(), true, 4, graph);
  assert.equal(plan.layers.length, 4);
  assert.equal(plan.descriptions[0], "cairn: libc6");
  assert.deepEqual(plan.descriptions[1]!.replace("cairn: ", "").split(" ").sort(), ["app", "base-files", "libfoo1"]);
  assert.ok(plan.layers[1]!.some((e) => e.path === "usr/share/doc/libfoo1/copyright"));
  assert.ok(plan.layers[1]!.some((e) => e.path === "usr/bin/app-z"));
});

test("a hard link sorting before its target swaps roles, and extracts as one inode", async (t) => {
  const plan = planImageLayers(sampleTree(), true, 100, graph);
  const app = plan.layers[plan.descriptions.indexOf("cairn: app")]!;
  const pick = (p: string) => app.find((e) => e.path === p)!;
  assert.equal(pick("usr/bin/app-a").type, "file");
  assert.equal(pick("usr/bin/app-a").origin, "app");
  assert.deepEqual([pick("usr/bin/app-b").type, pick("usr/bin/app-b").linkname], ["hardlink", "usr/bin/app-a"]);
  assert.deepEqual([pick("usr/bin/app-z").type, pick("usr/bin/app-z").linkname], ["hardlink", "usr/bin/app-a"]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-layers-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "layer.tar"), await tarBytes(app));
  fs.mkdirSync(path.join(dir, "x"));
  execFileSync("tar", ["-xf", path.join(dir, "layer.tar"), "-C", path.join(dir, "x")]);
  const stats = ["app-a", "app-b", "app-z"].map((n) => fs.statSync(path.join(dir, "x/usr/bin", n)));
  assert.equal(new Set(stats.map((s) => s.ino)).size, 1);
  assert.equal(stats[0]!.nlink, 3);
  assert.equal(fs.readFileSync(path.join(dir, "x/usr/bin/app-z"), "utf8"), "#!/bin/sh\necho app\n");
  assert.equal(stats[0]!.mode & 0o7777, 0o755);
});

test("a hard link whose target is in no layer with it is a bug, said loudly", () => {
  const t = new FileTree();
  t.add(file("usr/bin/z", "one", "z"));
  t.add(hardlink("usr/bin/a", "two", "usr/bin/z"));
  assert.throws(() => planImageLayers(t, true, 100, { nodes: ["one", "two"], edges: [], roots: ["one", "two"] }), /hard link \/usr\/bin\/a points to \/usr\/bin\/z/);
});

test("derivations, your files and the build steps each get a layer above generated files, in that order", async () => {
  const t = sampleTree();
  t.add(file("usr/bin/hello", "derivation:x", "hello", 0o755));
  t.add(file("usr/lib/libw.so", "derivation:w", "w"));
  t.add(file("etc/app.conf", "step:runAsRoot", "owned"));
  t.add(file("data/.keep", "step:extraCommands", ""));
  const plan = planImageLayers(t, true, 100, graph);
  const tops = ["cairn: generated files", "cairn: derivation w", "cairn: derivation x", "cairn: your files", "cairn: extraCommands", "cairn: runAsRoot"];
  assert.deepEqual(plan.descriptions.slice(-tops.length), tops);
  assert.equal(plan.layers.length, plan.descriptions.length);
  const layerNamed = (d: string) => plan.layers[plan.descriptions.indexOf(d)]!.filter((e) => e.type !== "dir").map((e) => e.path);
  assert.deepEqual(layerNamed("cairn: derivation x"), ["usr/bin/hello"]);
  assert.deepEqual(layerNamed("cairn: derivation w"), ["usr/lib/libw.so"]);
  assert.deepEqual(layerNamed("cairn: your files"), ["srv/www/index.html"]);
  assert.deepEqual(layerNamed("cairn: extraCommands"), ["data/.keep"]);
  assert.deepEqual(layerNamed("cairn: runAsRoot"), ["etc/app.conf"]);
  assert.ok(!layerNamed("cairn: generated files").some((p) => ["usr/bin/hello", "etc/app.conf", "srv/www/index.html"].includes(p)));
  for (const layer of plan.layers) {
    assertParentsPresent(layer);
    await tarBytes(layer);
  }
  // Few layers allowed: the packages squeeze, the top layers stay apart.
  const tight = planImageLayers(t, true, 8, graph);
  assert.equal(tight.layers.length, 8);
  assert.deepEqual(tight.descriptions.slice(-tops.length), tops);
});

test("more top groups than layers allowed: the lowest share one, down to maxLayers 2", async () => {
  const t = sampleTree();
  t.add(file("usr/bin/hello", "derivation:x", "hello", 0o755));
  t.add(file("etc/app.conf", "step:runAsRoot", "owned"));
  const four = planImageLayers(t, true, 4, graph);
  assert.deepEqual(four.descriptions.slice(1), ["cairn: generated files", "cairn: derivation x, your files", "cairn: runAsRoot"]);
  assert.equal(four.layers.length, 4);
  const two = planImageLayers(t, true, 2, graph);
  assert.deepEqual(two.descriptions.slice(1), ["cairn: generated files, derivation x, your files, runAsRoot"]);
  assert.equal(two.layers.length, 2);
  for (const plan of [four, two]) {
    const paths = plan.layers.flat().filter((e) => e.type !== "dir").map((e) => e.path).sort();
    assert.deepEqual(paths, t.entries().filter((e) => e.type !== "dir").map((e) => e.path).sort(), "every path once");
    for (const layer of plan.layers) {
      assertParentsPresent(layer);
      await tarBytes(layer);
    }
  }
});
