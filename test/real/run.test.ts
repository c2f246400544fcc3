// `cairn run`: build, load into podman, run in the foreground; Ctrl-C stops the container, and its
// exit status is cairn's. podman's private storage and its runtime come through the environment
// (CONTAINERS_STORAGE_CONF, CONTAINERS_CONF), as a user's own configuration would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podmanConfig, redisPing, removeTree } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const dummy = join(examples, "dummy/image.ts");
const redis = join(examples, "redis/image.ts");

describe("cairn run with podman", { skip: !available().podman && "podman or runc missing" }, () => {
  let dir = "";
  let env: NodeJS.ProcessEnv = {};
  const cache = () => ["--cache-dir", sharedCache()];
  const cairnRun = (args: string[]) => cairn(["run", "--engine", "podman", ...cache(), ...args], { env });
  const podman = (args: string[]) => command("podman", args, { env: { ...process.env, ...env }, allowFail: true });
  const containers = async () => (await podman(["ps", "-a", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean);

  /** Starts `cairn run ARGS` in the background; `exited` resolves with its exit code and output. */
  function start(args: string[]) {
    const child = spawn(process.execPath, [CAIRN_BIN, "run", "--engine", "podman", ...cache(), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b));
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => child.once("close", (code) => ok({ code, stdout, stderr })));
    const kill = setTimeout(() => child.kill("SIGKILL"), 600_000); // never outlive the test run
    void exited.then(() => clearTimeout(kill));
    return { child, exited, output: () => stderr + stdout };
  }

  /** Resolves with how long after SIGINT cairn exited; fails if it takes longer than limitMs. */
  async function interrupt(run: ReturnType<typeof start>, limitMs: number) {
    const sent = Date.now();
    run.child.kill("SIGINT");
    const timeout = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`cairn run still running ${limitMs} ms after SIGINT:\n${run.output()}`)), limitMs).unref());
    const r = await Promise.race([run.exited, timeout]);
    return { ...r, ms: Date.now() - sent };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-run-"));
    env = { ...(await podmanConfig(dir)), DOCKER_HOST: "", PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };
  });

  after(async () => {
    const left = await containers().catch(() => []);
    if (left.length) await podman(["rm", "-f", "-t", "0", ...left]);
    await podman(["rmi", "-a", "-f"]);
    await removeTree(dir).catch(() => {});
  });

  test("-- ARGS replace the image's Cmd; stdout is the container's, the status is its exit code", async () => {
    const ok = await cairnRun([dummy, "--", "sh", "-c", "echo hello-from-run"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "hello-from-run\n");
    assert.match(ok.stderr, /cairn: dummy:latest on podman; no ports published/);
    const failed = await cairnRun([dummy, "--", "sh", "-c", "exit 3"]);
    assert.equal(failed.code, 3, failed.stderr);
    assert.deepEqual(await containers(), [], "--rm left a container behind");
  });

  test("--platform linux/arm64: the arm64 image is built, loaded and run under qemu", { skip: !existsSync("/proc/sys/fs/binfmt_misc/qemu-aarch64") && "qemu-user for arm64 is not registered (apt-get install qemu-user-static binfmt-support)" }, async () => {
    // The example's text in a folder of its own: its arm64 pins go into that folder's cairn.lock.
    const own = await project({ "image.ts": (await readFile(dummy, "utf8")).replace('from "cairn-build"', 'from "cairn"') });
    const r = await cairnRun([join(own, "image.ts"), "--platform", "linux/arm64", "--", "uname", "-m"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "aarch64\n");
  });

  test("redis answers on the published port; SIGINT stops it and removes the container", async () => {
    const port = await freePort();
    const running = start([redis, "-A", "redis", "-p", `${port}:6379`]);
    try {
      assert.equal(await eventually(() => redisPing(port), 240_000, 250).catch((e) => { throw new Error(`${e.message}\n${running.output()}`); }), "PONG");
      assert.match(running.output(), new RegExp(`cairn: redis:7 on podman; port 6379 → localhost:${port}`));
      assert.equal((await containers()).filter((n) => n.startsWith("cairn-run-redis-")).length, 1);
      const r = await interrupt(running, 20_000);
      assert.equal(r.code, 0, `redis shuts down cleanly on the stop signal:\n${running.output()}`);
      assert.deepEqual(await containers(), []);
      await assert.rejects(redisPing(port, "127.0.0.1", 2_000));
    } finally {
      running.child.kill("SIGKILL");
    }
  });

  test("a PID 1 that ignores SIGINT and SIGTERM is still stopped, within the 3 s grace", async () => {
    const running = start([dummy, "--", "sleep", "600"]);
    try {
      await eventually(async () => assert.equal((await containers()).length, 1), 120_000, 250);
      const r = await interrupt(running, 20_000);
      assert.equal(r.code, 137, `killed after the grace period:\n${running.output()}`);
      assert.ok(r.ms >= 2_500, `stopped after ${r.ms} ms: the grace period was skipped`);
      assert.deepEqual(await containers(), []);
    } finally {
      running.child.kill("SIGKILL");
    }
  });

  test("a host port in use fails before starting, naming the port and -p", async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((ok) => busy.listen(0, () => ok((busy.address() as { port: number }).port)));
    try {
      const r = await cairnRun([dummy, "-p", `${port}:80`, "--", "true"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`error\\[CAIRN_E502\\]: Host port ${port} is already in use`));
      assert.match(r.stderr, /hint: Publish it on another host port with -p/);
      assert.deepEqual(await containers(), []);
    } finally {
      busy.close();
    }
  });

  test("without podman or docker on PATH, cairn run says so before building", async () => {
    const r = await cairn(["run", dummy, ...cache(), "--", "true"], { env: { ...env, PATH: join(dir, "empty") } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error\[CAIRN_E501\]: cairn run needs docker or podman, and neither is on PATH/);
    assert.doesNotMatch(r.stderr, /building/);
    const asked = await cairn(["run", dummy, "--engine", "docker", ...cache(), "--", "true"], { env: { ...env, PATH: join(dir, "empty") } });
    assert.match(asked.stderr, /error\[CAIRN_E501\]: cairn run --engine docker: docker is not on PATH/);
  });
});
