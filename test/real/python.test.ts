// The Python examples for real: built from the host's Debian mirror through their committed
// locks, then asked for their page in podman; and starlette's `server` (python().application) run
// as a local program by `cairn shell FILE -A server`, without an engine, on a free port (shell.test.ts,
// which may run at the same time, serves on server.py's default 8000).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn, lastLine } from "../support/cairn.js";
import { available, eventually, freePort, podman, type Engine } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const noPodman = !available().podman && "podman missing";
const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

let work = "";
const cache = () => ["--cache-dir", sharedCache()];

before(async () => { work = await mkdtemp(join(tmpdir(), "cairn-python-")); });
after(() => rm(work, { recursive: true, force: true }));

/** `cairn build --frozen`: the committed lock must hold every package the export needs. */
async function build(example: string, attr: string): Promise<string> {
  const lockPath = join(examples, example, "cairn.lock");
  const lock = await readFile(lockPath, "utf8");
  const out = join(work, `${example}-${attr}.tar`);
  const r = await cairn(["build", join(examples, example, "image.ts"), "-A", attr, "-o", out, "--frozen", ...cache()], { timeoutMs: 900_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(lastLine(r), /^sha256:[0-9a-f]{64}$/);
  assert.equal(await readFile(lockPath, "utf8"), lock, "the build rewrote the committed lock");
  return out;
}

/** A private podman for fn, removed after. */
async function withPodman<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await podman();
  try {
    return await fn(engine);
  } finally {
    await engine.cleanup();
  }
}

/** Runs the image with `-p FREE:port` and hands `fn` the base URL; the container is removed after. */
async function served<T>(engine: Engine, ref: string, port: number, fn: (url: string) => Promise<T>): Promise<T> {
  const host = await freePort();
  const c = await engine.runDetached(["-p", `127.0.0.1:${host}:${port}`, ref]);
  try {
    return await eventually(() => fn(`http://127.0.0.1:${host}`), 90_000, 500).catch(async (e) => {
      throw new Error(`${(e as Error).message}\ncontainer output:\n${await c.logs()}`);
    });
  } finally {
    await c.stop();
  }
}

async function get(url: string): Promise<{ status: number; type: string; body: Buffer; headers: Headers }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  return { status: r.status, type: r.headers.get("content-type") ?? "", body: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

describe("examples/starlette", () => {
  test("`image` still builds from the committed lock", async () => {
    await build("starlette", "image");
  });

  test("`server` (python().application): podman serves the seed's JSON, the command is /usr/bin/server", { skip: noPodman }, async () => {
    const tar = await build("starlette", "server");
    await withPodman(async (engine) => {
      const ref = await engine.load(tar);
      const body = await served(engine, ref, 8000, async (url) => (await get(`${url}/`)).body.toString());
      assert.equal(body, '{"message":"Hello, World!"}');
      // sh's builtins only: the image has dash but no coreutils.
      const which = await engine.run([ref, "sh", "-c", 'command -v server && read -r first < /usr/bin/server && echo "$first"']);
      assert.equal(which.stdout, "/usr/bin/server\n#!/bin/sh\n", which.stderr);
    });
  });

  test("`cairn shell … -A server` serves it on 127.0.0.1 without an engine, and stops", async () => {
    const port = await freePort();
    // The image's own /usr/bin/server, through its sh (--run) only to give it PORT; --run mounts the
    // current directory, so an empty one.
    const child = spawn(process.execPath, [CAIRN_BIN, "shell", join(examples, "starlette/image.ts"), "-A", "server", ...cache(), "--run", `PORT=${port} exec server`], {
      cwd: await mkdtemp(join(work, "cwd-")), detached: true, stdio: ["ignore", "pipe", "pipe"],
    });
    const url = `http://127.0.0.1:${port}/`;
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b));
    child.stderr.on("data", (b: Buffer) => (output += b));
    const exited = new Promise<void>((ok) => child.once("close", () => ok()));
    try {
      const deadline = Date.now() + 300_000;
      let body: string | undefined;
      while (body === undefined) {
        if (child.exitCode !== null) assert.fail(`cairn shell exited (${child.exitCode}) before serving:\n${output}`);
        if (Date.now() > deadline) assert.fail(`nothing answered on ${url}:\n${output}`);
        body = await fetch(url).then((r) => r.text(), () => undefined);
        if (body === undefined) await sleep(250);
      }
      assert.equal(body, '{"message":"Hello, World!"}');
      assert.match(output, new RegExp(`running my_server:latest in the sandbox: /bin/sh -c PORT=${port} exec server`));
    } finally {
      try { process.kill(-child.pid!, "SIGTERM"); } catch { /* already gone */ }
      await Promise.race([exited, sleep(15_000)]);
      try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ }
    }
    assert.notEqual(child.exitCode ?? child.signalCode, null, "cairn shell still running after SIGTERM");
    assert.equal(await fetch(url).then(() => true, () => false), false, `port ${port} still answers`);
  });
});

describe("examples/pyramid", () => {
  test("podman serves Pyramid's hello page on 8080", { skip: noPodman }, async () => {
    const tar = await build("pyramid", "image");
    const page = await withPodman(async (engine) => served(engine, await engine.load(tar), 8080, (url) => get(`${url}/`)));
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body.toString(), /Hello World!/);
  });
});

describe("examples/django", () => {
  test("podman: / renders the crispy form, /pdf is a PDF that pdftk made; compile: true left checked-hash bytecode", { skip: noPodman }, async () => {
    const tar = await build("django", "image");
    await withPodman(async (engine) => {
      const ref = await engine.load(tar);
      const [index, pdf] = await served(engine, ref, 8000, async (url) => {
        const index = await get(`${url}/`);
        if (index.status !== 200) throw new Error(`GET / answered ${index.status}: ${index.body.toString().slice(0, 2000)}`);
        return [index, await get(`${url}/pdf?name=Grace&copies=3`)] as const;
      });
      const html = index.body.toString();
      assert.match(html, /<form[^>]*action="\/pdf"/);
      assert.match(html, /id="div_id_name" class="form-group"/, "crispy's bootstrap4 pack rendered the field");
      assert.equal(pdf.status, 200, pdf.body.toString().slice(0, 2000));
      assert.equal(pdf.type, "application/pdf");
      assert.equal(pdf.body.subarray(0, 5).toString(), "%PDF-");
      assert.equal(pdf.headers.get("x-pages"), "3", "pdftk concatenated three copies and counted them");
      assert.match(pdf.body.toString("latin1"), /Hello, Grace!/);

      const check = "import marshal; b = open('/app/demo/__pycache__/views.cpython-311.pyc', 'rb').read(); " +
        "print(int.from_bytes(b[4:8], 'little'), marshal.loads(b[16:]).co_filename)";
      const r = await engine.run([ref, "python3", "-c", check]);
      assert.equal(r.stdout, "3 /app/demo/views.py\n", r.stderr); // flags 3: hash-based, checked
    });
  });
});
