import assert from "node:assert/strict";
import { test } from "node:test";
import { diffImages, directoryOf, jsonDifferences } from "./diff.js";
import { formatDiff, signed } from "./diff-format.js";
import type { FinalFile, InspectedImage, InstalledPackage as InspectedPackage, LayerEntry } from "./model.js";

type F = Partial<FinalFile> & { path: string; mode?: number; uid?: number };

/** A hand-made image: files all in the layers named, packages by name and version. */
function image(o: { ref?: string; digest?: string; files: F[]; packages?: [string, string, string[]?][]; layers?: { digest: string; diffId?: string; size: number; createdBy?: string }[]; config?: Record<string, unknown> }): InspectedImage {
  const layersIn = o.layers ?? [{ digest: "sha256:l0", size: 100 }];
  const entries: LayerEntry[][] = layersIn.map(() => []);
  const files = new Map<string, FinalFile>();
  for (const f of o.files) {
    const file: FinalFile = { kind: "file", size: 0, layer: 0, ...f };
    delete (file as F).mode;
    delete (file as F).uid;
    files.set(f.path, file);
    entries[file.layer]!.push({ path: f.path, kind: file.kind, size: file.size, mode: f.mode ?? 0o644, uid: f.uid ?? 0, gid: 0, ...(file.linkname ? { linkname: file.linkname } : {}) });
  }
  const packages: InspectedPackage[] = (o.packages ?? []).map(([name, version, owned]) => {
    for (const p of owned ?? []) files.get(p)!.package = name;
    return { name, version, architecture: "amd64", source: name, depends: "", dependsOn: [], files: owned ?? [], size: 0 };
  });
  const withIds = layersIn.every((l) => l.diffId);
  return {
    reference: o.ref ?? "x:1", ...(o.digest ? { manifestDigest: o.digest } : {}),
    config: { architecture: "amd64", os: "linux", config: { Cmd: ["a"] }, ...(withIds ? { rootfs: { diff_ids: layersIn.map((l) => l.diffId!) } } : {}), ...o.config },
    layers: layersIn.map((l, index) => ({ index, digest: l.digest, storedSize: l.size, contentSize: entries[index]!.reduce((n, e) => n + e.size, 0), entries: entries[index]!, ...(l.createdBy ? { createdBy: l.createdBy } : {}) })),
    files, packages, osRelease: {},
  };
}

test("packages: added, removed and changed with both versions, sorted by name", () => {
  const a = image({ files: [], packages: [["redis-server", "5:7.0.15-1~deb12u10"], ["perl-base", "5.36"], ["libc6", "2.36-9"]] });
  const b = image({ files: [], packages: [["redis-server", "5:7.0.15-1~deb12u7"], ["libc6", "2.36-9"], ["gosu", "1.14"]] });
  const d = diffImages(a, b);
  assert.deepEqual(d.packages, {
    added: [{ name: "gosu", version: "1.14" }],
    removed: [{ name: "perl-base", version: "5.36" }],
    changed: [{ name: "redis-server", from: "5:7.0.15-1~deb12u10", to: "5:7.0.15-1~deb12u7" }],
  });
  assert.match(formatDiff(d), /~ redis-server 5:7\.0\.15-1~deb12u10 → 5:7\.0\.15-1~deb12u7/);
});

test("files: content by hash even at equal size, size, type, link target, mode and owner", () => {
  const a = image({
    files: [
      { path: "usr/bin/same", size: 10, sha256: "aa" },
      { path: "usr/bin/content", size: 10, sha256: "aa" },
      { path: "usr/bin/grown", size: 10, sha256: "aa" },
      { path: "usr/bin/typed", size: 10, sha256: "aa" },
      { path: "usr/bin/link", kind: "symlink", linkname: "one" },
      { path: "usr/bin/moded", size: 1, sha256: "cc", mode: 0o644 },
      { path: "usr/bin/owned", size: 1, sha256: "cc", uid: 0 },
      { path: "usr/bin/gone", size: 7, sha256: "dd" },
      { path: "usr/share/empty", kind: "dir" },
    ],
  });
  const b = image({
    files: [
      { path: "usr/bin/same", size: 10, sha256: "aa" },
      { path: "usr/bin/content", size: 10, sha256: "bb" },
      { path: "usr/bin/grown", size: 12, sha256: "bb" },
      { path: "usr/bin/typed", kind: "symlink", linkname: "same" },
      { path: "usr/bin/link", kind: "symlink", linkname: "two" },
      { path: "usr/bin/moded", size: 1, sha256: "cc", mode: 0o755 },
      { path: "usr/bin/owned", size: 1, sha256: "cc", uid: 999 },
      { path: "usr/bin/new", size: 5, sha256: "ee" },
    ],
  });
  const d = diffImages(a, b);
  const byPath = new Map(d.files.map((f) => [f.path, f]));
  assert.equal(byPath.has("usr/bin/same"), false);
  assert.deepEqual(byPath.get("usr/bin/content")?.how, ["content"]);
  assert.deepEqual(byPath.get("usr/bin/grown")?.how, ["size", "content"]);
  assert.deepEqual(byPath.get("usr/bin/typed")?.how, ["type"]);
  assert.deepEqual(byPath.get("usr/bin/link")?.how, ["link target"]);
  assert.deepEqual(byPath.get("usr/bin/moded")?.how, ["mode"]);
  assert.deepEqual(byPath.get("usr/bin/owned")?.how, ["owner"]);
  assert.equal(byPath.get("usr/bin/gone")?.change, "removed");
  assert.equal(byPath.get("usr/bin/new")?.change, "added");
  // A directory that vanished is not listed as a file.
  assert.equal(byPath.has("usr/share/empty"), false);
  assert.deepEqual(d.files.map((f) => f.path), [...d.files.map((f) => f.path)].sort());
  const text = formatDiff(d);
  // +2 grown, -10 typed (now a symlink), +5 new, -7 gone.
  assert.match(text, /files: 1 added, 1 removed, 6 changed \(-10 B\)/);
  assert.match(text, /~ usr\/bin\/link: link one → two/);
  assert.match(text, /~ usr\/bin\/grown: size 10 B → 12 B, content/);
});

test("without hashes, equal sizes count as equal; a hardlink compares its target's content", () => {
  const a = image({ files: [{ path: "a", size: 3 }, { path: "t", size: 3, sha256: "11" }, { path: "h", kind: "hardlink", linkname: "t" }] });
  const b = image({ files: [{ path: "a", size: 3 }, { path: "t", size: 3, sha256: "22" }, { path: "h", kind: "hardlink", linkname: "t" }] });
  assert.deepEqual(diffImages(a, b).files.map((f) => [f.path, f.how]), [["h", ["content"]], ["t", ["content"]]]);
});

test("groups: per owning package, else per directory (three levels), biggest change first", () => {
  const a = image({ files: [{ path: "usr/bin/redis-server", size: 1000, sha256: "a" }, { path: "var/lib/dpkg/status", size: 50, sha256: "a" }], packages: [["redis-server", "1", ["usr/bin/redis-server"]]] });
  const b = image({
    files: [{ path: "usr/bin/redis-server", size: 1500, sha256: "b" }, { path: "var/lib/dpkg/status", size: 60, sha256: "b" }, { path: "var/lib/dpkg/info/gosu.list", size: 20, sha256: "c" }],
    packages: [["redis-server", "2", ["usr/bin/redis-server"]]],
  });
  const d = diffImages(a, b);
  assert.deepEqual(d.groups, [
    { name: "redis-server", by: "package", added: 0, removed: 0, changed: 1, delta: 500 },
    { name: "var/lib/dpkg", by: "directory", added: 1, removed: 0, changed: 1, delta: 30 },
  ]);
  assert.equal(directoryOf("etc/passwd"), "etc");
  assert.equal(directoryOf("top"), "/");
  assert.equal(directoryOf("usr/share/doc/x/copyright"), "usr/share/doc");
  const text = formatDiff(d, { files: 1 });
  assert.match(text, /redis-server\s+1 changed\s+\+500 B/);
  assert.match(text, /first 1 of 3:/);
  assert.match(text, /… and 1 more/);
});

test("layers: matched by diff_id, the rest only in A or only in B with size and created_by", () => {
  const a = image({ files: [], layers: [{ digest: "sha256:g1", diffId: "sha256:d1", size: 100 }, { digest: "sha256:g2", diffId: "sha256:d2", size: 200, createdBy: "redis-server 1" }] });
  const b = image({ files: [], layers: [{ digest: "sha256:x1", diffId: "sha256:d1", size: 100 }, { digest: "sha256:g3", diffId: "sha256:d3", size: 250, createdBy: "redis-server 2" }] });
  const d = diffImages(a, b);
  // Different compressed digests, same diff_id (a docker-archive against an OCI tar): one layer.
  assert.deepEqual(d.layers.shared.map((s) => [s.a.index, s.b.index]), [[0, 0]]);
  assert.deepEqual(d.layers.onlyA, [{ index: 1, digest: "sha256:g2", size: 200, createdBy: "redis-server 1" }]);
  assert.deepEqual(d.layers.onlyB, [{ index: 1, digest: "sha256:g3", size: 250, createdBy: "redis-server 2" }]);
  assert.deepEqual([d.size.storedA, d.size.storedB], [300, 350]);
  assert.equal(d.identical, false);
  const text = formatDiff(d);
  assert.match(text, /- #1 sha256:g2 200 B  redis-server 1/);
  assert.match(text, /\+ #1 sha256:g3 250 B  redis-server 2/);
  assert.match(text, /layers on one side only: \+50 B stored/);
  assert.match(text, /size: 300 B → 350 B stored \(\+50 B\)/);
});

test("layers: without diff_ids on one side, by digest", () => {
  const a = image({ files: [], layers: [{ digest: "sha256:g1", diffId: "sha256:d1", size: 1 }] });
  const b = image({ files: [], layers: [{ digest: "sha256:g1", size: 1 }] });
  assert.equal(diffImages(a, b).layers.shared.length, 1);
});

test("config: leaf differences, not rootfs or history; the same manifest digest is identical", () => {
  const a = image({ files: [], config: { config: { Cmd: ["redis-server"], Env: ["A=1"] }, history: [{ created_by: "x" }] } });
  const b = image({ files: [], config: { config: { Cmd: ["redis-server"], Env: ["A=2", "B=1"], User: "redis" }, history: [{ created_by: "y" }] } });
  assert.deepEqual(diffImages(a, b).config, [
    { path: "config.Env[0]", a: "A=1", b: "A=2" },
    { path: "config.Env[1]", b: "B=1" },
    { path: "config.User", b: "redis" },
  ]);
  assert.match(formatDiff(diffImages(a, b)), /config\.User: \(absent\) → "redis"/);
  const same = diffImages(image({ digest: "sha256:m", files: [{ path: "a", size: 1 }] }), image({ digest: "sha256:m", files: [{ path: "a", size: 1 }] }));
  assert.equal(same.identical, true);
  assert.match(formatDiff(same), /no differences: the same manifest sha256:m/);
  assert.deepEqual(jsonDifferences({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }), [{ path: "a[1].b", a: 2, b: 3 }]);
});

test("signed sizes", () => {
  assert.equal(signed(1500), "+1.5 kB");
  assert.equal(signed(-2_500_000), "-2.5 MB");
  assert.equal(signed(0), "±0 B");
});
