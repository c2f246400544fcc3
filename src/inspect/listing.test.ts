import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { FsEntry } from "../fs/types.js";
import { closeGzipWorkers } from "../image/gzip-pool.js";
import { buildLayer } from "../image/layer.js";
import { getListing } from "../image/listing.js";
import type { ImageView, Layer } from "../image/types.js";
import { Store } from "../store/store.js";
import { inspect } from "./model.js";

const dir = await mkdtemp(join(tmpdir(), "cairn-listing-"));
after(async () => {
  await closeGzipWorkers();
  await rm(dir, { recursive: true, force: true });
});

const status = "Package: hello\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nDepends: libc6\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36\nArchitecture: amd64\n";
const meta = { uid: 0, gid: 0, origin: "test" };
const bytes = (path: string, text: string, mode = 0o644): FsEntry => ({ path, type: "file", mode, size: Buffer.byteLength(text), content: { kind: "bytes", data: Buffer.from(text) }, ...meta });

test("a layer cairn made is listed as its tar reads: inspect from the listing equals inspect of the bytes, and reads none", async () => {
  const store = new Store(join(dir, "store"));
  const onDisk = join(dir, "copyright");
  await writeFile(onDisk, "Copyright: someone\n");
  const entries: FsEntry[] = [
    { path: "etc", type: "dir", mode: 0o755, size: 0, ...meta },
    bytes("etc/.wh.gone", ""),
    bytes("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
    { path: "usr", type: "dir", mode: 0o755, size: 0, ...meta },
    { path: "usr/bin", type: "dir", mode: 0o755, size: 0, ...meta },
    bytes("usr/bin/hello", "#!/bin/sh\necho hi\n", 0o4755),
    { path: "usr/bin/hi", type: "hardlink", mode: 0o755, size: 0, linkname: "usr/bin/hello", ...meta },
    { path: "usr/bin/sh", type: "symlink", mode: 0o777, size: 0, linkname: "../../bin/dash", ...meta },
    { path: "usr/share/doc/hello/copyright", type: "file", mode: 0o644, size: 19, content: { kind: "path", path: onDisk }, ...meta },
    bytes("var/lib/dpkg/info/hello.list", "/usr/bin/hello\n/usr/bin/hi\n"),
    bytes("var/lib/dpkg/status", status),
  ] as FsEntry[];
  const layer = await buildLayer(entries, 0, store);
  assert.ok(await getListing(store, layer), "building the layer listed it");

  const view = (l: Layer): ImageView => ({ repoTags: ["t:1"], config: Buffer.from(JSON.stringify({ rootfs: { diff_ids: [l.diffId] } })), layers: [l] });
  const fromBytes = await inspect(view(layer));
  const unreadable: Layer = { ...layer, uncompressed: () => { throw new Error("the layer was read"); }, compressed: () => { throw new Error("the layer was read"); } };
  const fromListing = await inspect(view(unreadable), { store });
  assert.deepEqual(fromListing, fromBytes);
  // What the comparison covers: the packages, their files, the whiteout, the links.
  assert.deepEqual(fromBytes.packages.map((p) => [p.name, p.version, p.files]), [["hello", "1.0", ["usr/bin/hello", "usr/bin/hi"]], ["libc6", "2.36", []]]);
  assert.equal(fromBytes.packages[0]!.copyright, "Copyright: someone\n");
  assert.deepEqual(fromBytes.layers[0]!.entries.filter((e) => e.kind === "whiteout").map((e) => e.path), ["etc/gone"]);
  assert.equal(fromBytes.files.get("usr/bin/hi")?.linkname, "usr/bin/hello");
  assert.equal(fromBytes.layers[0]!.entries.find((e) => e.path === "usr/bin/hello")?.mode, 0o4755);
  assert.equal(fromBytes.osRelease["VERSION_ID"], "12");
});

test("a layer read once is listed: the second inspect with the store does not read it", async () => {
  const store = new Store(join(dir, "store2"));
  const other = new Store(join(dir, "maker"));
  const layer = await buildLayer([bytes("var/lib/dpkg/status", status)], 0, other);
  const view = (l: Layer): ImageView => ({ repoTags: [], config: Buffer.from("{}"), layers: [l] });
  const first = await inspect(view(layer), { store });
  const unreadable: Layer = { ...layer, uncompressed: () => { throw new Error("the layer was read"); } };
  assert.deepEqual(await inspect(view(unreadable), { store }), first);
  // Hashing every file needs the bytes: the listing is not enough.
  await assert.rejects(inspect(view(unreadable), { store, hashFiles: true }), /the layer was read/);
});
