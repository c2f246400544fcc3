// A small hand-made InspectedImage for the size, treemap and report tests: two layers, two
// packages, a file rewritten and one removed in the upper layer.
import type { EntryKind, FinalFile, InspectedImage, InstalledPackage, LayerEntry } from "./model.js";
import { resolutionOf } from "../debian/resolution.js";
import type { FromDefinition } from "./inspected.js";

const e = (path: string, size: number, kind: EntryKind = "file"): LayerEntry => ({ path, kind, size, mode: 0o644, uid: 0, gid: 0 });

export function sizeFixture(): InspectedImage {
  const layer0 = [e("etc", 0, "dir"), e("etc/passwd", 100), e("usr/lib/libc.so.6", 2000), e("usr/share/doc/libc6/copyright", 50), e("tmp/junk", 300)];
  const layer1 = [e("etc/passwd", 120), e("usr/bin/app", 5000), e("usr/share/app/data", 700), e("usr/share/app/<odd & name>", 30), e("tmp/junk", 0, "whiteout")];
  const file = (path: string, size: number, layer: number, pkg?: string): [string, FinalFile] => [path, { path, kind: "file", size, layer, ...(pkg ? { package: pkg } : {}) }];
  const files = new Map<string, FinalFile>([
    ["etc", { path: "etc", kind: "dir", size: 0, layer: 0 }],
    file("etc/passwd", 120, 1),
    file("usr/lib/libc.so.6", 2000, 0, "libc6"),
    file("usr/share/doc/libc6/copyright", 50, 0, "libc6"),
    file("usr/bin/app", 5000, 1, "app"),
    file("usr/share/app/data", 700, 1, "app"),
    file("usr/share/app/<odd & name>", 30, 1, "app"),
  ]);
  const pkg = (name: string, dependsOn: string[], owned: string[]): InstalledPackage => ({
    name, version: "1.0-1", architecture: "amd64", source: name, depends: dependsOn.join(", "), dependsOn, files: owned,
    size: owned.reduce((n, f) => n + files.get(f)!.size, 0),
  });
  const sum = (l: LayerEntry[]) => l.reduce((n, x) => n + x.size, 0);
  return {
    reference: "demo:1",
    config: {},
    layers: [
      { index: 0, digest: "sha256:" + "a".repeat(64), storedSize: 900, contentSize: sum(layer0), tarSize: sum(layer0) + 5 * 512 + 1024, entries: layer0, createdBy: "base" },
      { index: 1, digest: "sha256:" + "b".repeat(64), storedSize: 2500, contentSize: sum(layer1), entries: layer1, createdBy: "RUN make install" },
    ],
    files,
    packages: [
      pkg("app", ["libc6"], ["usr/bin/app", "usr/share/app/<odd & name>", "usr/share/app/data"]),
      pkg("libc6", [], ["usr/lib/libc.so.6", "usr/share/doc/libc6/copyright"]),
    ],
    osRelease: {},
  };
}

/** What a definition would add: the export's resolution, from names, versions and edges alone. */
export function definitionFixture(exportName: string, roots: string[], resolved: [name: string, version: string][], edges: [string, string][]): FromDefinition {
  const packages = resolved.map(([name, version]) => ({ name, version, architecture: "amd64", filename: `pool/${name}.deb`, sha256: "0".repeat(64), size: 1, suite: "bookworm", component: "main" }));
  const request = { architecture: "amd64", sources: "host", roots: [...roots].sort() };
  return { exportName, resolution: resolutionOf({ request, packages, edges: edges.map(([from, to]) => ({ from, to })), distribution: { origin: "Debian", codename: "bookworm" } }) };
}
