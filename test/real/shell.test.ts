// `cairn shell` for real: Debian's python3 with starlette and uvicorn serving examples/starlette
// from a sandbox (the host's network, the current directory mounted), stopped without leaving
// anything behind; and a command's exit status, its writes to the current directory, and the
// read-only rest.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn } from "../support/cairn.js";

const starlette = fileURLToPath(new URL("../../examples/starlette/", import.meta.url));
const PORT = 8000; // server.py's default; the only test that serves on it (python.test.ts picks a free port)

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.setTimeout(1_000, () => { s.destroy(); done(false); });
    s.once("connect", () => { s.destroy(); done(true); });
    s.once("error", () => done(false));
  });
}

/** Whether any process is left in the process group. */
function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

describe("cairn shell", () => {
  let work = "";
  const cache = () => ["--cache-dir", sharedCache()];

  before(async () => { work = await mkdtemp(join(tmpdir(), "cairn-shell-")); });
  after(() => rm(work, { recursive: true, force: true }));

  /** `cairn shell … --run "python3 server.py"` in examples/starlette, in its own process group (as a terminal's job). */
  function startServer() {
    const child = spawn(process.execPath, [CAIRN_BIN, "shell", ...cache(), "-p", "python3", "python3-starlette", "python3-uvicorn", "--run", "python3 server.py"], {
      cwd: starlette, detached: true, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b));
    child.stderr.on("data", (b: Buffer) => (output += b));
    const exited = new Promise<number | null>((ok) => child.once("close", (code, signal) => ok(code ?? (signal ? 128 : null))));
    return { child, pgid: child.pid!, exited, output: () => output };
  }

  async function serve(run: ReturnType<typeof startServer>): Promise<string> {
    const deadline = Date.now() + 120_000; // the first run resolves and downloads the packages
    for (;;) {
      if (run.child.exitCode !== null) assert.fail(`cairn shell exited (${run.child.exitCode}) before serving:\n${run.output()}`);
      const body = await fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.text(), () => undefined);
      if (body !== undefined) return body;
      if (Date.now() > deadline) assert.fail(`nothing answered on port ${PORT} within 120 s:\n${run.output()}`);
      await sleep(250);
    }
  }

  async function gone(run: ReturnType<typeof startServer>, how: string): Promise<void> {
    const timeout = sleep(15_000).then(() => "timeout" as const);
    assert.notEqual(await Promise.race([run.exited, timeout]), "timeout", `cairn shell still running 15 s after ${how}:\n${run.output()}`);
    for (let i = 0; i < 20 && (groupAlive(run.pgid) || (await listening(PORT))); i++) await sleep(100);
    assert.equal(await listening(PORT), false, `port ${PORT} still open after ${how}`);
    assert.equal(groupAlive(run.pgid), false, `processes of cairn shell's group still running after ${how}`);
  }

  test("serves examples/starlette from Debian's packages; Ctrl-C (SIGINT to the group) and SIGTERM (to cairn) stop it all", async () => {
    assert.equal(await listening(PORT), false, `something already listens on 127.0.0.1:${PORT}; stop it first`);
    const before = (await readdir(starlette)).sort();
    for (const stop of ["SIGINT to the process group", "SIGTERM to cairn"]) {
      const run = startServer();
      try {
        assert.equal(await serve(run), '{"message":"Hello, World!"}');
        if (stop.startsWith("SIGINT")) process.kill(-run.pgid, "SIGINT");
        else run.child.kill("SIGTERM");
        await gone(run, stop);
      } finally {
        try { process.kill(-run.pgid, "SIGKILL"); } catch { /* already gone */ }
      }
    }
    assert.deepEqual((await readdir(starlette)).sort(), before, "the shell left files in examples/starlette");
  });

  test("--run: the command's exit status; the current directory is writable, the rest read-only", async () => {
    const cwd = await mkdtemp(join(work, "cwd-"));
    const r = await cairn(["shell", ...cache(), "-p", "coreutils", "--run", "echo made > out.txt; touch /usr/x; exit 4"], { cwd });
    assert.equal(r.code, 4, r.stderr);
    assert.equal(await readFile(join(cwd, "out.txt"), "utf8"), "made\n");
    assert.match(r.stderr, /touch: cannot touch '\/usr\/x': Read-only file system/);
    // The shell's root is a tree in the store: it must come out as it went in.
    const trees = (await readdir(join(sharedCache(), "trees"))).filter((t) => t.startsWith("shell-"));
    assert.ok(trees.length > 0);
    for (const t of trees) assert.ok(!existsSync(join(sharedCache(), "trees", t, "usr", "x")), `${t} was written to`);
  });

  test("--platform linux/arm64: arm64's packages, run under qemu", { skip: !existsSync("/proc/sys/fs/binfmt_misc/qemu-aarch64") && "qemu-user for arm64 is not registered (apt-get install qemu-user-static binfmt-support)" }, async () => {
    const cwd = await mkdtemp(join(work, "cwd-"));
    const r = await cairn(["shell", ...cache(), "-p", "coreutils", "--platform", "linux/arm64", "--run", "uname -m; od -An -tx1 -j18 -N2 /usr/bin/ls"], { cwd });
    assert.equal(r.code, 0, r.stderr);
    // The machine qemu reports, and the ELF e_machine of the shell's own ls (0xb7: AArch64).
    assert.match(r.stdout, /^aarch64\n b7 00\n$/);
  });

  test("--platform with two platforms is a usage error, before anything is resolved", async () => {
    const r = await cairn(["shell", ...cache(), "-p", "coreutils", "--platform", "linux/amd64,linux/arm64", "--run", "true"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--platform linux\/amd64,linux\/arm64: cairn shell runs one platform at a time/);
  });
});
