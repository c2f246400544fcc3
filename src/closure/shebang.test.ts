import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHEBANG_PROBE_BYTES, envTarget, parseShebang, splitString } from "./shebang.js";

function head(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(SHEBANG_PROBE_BYTES);
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

test("host scripts: pydoc3, dpkg-maintscript-helper, perl scripts", () => {
  assert.deepEqual(parseShebang(head("/usr/bin/pydoc3")), { interpreter: "/usr/bin/python3.11" });
  assert.deepEqual(parseShebang(head("/usr/bin/dpkg-maintscript-helper")), { interpreter: "/bin/sh" });
  let perl = 0;
  for (const name of readdirSync("/usr/bin").sort()) {
    const p = `/usr/bin/${name}`;
    if (!statSync(p).isFile()) continue;
    const h = head(p);
    const first = h.toString("latin1").split("\n")[0]!;
    if (!/^#!\s*\/usr\/bin\/perl\b/.test(first)) continue;
    perl++;
    const sb = parseShebang(h)!;
    assert.equal(sb.interpreter, "/usr/bin/perl", p);
    // An independent reading of the same simple lines: "#!", blanks, a path, blanks, the rest.
    const m = /^#![ \t]*(\S+)(?:[ \t]+(.*?))?[ \t]*$/.exec(first)!;
    assert.equal(sb.arg, m[2] || undefined, p);
  }
  assert.ok(perl >= 5, `only ${perl} perl scripts in /usr/bin`);
  assert.equal(parseShebang(head("/usr/bin/ls")), undefined);
});

/** The kernel as oracle: a script whose interpreter prints the argv it was given. */
test("parseShebang agrees with execve on edge cases (spaces, tabs, NUL, CR, 256-byte buffer)", () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-sb-"));
  try {
    writeFileSync(join(dir, "a.c"), "#include <stdio.h>\nint main(int c,char**v){for(int i=0;i<c;i++){fputs(v[i],stdout);putchar(0);}return 0;}\n");
    const show = join(dir, "show");
    execFileSync("gcc", ["-o", show, join(dir, "a.c")]);
    // execve itself: node's spawn goes through execvp, which hands ENOEXEC files to /bin/sh.
    writeFileSync(join(dir, "run.c"), "#include <unistd.h>\n#include <stdio.h>\n#include <errno.h>\n" +
      "int main(int c,char**v,char**e){execve(v[1],v+1,e);fprintf(stderr,\"errno=%d\",errno);return 127;}\n");
    const run = join(dir, "run");
    execFileSync("gcc", ["-o", run, join(dir, "run.c")]);
    // A long-named link lets the interpreter path itself reach the buffer's end.
    const long = join(dir, "L".repeat(255 - dir.length - 1 - 2 - 1));
    symlinkSync(show, long);
    const cases: string[] = [
      `#!${show}\n`, `#! ${show}\n`, `#!\t${show} \t\n`, `#!${show} -w\n`, `#!${show}  a  b\tc  \n`,
      `#!${show} x\r\n`, `#!${show}`, `#!${show} arg`, `#!${show}\0 ignored\n`, `#!${show} a\0b\n`,
      `#!\n`, `#!   \n`, `#!${show} ${"x".repeat(300)}\n`, `#!${show} ${"y".repeat(SHEBANG_PROBE_BYTES - show.length - 4)}\n`,
      `#!${show} ${"z".repeat(SHEBANG_PROBE_BYTES - show.length - 3)}\n`, `#!${long}\n`, `#!${long} \n`, `#!${long}`,
      `#!${long}x\n`, `#!${long}xy\n`, `#!/${"a".repeat(300)}\n`, `#!${" ".repeat(300)}${show}\n`, `#${show}\n`,
    ];
    let i = 0;
    for (const line of cases) {
      const script = join(dir, `s${i++}`);
      writeFileSync(script, line.endsWith("\n") ? line + "echo body\n" : line);
      chmodSync(script, 0o755);
      const r = spawnSync(run, [script], { encoding: "latin1" });
      const errno = /errno=(\d+)/.exec(r.stderr)?.[1];
      const got = parseShebang(readFileSync(script).subarray(0, SHEBANG_PROBE_BYTES));
      const label = JSON.stringify(line.slice(0, 60));
      if (errno === "2") {
        // A line that parses but names no file (the CR case: "show\r").
        assert.ok(got && !existsSync(got.interpreter), `${label}: kernel found no interpreter`);
        continue;
      }
      if (errno !== undefined) {
        assert.equal(errno, "8", `${label}: ENOEXEC expected`);
        assert.equal(got, undefined, `${label}: kernel said ENOEXEC`);
        continue;
      }
      const argv = r.stdout.split("\0").slice(0, -1);
      assert.ok(got, label);
      // argv: [interpreter as given, arg?, script path]
      assert.equal(argv.at(-1), script, label);
      assert.deepEqual(argv.length === 3 ? argv[1] : undefined, got.arg, label);
      if (argv[0] !== got.interpreter) assert.fail(`${label}: kernel ran ${argv[0]}, we say ${got.interpreter}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("envTarget: env NAME, env -S, options and assignments", () => {
  const env = (arg?: string) => envTarget({ interpreter: "/usr/bin/env", arg });
  assert.equal(env("python3"), "python3");
  assert.equal(env("python3 -u"), "python3 -u"); // one argument: env really looks for "python3 -u"
  assert.equal(env("-S python3 -u"), "python3");
  assert.equal(env("-Spython3"), "python3");
  assert.equal(env("-S -i PYTHONPATH=/x  /opt/py/bin/python -E"), "/opt/py/bin/python");
  assert.equal(env("-S -u HOME -C /tmp node --x"), "node");
  assert.equal(env("-vS 'my prog' arg"), "my prog");
  assert.equal(env("--split-string=perl -w"), "perl");
  assert.equal(env("-S # only a comment"), undefined);
  assert.equal(env("-i"), undefined);
  assert.equal(env("-"), undefined);
  assert.equal(env("FOO=bar"), undefined);
  assert.equal(env(), undefined);
  assert.equal(envTarget({ interpreter: "/bin/sh", arg: "python3" }), undefined);
  assert.equal(envTarget(parseShebang(Buffer.from("#!/usr/bin/env -S deno run --allow-net\n"))!), "deno");
  assert.deepEqual(splitString(`a "b c"\\_d 'e f' "g\\_h" x\\cy`), ["a", "b c", "d", "e f", "g h", "x"]);
});

test("envTarget matches what GNU env itself runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-env-"));
  try {
    // A program named by each case, on PATH, that reports that it ran.
    for (const prog of ["tool", "tool2"]) {
      writeFileSync(join(dir, prog), `#!/bin/sh\necho ${prog}\n`);
      chmodSync(join(dir, prog), 0o755);
    }
    for (const arg of ["tool", "-S tool2 x", "-S A=1 tool", "-vS tool2", "-S -u HOME tool", "--split-string=tool2 -a"]) {
      const script = join(dir, "s");
      writeFileSync(script, `#!/usr/bin/env ${arg}\n`);
      chmodSync(script, 0o755);
      const r = spawnSync(script, [], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
      assert.equal(r.stdout.trim(), envTarget(parseShebang(readFileSync(script))!), arg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
