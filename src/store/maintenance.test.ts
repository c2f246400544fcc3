import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { collectGarbage, verifyStore } from "./maintenance.js";
import { sealerFor } from "./seal.js";
import { sha256Hex, Store } from "./store.js";
import { checkedTree } from "./tree-check.js";

const DAY = 86_400_000;

function newStore(t: { after: (fn: () => void) => void }, key = "this machine's key"): Store {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-maint-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return new Store(d, { sealer: sealerFor(Buffer.from(key)) });
}

/** A tree as unpacked packages are: files/ and a listing of them with their hashes. */
async function listedTree(store: Store, key: string, files: Record<string, string>): Promise<string> {
  return checkedTree(store, key, async (dir) => {
    const entries = Object.entries(files).map(([p, text]) => {
      fs.mkdirSync(path.dirname(path.join(dir, "files", p)), { recursive: true });
      fs.writeFileSync(path.join(dir, "files", p), text);
      return { path: p, type: "file", size: Buffer.byteLength(text), sha256: sha256Hex(text) };
    });
    fs.writeFileSync(path.join(dir, "entries.json"), JSON.stringify(entries));
  }, {
    listing: "entries.json",
    onChanged: () => {},
  });
}

test("cache verify finds a changed blob, tree file, listing and record; --repair takes them out", async (t) => {
  const store = newStore(t);
  const blob = await store.writeBlob(Buffer.from("a package"));
  const other = await store.writeBlob(Buffer.from("another package"));
  const tree = await listedTree(store, "deb-3-aa", { "usr/bin/tool": "#!/bin/sh\n", "etc/conf": "x=1\n" });
  const second = await listedTree(store, "deb-3-bb", { "lib/libx.so": "ELF" });
  await store.putEntry("layer", "k", { digest: `sha256:${blob}` });
  const clean = await verifyStore(store);
  assert.deepEqual([clean.problems, clean.untrusted, clean.stale], [[], [], []]);
  assert.equal(clean.blobs.count, 2);
  assert.equal(clean.trees.checked, 2);

  fs.appendFileSync(store.blobPath(other), "!");
  fs.writeFileSync(path.join(tree, "files", "usr/bin/tool"), "#!/bin/sh\nevil\n");
  // A consistent rewrite: the file and its listing both changed, so only the seal can tell.
  fs.writeFileSync(path.join(second, "files", "lib/libx.so"), "EVIL");
  fs.writeFileSync(path.join(second, "entries.json"), JSON.stringify([{ path: "lib/libx.so", type: "file", size: 4, sha256: sha256Hex("EVIL") }]));
  const file = store.entryPath("layer", "k");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(blob, other));
  fs.writeFileSync(store.entryPath("layer", "old"), JSON.stringify({ digest: "sha256:00" }));

  const found = await verifyStore(store);
  assert.deepEqual(found.problems.map((p) => [path.relative(store.root, p.path), p.why]), [
    [`blobs/sha256/${other}`, "its bytes no longer hash to its name"],
    ["trees/deb-3-aa", "/usr/bin/tool was changed"],
    ["trees/deb-3-bb", "its entries.json was changed"],
  ]);
  assert.deepEqual(found.untrusted.map((p) => path.relative(store.root, p)), ["entries/layer/k.json"]);
  assert.deepEqual(found.stale.map((p) => path.relative(store.root, p)), ["entries/layer/old.json"]);
  assert.ok(fs.existsSync(tree), "without --repair nothing is taken out");

  await verifyStore(store, { repair: true });
  for (const p of [store.blobPath(other), tree, second, file]) assert.equal(fs.existsSync(p), false, p);
  assert.equal(fs.existsSync(store.blobPath(blob)), true, "what was sound stays");
  const after = await verifyStore(store);
  assert.deepEqual([after.problems, after.untrusted, after.stale], [[], [], []]);
});

test("a tree that fails its check is made again when used, and the user is told what changed", async (t) => {
  const store = newStore(t);
  const dir = await listedTree(store, "deb-3-cc", { "bin/sh": "shell" });
  fs.writeFileSync(path.join(dir, "files", "bin/sh"), "SHELL");
  const told: string[] = [];
  const again = await checkedTree(store, "deb-3-cc", async (d) => {
    fs.mkdirSync(path.join(d, "files", "bin"), { recursive: true });
    fs.writeFileSync(path.join(d, "files", "bin/sh"), "shell");
    fs.writeFileSync(path.join(d, "entries.json"), JSON.stringify([{ path: "bin/sh", type: "file", size: 5, sha256: sha256Hex("shell") }]));
  }, { listing: "entries.json", onChanged: (what) => told.push(what) });
  assert.deepEqual(told, ["/bin/sh"]);
  assert.equal(fs.readFileSync(path.join(again, "files", "bin/sh"), "utf8"), "shell");
});

test("cache gc takes out what was not used lately, then the least recently used down to a size", async (t) => {
  const store = newStore(t);
  const now = new Date("2026-12-02T12:00:00Z");
  const age = (p: string, days: number) => fs.utimesSync(p, new Date(now.getTime() - days * DAY), new Date(now.getTime() - days * DAY));
  const old = await store.writeBlob(Buffer.alloc(1000, 1));
  const week = await store.writeBlob(Buffer.alloc(2000, 2));
  const fresh = await store.writeBlob(Buffer.alloc(3000, 3));
  const tree = await listedTree(store, "deb-3-dd", { f: "x".repeat(500) });
  await store.putEntry("layer", "k", { digest: "d" });
  age(store.blobPath(old), 40);
  age(store.blobPath(week), 7);
  age(store.blobPath(fresh), 0);
  age(tree, 45);
  age(store.entryPath("layer", "k"), 2);
  for (const f of fs.readdirSync(path.join(store.root, "entries", "tree-listing"))) age(path.join(store.root, "entries", "tree-listing", f), 45);
  // Staging left by a killed build, and staging a running build is writing now.
  const stale = await store.tempPath();
  fs.writeFileSync(stale, "half a download");
  age(stale, 3);
  const live = await store.tempPath();
  fs.writeFileSync(live, "a download under way");

  const dry = await collectGarbage(store, { olderThanMs: 30 * DAY, dryRun: true, now });
  assert.equal(dry.removed.count, 4, "the old blob, the old tree, its listing record, the stale staging");
  assert.ok(fs.existsSync(store.blobPath(old)), "a dry run takes out nothing");

  const r = await collectGarbage(store, { olderThanMs: 30 * DAY, now });
  assert.equal(r.removed.count, 4);
  // The blob, the tree's file and listing, the record, the staging: a little over their contents.
  assert.ok(r.removed.bytes > 1000 + 500 + "half a download".length && r.removed.bytes < 2000, String(r.removed.bytes));
  for (const p of [store.blobPath(old), tree, stale]) assert.equal(fs.existsSync(p), false, p);
  for (const p of [store.blobPath(week), store.blobPath(fresh), live]) assert.equal(fs.existsSync(p), true, p);

  // Down to a size: least recently used first, nothing used within the hour.
  const sized = await collectGarbage(store, { olderThanMs: 30 * DAY, maxBytes: 3500, now });
  assert.equal(fs.existsSync(store.blobPath(week)), false, "the week-old blob goes first");
  assert.equal(fs.existsSync(store.blobPath(fresh)), true, "what was used in the last hour stays, even over the size");
  assert.ok(sized.kept.bytes >= 3000);
});
