import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode } from "../errors.js";
import { bwrapArgs, looksLikeNetworkFailure, runInSandbox, sandboxRefused, type SandboxRun } from "./bwrap.js";

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A read-only root borrowing the host's /usr: the merged-/usr links, with /usr bound in. */
function hostRoot(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-bwrap-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ["bin", "sbin", "lib", "lib64"]) fs.symlinkSync(`usr/${d}`, path.join(dir, d));
  fs.mkdirSync(path.join(dir, "etc"));
  fs.writeFileSync(path.join(dir, "etc", "marker"), "root's own etc\n");
  // Mount points for the host's resolver files, as readOnlyRoot makes them.
  for (const f of ["resolv.conf", "hosts"]) fs.writeFileSync(path.join(dir, "etc", f), "");
  return dir;
}

function run(root: string, over: Partial<SandboxRun>): Promise<{ code: number; tail: string }> {
  return runInSandbox({
    root: { dir: root, writable: false }, binds: [{ source: "/usr", target: "/usr", writable: false }],
    cwd: "/", env: { PATH }, network: false, uid: 1000, gid: 1000, argv: ["true"], stdio: "capture", ...over,
  });
}

const pair = (a: string[], flag: string, ...values: string[]) => a.some((_, i) => a[i] === flag && values.every((v, j) => a[i + 1 + j] === v));

test("bwrapArgs: network, writable root, read-only root", (t) => {
  const root = hostRoot(t);
  const base: SandboxRun = { root: { dir: "/x/root", writable: true }, cwd: "/build", env: {}, network: false, uid: 0, gid: 0, argv: ["/bin/sh", "-c", "echo"], stdio: "capture" };
  const offline = bwrapArgs(base);
  assert.ok(offline.includes("--unshare-net"));
  assert.ok(pair(offline, "--bind", "/x/root", "/"));
  assert.ok(pair(offline, "--chdir", "/build", "--"));
  assert.deepEqual(offline.slice(-3), ["/bin/sh", "-c", "echo"]);
  assert.ok(offline.includes("--new-session"), "captured runs get no controlling terminal");

  const online = bwrapArgs({ ...base, network: true, stdio: "inherit" });
  assert.ok(!online.includes("--unshare-net"));
  assert.ok(!online.includes("--new-session"));
  if (fs.existsSync("/etc/resolv.conf")) assert.ok(pair(online, "--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"));

  fs.mkdirSync(path.join(root, "proc"));
  const ro = bwrapArgs({ ...base, root: { dir: root, writable: false }, binds: [{ source: "/srv/app", target: "/srv/app", writable: true }] });
  assert.ok(!pair(ro, "--bind", root, "/") && !pair(ro, "--ro-bind", root, "/"), "not the whole root at once");
  assert.ok(pair(ro, "--ro-bind", path.join(root, "etc"), "/etc"));
  assert.ok(pair(ro, "--symlink", "usr/bin", "/bin"));
  assert.ok(pair(ro, "--symlink", "usr/lib64", "/lib64"));
  assert.ok(!pair(ro, "--ro-bind", path.join(root, "proc"), "/proc"), "the sandbox makes its own /proc");
  assert.ok(pair(ro, "--proc", "/proc"));
  // Extra binds come after the root's, so they land on top of it.
  assert.ok(ro.indexOf("/srv/app") > ro.indexOf(path.join(root, "etc")));
  assert.ok(pair(ro, "--bind", "/srv/app", "/srv/app"));
});

test("looksLikeNetworkFailure: what offline downloads print, and not an ordinary failure", () => {
  for (const out of [
    "curl: (6) Could not resolve host: example.invalid",
    "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
    "npm ERR! request to https://registry.invalid/x failed, reason: getaddrinfo ENOTFOUND registry.invalid",
    "npm error code EAI_AGAIN",
    "bash: connect: Connection refused\nbash: line 1: /dev/tcp/127.0.0.1/80: Connection refused",
    "fatal: unable to access 'https://git.invalid/x.git/'",
  ]) assert.ok(looksLikeNetworkFailure(out), out);
  for (const out of ["gcc: error: main.c: No such file or directory", "make: *** [Makefile:3: all] Error 1", "Traceback ... KeyError: 'x'", ""]) {
    assert.ok(!looksLikeNetworkFailure(out), out);
  }
});

test("sandboxRefused: a namespace refusal points at user namespaces", () => {
  const e = sandboxRefused("bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.");
  assert.equal(e.code, ErrorCode.SANDBOX_UNAVAILABLE);
  assert.match(e.message, /could not be set up: bwrap: No permissions to creating new namespace/);
  assert.match(e.hint ?? "", /user namespaces/);
  assert.match(sandboxRefused("bwrap: Unknown option --foo").hint ?? "", /Install bubblewrap/);
});

test("runInSandbox: exit status and output come back", async (t) => {
  const root = hostRoot(t);
  const r = await run(root, { argv: ["sh", "-c", "echo hi; echo err >&2; exit 3"] });
  assert.equal(r.code, 3);
  assert.match(r.tail, /hi/);
  assert.match(r.tail, /err/);
  // The root's own top-level directories are there; the host's /etc is not.
  const etc = await run(root, { argv: ["cat", "/etc/marker"] });
  assert.deepEqual([etc.code, etc.tail], [0, "root's own etc"]);
});

test("runInSandbox: the uid asked for, and exactly the environment given", async (t) => {
  const root = hostRoot(t);
  assert.equal((await run(root, { argv: ["id", "-u"], uid: 1000 })).tail, "1000");
  assert.equal((await run(root, { argv: ["id", "-u"], uid: 0, gid: 0 })).tail, "0");
  // Nothing of the host's (HOME, USER...); bwrap itself adds only PWD, the working directory.
  const env = await run(root, { argv: ["env"], env: { PATH, ONLY: "this" }, cwd: "/etc" });
  assert.deepEqual(env.tail.split("\n").sort(), ["ONLY=this", `PATH=${PATH}`, "PWD=/etc"]);
  const home = await run(root, { argv: ["env"], env: { PATH, HOME: "/build" } });
  assert.deepEqual(home.tail.split("\n").sort(), ["HOME=/build", `PATH=${PATH}`, "PWD=/"]);
});

test("runInSandbox: bwrap is found on cairn's PATH, not the sandbox's", async (t) => {
  const root = hostRoot(t);
  const r = await run(root, { argv: ["/usr/bin/env"], env: { PATH: "/nowhere", A: "1" } });
  assert.deepEqual([r.code, r.tail.split("\n").sort()], [0, ["A=1", "PATH=/nowhere", "PWD=/"]]);
});

test("runInSandbox: a missing command is a failed run, not a thrown error", async (t) => {
  const r = await run(hostRoot(t), { argv: ["no-such-command-here"] });
  assert.notEqual(r.code, 0);
  assert.match(r.tail, /no-such-command-here/);
});

test("runInSandbox: network false has only a private loopback; true reaches the host", async (t) => {
  const root = hostRoot(t);
  const server = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const argv = ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`];
  const offline = await run(root, { argv, network: false });
  assert.notEqual(offline.code, 0);
  assert.ok(looksLikeNetworkFailure(offline.tail), offline.tail);
  const online = await run(root, { argv, network: true });
  assert.equal(online.code, 0, online.tail);
});
