import assert from "node:assert/strict";
import { test } from "node:test";
import type { PackageAnalysis } from "./analysis.js";
import { PathIndex } from "./pathindex.js";
import { libraryDirs, runtimeClosure, type ClosureInput } from "./runtime.js";

/** The closure's inputs from fully known analyses, as the pipeline gives them. */
function inputs(analyses: Map<string, PackageAnalysis>, rest: Omit<ClosureInput, "shapes" | "analyse" | "dirs">): ClosureInput {
  return {
    ...rest,
    shapes: new Map([...analyses].map(([n, a]) => [n, { programs: a.programs, modules: a.modules }])),
    analyse: async (n) => analyses.get(n)!,
    dirs: () => libraryDirs([], "amd64"),
  };
}

const LIBDIR = "usr/lib/x86_64-linux-gnu";

function analysis(p: Partial<PackageAnalysis>): PackageAnalysis {
  return { files: [], programs: false, modules: [], uses: [], ldSoConf: [], ...p };
}

/** A small image: a root program, its libraries, a module package, and install-time tools. */
function fixture() {
  const index = new PathIndex();
  for (const d of ["bin", "lib", "lib64", "sbin"]) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
  const file = (p: string, owner: string) => index.add(p, { type: "file", owner });
  const link = (p: string, to: string, owner: string) => index.add(p, { type: "symlink", linkname: to, owner });
  file("usr/lib64/ld-linux-x86-64.so.2", "libc6");
  file(`${LIBDIR}/libc.so.6`, "libc6");
  file(`${LIBDIR}/libfoo.so.1.0`, "libfoo1");
  link(`${LIBDIR}/libfoo.so.1`, "libfoo.so.1.0", "libfoo1");
  file("usr/bin/app", "app");
  file("usr/bin/app-helper", "app");
  link("usr/bin/app-tool", "tool-real", "app");
  file("usr/bin/tool-real", "toolbox");
  file("usr/bin/python3.11", "python3.11");
  link("usr/bin/python3", "python3.11", "python3");
  file("usr/lib/python3/dist-packages/mod/__init__.py", "python3-mod");
  file("usr/sbin/adduser", "adduser");
  file("usr/share/perl5/Debian/Adduser.pm", "adduser");
  file("usr/share/zoneinfo/UTC", "tzdata");
  file("usr/bin/perl", "perl-base");

  const elf = (needed: string[], interpreter = "/lib64/ld-linux-x86-64.so.2") => ({ interpreter, needed, rpath: [], runpath: [] });
  const analyses = new Map<string, PackageAnalysis>([
    ["app", analysis({ programs: true, files: [{ path: "usr/bin/app", elf: elf(["libfoo.so.1", "libc.so.6"]) }, { path: "usr/bin/app-helper", shebang: { interpreter: "/usr/bin/python3" } }], uses: ["python"] })],
    ["libc6", analysis({ files: [{ path: `${LIBDIR}/libc.so.6`, elf: { needed: [], rpath: [], runpath: [] } }] })],
    ["libfoo1", analysis({ files: [{ path: `${LIBDIR}/libfoo.so.1.0`, elf: { needed: ["libc.so.6"], rpath: [], runpath: [] } }] })],
    ["toolbox", analysis({ programs: true })],
    ["python3", analysis({ programs: true })],
    ["python3.11", analysis({ programs: true, files: [{ path: "usr/bin/python3.11", elf: elf(["libc.so.6"]) }], modules: ["python"], uses: ["python"] })],
    ["python3-mod", analysis({ modules: ["python"], uses: ["python"], programs: false })],
    ["adduser", analysis({ programs: true, modules: ["perl"], uses: ["perl"] })],
    ["perl-base", analysis({ programs: true, modules: ["perl"], uses: ["perl"] })],
    ["tzdata", analysis({ programs: false })],
  ]);
  const edges: [string, string][] = [
    ["app", "libfoo1"], ["app", "adduser"], ["app", "python3-mod"], ["app", "tzdata"], ["app", "libc6"],
    ["adduser", "perl-base"], ["python3-mod", "python3"], ["python3", "python3.11"],
  ];
  return { index, analyses, edges };
}

test("keeps what the files reference and what interpreters load; leaves out install-time tools", async () => {
  const { index, analyses, edges } = fixture();
  const r = await runtimeClosure(inputs(analyses, { edges, roots: ["app"], keep: [], exclude: [], index, architecture: "amd64" }));
  assert.deepEqual(r.kept, ["app", "libc6", "libfoo1", "python3", "python3-mod", "python3.11", "toolbox", "tzdata"]);
  assert.deepEqual(r.leftOut.map((l) => l.name), ["adduser", "perl-base"]);
  assert.match(r.leftOut[0]!.reason, /declared by app, but only its programs/);
  assert.match(r.leftOut[1]!.reason, /only needed by packages that are left out \(adduser\)/);
  // Reasons: libfoo1 through app's ELF needs; toolbox through a symlink; python3.11 through the python3 link.
  assert.deepEqual(r.keptBecause.get("libfoo1"), ["app"]);
  assert.deepEqual(r.keptBecause.get("toolbox"), ["app"]);
  const libfooRefs = r.references.get("libfoo1")!;
  assert.deepEqual(libfooRefs.map((x) => [x.from, x.ref.file, x.ref.kind, x.ref.target]), [["app", "usr/bin/app", "needed", "libfoo.so.1"]]);
  assert.ok(r.references.get("python3.11")!.some((x) => x.ref.kind === "shebang" && x.ref.file === "usr/bin/app-helper"));
});

test("keep and exclude override the closure", async () => {
  const { index, analyses, edges } = fixture();
  const r = await runtimeClosure(inputs(analyses, { edges, roots: ["app"], keep: ["adduser"], exclude: ["tzdata"], index, architecture: "amd64" }));
  assert.ok(r.kept.includes("adduser"));
  assert.ok(!r.kept.includes("tzdata"));
  assert.deepEqual(r.leftOut.find((l) => l.name === "tzdata")?.reason, "excluded by the definition");
  // adduser kept on request does not pull perl-base by itself: nothing of it is referenced, and
  // adduser's own declared dependency is a program package whose modules adduser's uses (perl) match.
  assert.ok(r.kept.includes("perl-base"), "adduser uses perl, so perl-base's perl modules are kept for it");
});

test("the result does not depend on the order of the inputs", async () => {
  const a = fixture();
  const b = fixture();
  const shuffled = new Map([...b.analyses].reverse());
  const r1 = await runtimeClosure(inputs(a.analyses, { edges: a.edges, roots: ["app"], keep: [], exclude: [], index: a.index, architecture: "amd64" }));
  const r2 = await runtimeClosure(inputs(shuffled, { edges: [...b.edges].reverse(), roots: ["app"], keep: [], exclude: [], index: b.index, architecture: "amd64" }));
  assert.deepEqual(r1.kept, r2.kept);
  assert.deepEqual(r1.leftOut, r2.leftOut);
});
