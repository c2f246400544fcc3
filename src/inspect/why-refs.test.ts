import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { layerOf } from "../image/layer.js";
import type { DiffId, Digest, ImageView } from "../image/types.js";
import { inspect, type FinalFile, type InspectedImage } from "./model.js";
import { ownersOf, referencesTo, resolveInImage, scanFileUses, type FileUse } from "./why-refs.js";

type Spec = [path: string, kind: FinalFile["kind"], pkg?: string, linkname?: string];

function image(specs: Spec[], env?: string[]): InspectedImage {
  const files = new Map<string, FinalFile>(specs.map(([path, kind, pkg, linkname]) => [path, { path, kind, size: 0, layer: 0, ...(pkg ? { package: pkg } : {}), ...(linkname ? { linkname } : {}) }]));
  return { reference: "t", config: env ? { config: { Env: env } } : {}, layers: [], files, packages: [], osRelease: {} };
}

// A merged-/usr Debian image, link targets as the model keeps them (no leading "/").
const img = image([
  ["usr", "dir"], ["usr/bin", "dir"], ["usr/lib", "dir"], ["usr/lib64", "dir"], ["usr/lib/x86_64-linux-gnu", "dir"],
  ["bin", "symlink", undefined, "usr/bin"], ["lib", "symlink", "libc6", "usr/lib"], ["lib64", "symlink", "libc6", "usr/lib64"],
  ["usr/lib64/ld-linux-x86-64.so.2", "symlink", "libc6", "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
  ["usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "file", "libc6"],
  ["usr/lib/x86_64-linux-gnu/libc.so.6", "file", "libc6"],
  ["usr/lib/x86_64-linux-gnu/libssl.so.3", "file", "libssl3"],
  ["usr/bin/python3", "symlink", "python3-minimal", "python3.11"], ["usr/bin/python3.11", "file", "python3.11-minimal"],
  ["usr/bin/app", "file", "app"], ["usr/bin/app2", "hardlink", "app", "usr/bin/app"], ["usr/bin/run", "symlink", "app", "app2"],
  ["usr/bin/script", "file", "app"], ["loop-a", "symlink", undefined, "loop-b"], ["loop-b", "symlink", undefined, "loop-a"],
]);
const uses: FileUse[] = [
  { path: "usr/bin/app", needed: ["libssl.so.3", "libc.so.6"], interpreter: "/lib64/ld-linux-x86-64.so.2" },
  { path: "usr/bin/script", needed: [], shebang: "python3" },
  { path: "usr/lib/x86_64-linux-gnu/libssl.so.3", needed: ["libc.so.6"] },
];

describe("resolveInImage", () => {
  test("follows symlinks in every component, relative or from the root", () => {
    assert.deepEqual(resolveInImage(img.files, "/lib64/ld-linux-x86-64.so.2"), {
      path: "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", via: ["lib64", "usr/lib64/ld-linux-x86-64.so.2", "lib"],
    });
    assert.deepEqual(resolveInImage(img.files, "/bin/python3"), { path: "usr/bin/python3.11", via: ["bin", "usr/bin/python3"] });
    assert.equal(resolveInImage(img.files, "/usr/bin/missing"), undefined);
    assert.equal(resolveInImage(img.files, "loop-a"), undefined);
  });

  test("owners are every package on the way", () => {
    assert.deepEqual(ownersOf(img.files, "/bin/python3"), ["python3-minimal", "python3.11-minimal"]);
  });
});

describe("referencesTo", () => {
  test("sonames and the loader of libc6, not counting a package's own files", () => {
    assert.deepEqual(referencesTo(img, uses, "libc6"), [
      { path: "/usr/bin/app", needed: ["libc.so.6"], interpreter: "/lib64/ld-linux-x86-64.so.2", aliases: ["/usr/bin/app2", "/usr/bin/run"] },
      { path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", needed: ["libc.so.6"], aliases: [] },
    ]);
    assert.deepEqual(referencesTo(img, uses, "libssl3").map((r) => r.path), ["/usr/bin/app"]);
    assert.deepEqual(referencesTo(img, uses, "app"), []);
  });

  test("a script's interpreter, looked up on the image's PATH", () => {
    for (const pkg of ["python3-minimal", "python3.11-minimal"]) {
      assert.deepEqual(referencesTo(img, uses, pkg), [{ path: "/usr/bin/script", needed: [], shebang: "python3", aliases: [] }]);
    }
    const noPath = image([...img.files.values()].map((f) => [f.path, f.kind, f.package, f.linkname] as Spec), ["PATH=/opt/bin"]);
    assert.deepEqual(referencesTo(noPath, uses, "python3-minimal"), []);
  });
});

describe("scanFileUses", () => {
  test("reads ELF needs and executable scripts of the final filesystem from the layers", async () => {
    const tar = await import("tar-stream");
    const elf = readFileSync("/usr/bin/true"); // a small dynamically linked program on any Debian
    const layer = async (entries: [string, Buffer | string, number, string?][]) => {
      const pack = tar.pack();
      for (const [name, body, mode, linkname] of entries) {
        if (linkname) pack.entry({ name, type: "symlink", linkname, mode });
        else pack.entry({ name, mode }, typeof body === "string" ? Buffer.from(body) : body);
      }
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
      return Buffer.concat(chunks);
    };
    const layers = [
      await layer([
        ["usr/bin/prog", elf, 0o755], ["usr/bin/tool", "#!/usr/bin/env -S python3 -u\nprint(1)\n", 0o755],
        ["usr/share/doc/example", "#!/bin/sh\n", 0o644], ["usr/bin/replaced", elf, 0o755], ["usr/bin/alias", "", 0o777, "prog"],
      ]),
      await layer([["usr/bin/replaced", "plain text now", 0o755]]),
    ];
    const source: ImageView = {
      repoTags: ["t"], config: Buffer.from("{}"),
      layers: layers.map((b, i) => layerOf({ digest: `sha256:${i}` as Digest, diffId: `sha256:${i}` as DiffId, size: b.length, mediaType: "application/vnd.oci.image.layer.v1.tar", compressed: () => Readable.from(chunked(b)) })),
    };
    const found = await scanFileUses(source, await inspect(source));
    assert.deepEqual(found.map((u) => u.path), ["usr/bin/prog", "usr/bin/tool"]);
    assert.ok(found[0]!.needed.includes("libc.so.6"), `prog needs ${found[0]!.needed.join(", ")}`);
    assert.match(found[0]!.interpreter ?? "", /ld-linux/);
    assert.equal(found[1]!.shebang, "python3");
  });
});

/** As a file stream delivers it: 64 KiB at a time. */
function* chunked(b: Buffer): Generator<Buffer> {
  for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536);
}
