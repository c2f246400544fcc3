import assert from "node:assert/strict";
import { test } from "node:test";
import { alternativesMap, configProgram, findProgram, pathOf, programCandidates, wrapperProgram } from "./programs.js";
import { PathIndex } from "./pathindex.js";
import { wrapperScript } from "../define/wrapper.js";

/** A merged-/usr image: nginx in /usr/sbin, convert behind alternatives, a script with a link to it. */
function image(): PathIndex {
  const index = new PathIndex();
  for (const d of ["bin", "sbin", "lib", "lib64"]) index.add(d, { type: "symlink", linkname: `usr/${d}`, owner: "" });
  index.add("usr/sbin/nginx", { type: "file", owner: "nginx" });
  index.add("usr/bin/convert-im6.q16", { type: "file", owner: "imagemagick-6.q16" });
  index.add("usr/bin/dash", { type: "file", owner: "dash" });
  index.add("usr/bin/sh", { type: "symlink", linkname: "dash", owner: "dash" });
  index.add("app/server", { type: "file", owner: "(your files)" });
  index.add("opt/tool/bin/run", { type: "symlink", linkname: "../libexec/run.sh", owner: "tool" });
  index.add("opt/tool/libexec/run.sh", { type: "file", owner: "tool" });
  index.add("usr/local/bin", { type: "dir", owner: "" });
  return index;
}

test("Entrypoint's first word wins over Cmd's; shell form names the shell; nothing to run gives nothing", () => {
  assert.deepEqual(configProgram({ Entrypoint: ["/docker-entrypoint.sh"], Cmd: ["redis-server"] })?.word, "/docker-entrypoint.sh");
  assert.equal(configProgram({ Entrypoint: ["/docker-entrypoint.sh"] })?.label, "Entrypoint");
  const shell = configProgram({ Cmd: ["sh", "-c", "exec nginx -g 'daemon off;'"] });
  assert.equal(shell?.label, "Cmd");
  assert.equal(shell?.word, "sh");
  assert.equal(configProgram({ Entrypoint: [], Cmd: [] }), undefined);
  assert.equal(configProgram({}), undefined);
});

test("a bare name is looked up on the Env's PATH (Debian's by default); a name with a slash is taken from WorkingDir", () => {
  assert.deepEqual(pathOf(undefined), ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
  // The last PATH= is the one a process sees.
  assert.deepEqual(pathOf(["PATH=/a", "X=1", "PATH=/opt/tool/bin:/usr/bin"]), ["/opt/tool/bin", "/usr/bin"]);
  assert.deepEqual(programCandidates("nginx", ["/usr/sbin", "/usr/bin", "/usr/sbin"]), ["/usr/sbin/nginx", "/usr/bin/nginx"]);
  assert.deepEqual(programCandidates("./server", ["/usr/bin"], "/app"), ["/app/server"]);
  assert.deepEqual(programCandidates("bin/server", ["/usr/bin"], "/app"), ["/app/bin/server"]);
  assert.deepEqual(programCandidates("/app/server", ["/usr/bin"], "/data"), ["/app/server"]);
  // An empty PATH entry is the working directory.
  assert.deepEqual(programCandidates("run", ["", "/usr/bin"], "/work"), ["/work/run", "/usr/bin/run"]);
  assert.deepEqual(configProgram({ Cmd: ["./server"], WorkingDir: "/app" })?.candidates, ["/app/server"]);
});

test("the program is found through the /usr-merge links and its own symlinks, owned by who ships each hop", () => {
  const index = image();
  const nginx = findProgram(configProgram({ Cmd: ["nginx", "-g", "daemon off;"] })!.candidates, index);
  assert.equal(nginx?.path, "/usr/sbin/nginx");
  assert.deepEqual(nginx?.lookup.owners, ["nginx"]);
  // /sbin/nginx, as a user might write it, goes through the sbin → usr/sbin link.
  assert.equal(findProgram(["/sbin/nginx"], index)?.lookup.path, "/usr/sbin/nginx");
  const sh = findProgram(programCandidates("sh", pathOf(undefined)), index);
  assert.equal(sh?.lookup.path, "/usr/bin/dash");
  const run = findProgram(programCandidates("run", pathOf(["PATH=/opt/tool/bin:/usr/bin"])), index);
  assert.equal(run?.lookup.path, "/opt/tool/libexec/run.sh");
  assert.deepEqual(run?.lookup.owners, ["tool"]);
  assert.equal(findProgram(["/app/server"], index)?.lookup.owners[0], "(your files)");
  // Not there at all, or only a directory of that name.
  assert.equal(findProgram(programCandidates("redis-server", pathOf(undefined)), index), undefined);
  assert.equal(findProgram(["/usr/local/bin"], index), undefined);
});

test("alternatives links no package lists lead to the best candidate that is there", () => {
  const index = image();
  const alts = alternativesMap([
    { link: "/usr/bin/convert", path: "/usr/bin/convert-im7.q16", priority: 20000 },
    { link: "/usr/bin/convert", path: "/usr/bin/convert-im6.q16", priority: 10000 },
    { link: "/usr/bin/awk", path: "/usr/bin/mawk", priority: 5 },
  ]);
  assert.deepEqual(alts.get("usr/bin/convert"), ["/usr/bin/convert-im7.q16", "/usr/bin/convert-im6.q16"]);
  const found = findProgram(programCandidates("convert", pathOf(undefined)), index, alts);
  assert.equal(found?.path, "/usr/bin/convert");
  assert.equal(found?.lookup.path, "/usr/bin/convert-im6.q16");
  assert.deepEqual(found?.lookup.owners, ["imagemagick-6.q16"]);
  // /bin/convert is the same link on a merged system.
  assert.equal(findProgram(["/bin/convert"], index, alts)?.lookup.path, "/usr/bin/convert-im6.q16");
  // Without the alternatives, convert is nowhere; an alternative whose targets are all absent neither.
  assert.equal(findProgram(programCandidates("convert", pathOf(undefined)), index), undefined);
  assert.equal(findProgram(programCandidates("awk", pathOf(undefined)), index, alts), undefined);
});

test("the program a makeWrapper script runs is read back from its exec line, quotes and all", () => {
  assert.equal(wrapperProgram(wrapperScript("/usr/bin/java", { addFlags: ["-jar", "/app/x.jar"], set: { A: "b" } })), "/usr/bin/java");
  assert.equal(wrapperProgram(wrapperScript("/opt/it's here/run", {})), "/opt/it's here/run");
  assert.equal(wrapperProgram("#!/bin/sh\nexec '/usr/bin/java'\n"), undefined, "only cairn's own wrappers are read");
});

test("busybox's applet links stand only where no package ships the command", () => {
  const index = image();
  index.addFallback("usr/bin/sh", { type: "symlink", linkname: "busybox", owner: "busybox" });
  index.addFallback("usr/bin/ls", { type: "symlink", linkname: "busybox", owner: "busybox" });
  index.add("usr/bin/busybox", { type: "file", owner: "busybox" });
  assert.deepEqual(findProgram(["/bin/sh"], index)?.lookup.owners, ["dash"], "dash's sh was there first");
  assert.deepEqual(findProgram(["/bin/ls"], index)?.lookup.owners, ["busybox"]);
  // coreutils listed later still wins over the applet.
  index.add("usr/bin/ls", { type: "file", owner: "coreutils" });
  assert.deepEqual(findProgram(["/bin/ls"], index)?.lookup.owners, ["coreutils"]);
});
