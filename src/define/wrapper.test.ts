import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../errors.js";
import { makeWrapper, quote, wrapperScript, type WrapperOptions } from "./wrapper.js";

/** Every shell-special thing a value can hold. */
const NASTY = `it's "quoted" $HOME \`echo no\` $(echo no) a  b \\ *\nline2`;

/** Writes a fake program and the wrapper around it; `call` runs `sh WRAPPER args…` with `env`. */
function setUp(t: { after: (fn: () => void) => void }, options: WrapperOptions) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-wrapper-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const program = path.join(dir, "program");
  // Brackets keep empty arguments, spaces and newlines visible.
  fs.writeFileSync(program, `#!/bin/sh
for a in "$@"; do printf 'arg[%s]\\n' "$a"; done
printf 'FOO[%s]\\n' "\${FOO-unset}"
printf 'BAR[%s]\\n' "\${BAR-unset}"
printf 'PATH[%s]\\n' "\${PATH-unset}"
printf 'PWD[%s]\\n' "$(pwd)"
`, { mode: 0o755 });
  const wrapper = path.join(dir, "wrapper");
  fs.writeFileSync(wrapper, wrapperScript(program, options));
  const call = (args: string[], env: Record<string, string> = {}) =>
    execFileSync("/bin/sh", [wrapper, ...args], { env: { PATH: "/usr/bin:/bin", ...env }, cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { dir, program, call };
}

const field = (out: string, name: string) => [...out.matchAll(new RegExp(`^${name}\\[([^\\]]*)\\]$`, "gm"))].map((m) => m[1]);

test("arguments: addFlags, then the caller's, then appendFlags, each one word", (t) => {
  const { call } = setUp(t, { addFlags: ["--first", "two words", ""], appendFlags: ["--last", NASTY] });
  const out = call(["x", "y z"]);
  assert.deepEqual(out.split("PATH[")[0]!.split("FOO[")[0], `arg[--first]\narg[two words]\narg[]\narg[x]\narg[y z]\narg[--last]\narg[${NASTY}]\n`);
});

test("set always wins; setDefault only where the caller has not set it", (t) => {
  const { call } = setUp(t, { set: { FOO: NASTY }, setDefault: { BAR: "default $x" } });
  const plain = call([]);
  assert.ok(plain.includes(`FOO[${NASTY}]`), plain);
  assert.deepEqual(field(plain, "BAR"), ["default $x"]);
  const given = call([], { FOO: "caller", BAR: "caller" });
  assert.ok(given.includes(`FOO[${NASTY}]`), "set overrides the caller");
  assert.deepEqual(field(given, "BAR"), ["caller"]);
  assert.deepEqual(field(call([], { BAR: "" }), "BAR"), [""], "set to empty counts as set");
});

test("prefix puts directories in front of PATH, or makes it when unset", (t) => {
  const { call } = setUp(t, { prefix: { PATH: ["/opt/a b/bin", "/opt/c"] } });
  assert.deepEqual(field(call([]), "PATH"), ["/opt/a b/bin:/opt/c:/usr/bin:/bin"]);
  assert.deepEqual(field(call([], { PATH: "" }), "PATH"), ["/opt/a b/bin:/opt/c"]);
});

test("chdir changes directory first, even to a path with a quote", (t) => {
  const { dir, call } = setUp(t, { chdir: "/" });
  assert.deepEqual(field(call([]), "PWD"), ["/"]);
  const odd = path.join(dir, "it's here");
  fs.mkdirSync(odd);
  const second = setUp(t, { chdir: odd });
  assert.deepEqual(field(second.call([]), "PWD"), [odd]);
  const missing = setUp(t, { chdir: "/no/such/dir" });
  assert.throws(() => missing.call([]), "a missing directory stops the wrapper instead of running elsewhere");
});

test("a program path with a newline stays a comment and a word, not a command", (t) => {
  const { dir } = setUp(t, {});
  const program = path.join(dir, "odd\ntouch injected");
  fs.writeFileSync(program, "#!/bin/sh\necho ran\n", { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "w"), wrapperScript(program, {}));
  assert.equal(execFileSync("/bin/sh", [path.join(dir, "w")], { cwd: dir, encoding: "utf8" }), "ran\n");
  assert.ok(!fs.existsSync(path.join(dir, "injected")));
});

test("quote survives a round trip through sh for any text", () => {
  for (const s of ["", "'", "''", NASTY, "a'b'c", "\\'", "$'x'", "-n"]) {
    assert.equal(execFileSync("/bin/sh", ["-c", `printf '%s' ${quote(s)}`], { encoding: "utf8" }), s);
  }
});

test("makeWrapper: a 0755 text item; relative paths and bad variable names are CAIRN_E003", () => {
  const w = makeWrapper("/usr/bin/python3", "/usr/local/bin/py", { addFlags: ["-I"] });
  assert.equal(w.kind, "text");
  assert.equal(w.destination, "/usr/local/bin/py");
  assert.equal(w.mode, 0o755);
  assert.ok(w.text.startsWith("#!/bin/sh\n"));
  assert.ok(w.text.includes("exec '/usr/bin/python3' '-I' \"$@\""));
  const bad = (fn: () => unknown, culprit: string) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(isCairnError(e));
      assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
      assert.equal(e.code, "CAIRN_E003");
      assert.ok(e.message.includes(culprit), `${e.message} should name ${culprit}`);
      return true;
    });
  bad(() => makeWrapper("python3", "/usr/bin/py"), "makeWrapper() program");
  bad(() => makeWrapper("/usr/bin/python3", "bin/py"), "makeWrapper() wrapper");
  bad(() => makeWrapper("/usr/bin/python3", "/usr/bin/../py"), "makeWrapper() wrapper");
  bad(() => makeWrapper("/a", "/b", { chdir: "data" }), "makeWrapper() options.chdir");
  bad(() => makeWrapper("/a", "/b", { set: { "MY-VAR": "1" } }), '"MY-VAR"');
  bad(() => makeWrapper("/a", "/b", { setDefault: { "1X": "1" } }), '"1X"');
  bad(() => makeWrapper("/a", "/b", { prefix: { "A B": ["/x"] } }), '"A B"');
  bad(() => makeWrapper("/a", "/b", { set: { X: 1 as never } }), "makeWrapper() options.set");
  bad(() => makeWrapper("/a", "/b", { prefix: { PATH: "/x" as never } }), "makeWrapper() options.prefix.PATH");
  bad(() => makeWrapper("/a", "/b", { addFlag: ["-x"] } as never), "makeWrapper() options.addFlag");
});
