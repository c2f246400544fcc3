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

test("what Cmd runs is kept though it only ships programs; a transitional root brings what it declares", async () => {
  const { index, analyses, edges } = fixture();
  // adduser ships only programs, so nothing keeps it — unless the image runs it.
  const r = await runtimeClosure(inputs(analyses, { edges, roots: ["app"], wanted: [["adduser", "Cmd runs adduser"]], keep: [], exclude: [], index, architecture: "amd64" }));
  assert.deepEqual(r.keptBecause.get("adduser"), ["Cmd runs adduser"]);
  assert.ok(r.kept.includes("perl-base"), "what the wanted package uses comes with it");
  // An excluded package stays out even when wanted: the build's own checks then say why.
  const ex = await runtimeClosure(inputs(analyses, { edges, roots: ["app"], wanted: [["adduser", "Cmd runs adduser"]], keep: [], exclude: ["adduser"], index, architecture: "amd64" }));
  assert.ok(!ex.kept.includes("adduser"));

  // toolbox-light ships nothing and declares toolbox, which ships only programs.
  analyses.set("toolbox-light", analysis({}));
  const transitional = [...edges, ["toolbox-light", "toolbox"] as [string, string]];
  const t = await runtimeClosure(inputs(analyses, { edges: transitional, roots: ["toolbox-light"], keep: [], exclude: [], index, architecture: "amd64", isEmpty: (n) => n === "toolbox-light" }));
  assert.deepEqual(t.kept, ["toolbox", "toolbox-light"]);
  assert.deepEqual(t.keptBecause.get("toolbox"), ["toolbox-light"]);
  const notEmpty = await runtimeClosure(inputs(analyses, { edges: transitional, roots: ["toolbox-light"], keep: [], exclude: [], index, architecture: "amd64", isEmpty: () => false }));
  assert.deepEqual(notEmpty.kept, ["toolbox-light"]);
});

test("the user's files' #! and wrapped programs are looked for in the whole closure, listed lazily", async () => {
  const { analyses, edges } = fixture();
  const files: Record<string, [string, string?][]> = {
    python3: [["usr/bin/python3", "python3.11"]], "python3.11": [["usr/bin/python3.11"]], toolbox: [["usr/bin/tool-real"]], "perl-base": [["usr/bin/perl"]],
  };
  const all = [...analyses.keys()];
  // Only what the closure lists is in the index; here nothing is listed until the closure asks.
  const run = async (user: PackageAnalysis) => {
    const index = new PathIndex();
    for (const d of ["bin", "lib", "lib64", "sbin"]) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
    const expand = async (names: string[]) => {
      for (const n of names) for (const [p, to] of files[n] ?? []) index.add(p, to ? { type: "symlink", linkname: to, owner: n } : { type: "file", owner: n });
    };
    const withUser = new Map([...analyses, ["(your files)", user]]);
    return runtimeClosure({ ...inputs(withUser, { edges, roots: ["(your files)"], keep: [], exclude: [], index, architecture: "amd64" }), expand, all });
  };
  const script = await run(analysis({ programs: true, files: [{ path: "app/run.py", shebang: { interpreter: "/usr/bin/python3" } }] }));
  assert.deepEqual(script.kept, ["(your files)", "python3", "python3.11"]);
  const wrapper = await run(analysis({ programs: true, files: [{ path: "usr/bin/wrapped", shebang: { interpreter: "/usr/bin/perl" }, runs: "/usr/bin/tool-real" }] }));
  assert.deepEqual(wrapper.kept, ["(your files)", "perl-base", "toolbox"]);
  assert.ok(wrapper.references.get("toolbox")!.some((x) => x.ref.kind === "runs" && x.ref.file === "usr/bin/wrapped"));
});

test("a link into a file a maintainer script would make keeps that package, and what the file is made from", async () => {
  // The JRE's cacerts link points at the keystore ca-certificates-java's script writes from ca-certificates' CAs.
  const index = new PathIndex();
  index.add("usr/lib/jvm/jre/lib/security/cacerts", { type: "symlink", linkname: "/etc/ssl/certs/java/cacerts", owner: "jre" });
  index.add("etc/ssl/certs/java/cacerts", { type: "file", owner: "ca-certificates-java" });
  index.add("usr/sbin/update-ca-certificates", { type: "file", owner: "ca-certificates" });
  const analyses = new Map<string, PackageAnalysis>([
    ["jre", analysis({ programs: true })],
    ["ca-certificates-java", analysis({ programs: true })],
    ["ca-certificates", analysis({ programs: true })],
  ]);
  const edges: [string, string][] = [["jre", "ca-certificates-java"], ["ca-certificates-java", "ca-certificates"]];
  const base = { edges, roots: ["jre"], keep: [], exclude: [], index, architecture: "amd64" };
  const without = await runtimeClosure(inputs(analyses, base));
  assert.deepEqual(without.kept, ["ca-certificates-java", "jre"], "the link alone keeps the keystore's package");
  const r = await runtimeClosure(inputs(analyses, { ...base, madeFrom: new Map([["ca-certificates-java", ["ca-certificates"]]]) }));
  assert.deepEqual(r.kept, ["ca-certificates", "ca-certificates-java", "jre"]);
  assert.deepEqual(r.keptBecause.get("ca-certificates"), ["ca-certificates-java"]);
  const excluded = await runtimeClosure(inputs(analyses, { ...base, exclude: ["ca-certificates-java"], madeFrom: new Map([["ca-certificates-java", ["ca-certificates"]]]) }));
  assert.deepEqual(excluded.kept, ["jre"]);
});
