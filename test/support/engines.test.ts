// Both engines, for real, with a one-layer busybox image made by hand: import, run, exit codes,
// save/load, and -p publishing reached from the host.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile, copyFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { command } from "./command.js";
import { available, docker, eventually, freePort, podman, redisPing, waitForPort, type Engine } from "./engines.js";
import { staticBinary } from "./signed-repo.js";

let work: string;
let rootfsTar: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "cairn-engines-test-"));
  const root = join(work, "root");
  await mkdir(join(root, "bin"), { recursive: true });
  await mkdir(join(root, "www"));
  await copyFile(staticBinary(), join(root, "bin", "busybox"));
  for (const applet of ["sh", "echo", "cat"]) await symlink("busybox", join(root, "bin", applet));
  await writeFile(join(root, "www", "index.html"), "hello from the image\n");
  rootfsTar = join(work, "rootfs.tar");
  await command("tar", ["-C", root, "--owner=0", "--group=0", "-cf", rootfsTar, "."]);
});
after(() => rm(work, { recursive: true, force: true }));

const have = available();

for (const [name, start] of [["podman", () => podman()], ["docker", () => docker()]] as const) {
  describe(`${name} engine`, { skip: !have[name] && `${name} is not installed`, timeout: 300_000 }, () => {
    let e: Engine;
    const ref = `cairn-harness-${name}:1`;
    before(async () => {
      e = await start();
      await e.cli(["import", rootfsTar, ref]);
    });
    after(() => e?.cleanup());

    test("runs a command and returns its output and exit code", async () => {
      const ok = await e.run([ref, "/bin/echo", "hi"]);
      assert.deepEqual([ok.code, ok.stdout], [0, "hi\n"]);
      const fail = await e.run([ref, "/bin/sh", "-c", "echo oops >&2; exit 3"]);
      assert.deepEqual([fail.code, fail.stderr], [3, "oops\n"]);
      const stdin = await e.run(["-i", ref, "/bin/cat"], { input: "piped\n" });
      assert.equal(stdin.stdout, "piped\n");
    });

    test("load returns the reference of a saved image", async () => {
      const tar = join(work, `${name}-saved.tar`);
      await e.cli(["save", "-o", tar, ref]);
      await e.cli(["rmi", ref]);
      const loaded = await e.load(tar);
      assert.match(loaded, new RegExp(`(^|/)${ref}$`));
      assert.equal((await e.run([loaded, "/bin/echo", "again"])).stdout, "again\n");
    });

    test("publishes a container port on the host with -p", async () => {
      const port = await freePort();
      const c = await e.runDetached(["-p", `127.0.0.1:${port}:8080`, ref, "/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]);
      try {
        assert.match(c.id, /^[0-9a-f]{12,64}$/);
        await waitForPort(port, 30_000);
        const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 30_000);
        assert.equal(body, "hello from the image\n", await c.logs());
      } finally {
        await c.stop();
      }
      assert.equal((await e.cli(["ps", "-aq"])).stdout.trim(), "", "stop() removes the container");
    });
  });
}

describe("docker engine lock", { skip: !have.docker && "docker is not installed", timeout: 300_000 }, () => {
  test("cleanup stops the daemon and releases the lock for the next one", async () => {
    const first = await docker();
    await first.cleanup();
    // Not a few seconds: another test file running alongside may take the released lock first.
    const second = await docker({ lockTimeoutMs: 240_000 });
    try {
      assert.equal((await second.cli(["images", "-q"])).stdout, "", "a fresh daemon has fresh storage");
    } finally {
      await second.cleanup();
    }
  });
});

describe("network helpers", () => {
  test("redisPing speaks RESP: PONG returned, an error reply thrown", async () => {
    const seen: string[] = [];
    let reply = "+PONG\r\n";
    const srv = createServer((s) => s.on("data", (b) => { seen.push(b.toString()); s.write(reply); }));
    await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
    const { port } = srv.address() as AddressInfo;
    try {
      assert.equal(await redisPing(port), "PONG");
      assert.equal(seen.join(""), "*1\r\n$4\r\nPING\r\n");
      reply = "-DENIED Redis is running in protected mode\r\n";
      await assert.rejects(redisPing(port), /answered PING with "-DENIED Redis is running in protected mode"/);
    } finally {
      srv.close();
    }
  });

  test("redisPing and waitForPort fail clearly when nothing listens", async () => {
    const port = await freePort();
    await assert.rejects(redisPing(port), new RegExp(`127\\.0\\.0\\.1:${port}`));
    await assert.rejects(waitForPort(port, 300), /nothing listened on 127\.0\.0\.1:\d+ within 300 ms/);
  });
});
