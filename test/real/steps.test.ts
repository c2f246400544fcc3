// Build steps for real: runAsRoot (examples/redis-runasroot, examples/tiny-python), derivations
// (a C program compiled in the sandbox, reused while its inputs stay the same), makeWrapper,
// offline steps, and extraCommands — built from the host's mirror, then run in podman.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import * as tarStream from "tar-stream";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman, redisPing, type Engine } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const noPodman = !available().podman && "podman or runc missing";

interface TarEntry { type: string; uid: number; gid: number; mode: number; linkname?: string; text?: string }
type Layer = Map<string, TarEntry>;

/** Every layer of a docker-archive image, in order: path → header (and the text of small files). */
async function readLayers(imageTar: string): Promise<{ layers: Layer[]; config: any }> {
  const outer = await untar(await readFile(imageTar));
  const member = (name: string) => outer.get(name)?.bytes ?? assert.fail(`${imageTar} has no ${name}`);
  const [manifest] = JSON.parse(member("manifest.json").toString());
  const layers: Layer[] = [];
  for (const name of manifest.Layers as string[]) layers.push(await untar(gunzipSync(member(name))));
  return { layers, config: JSON.parse(member(manifest.Config).toString()) };
}

async function untar(data: Buffer): Promise<Map<string, TarEntry & { bytes: Buffer }>> {
  const out = new Map<string, TarEntry & { bytes: Buffer }>();
  const ex = tarStream.extract();
  const done = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      out.set(h.name.replace(/^\.\//, "").replace(/\/$/, ""), {
        type: h.type ?? "file", uid: h.uid ?? 0, gid: h.gid ?? 0, mode: h.mode ?? 0, bytes,
        ...(h.linkname ? { linkname: h.linkname } : {}), ...(bytes.length <= 65536 ? { text: bytes.toString() } : {}),
      });
    }
  })();
  ex.end(data);
  await done;
  return out;
}

/** One RESP command, its first reply line ("+OK", "-ERR …"). */
function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1" });
    let buf = "";
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error(`no reply to ${args.join(" ")}`)); });
    s.once("connect", () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`));
    s.on("data", (b: Buffer) => {
      buf += b.toString("latin1");
      const end = buf.indexOf("\r\n");
      if (end >= 0) { s.destroy(); resolve(buf.slice(0, end)); }
    });
    s.once("error", reject);
  });
}

const work = await mkdtemp(join(tmpdir(), "cairn-steps-"));
/** The tests that are not about reproducibility use the shared test cache, so packages download once. */
const cache = sharedCache();
/**
 * In the derivations whose first build must run (not reuse an output the shared cache kept from an
 * earlier run): a new input each run, as a fresh cache would be, while gcc and the tools still come
 * from the shared cache.
 */
const RUN = randomUUID();
let engine: Engine | undefined;

before(async () => { if (!noPodman) engine = await podman(); });
after(async () => {
  await engine?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** Builds `export` of `file` twice, each with a fresh cache; both must give one digest. */
async function buildTwice(file: string, exportName: string, name: string): Promise<{ tar: string; digest: string; stderr: string }> {
  const runs = await Promise.all(["a", "b"].map((n) =>
    cairn(["build", file, "-A", exportName, "-o", join(work, `${name}-${n}.tar`), "--cache-dir", join(work, `cache-${name}-${n}`)])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  assert.match(lastLine(runs[0]!), /^sha256:[0-9a-f]{64}$/);
  assert.equal(lastLine(runs[1]!), lastLine(runs[0]!), "two fresh caches gave two different images");
  return { tar: join(work, `${name}-a.tar`), digest: lastLine(runs[0]!), stderr: runs[0]!.stderr };
}

describe("runAsRoot: examples/redis-runasroot", () => {
  const definition = join(examples, "redis-runasroot/image.ts");
  let built: { tar: string; digest: string; stderr: string };
  let lockBefore = "";

  before(async () => {
    lockBefore = await readFile(join(examples, "redis-runasroot/cairn.lock"), "utf8");
    built = await buildTwice(definition, "redis", "redis");
  });

  test("the same digest from two fresh caches, and the committed lock is kept", async () => {
    assert.match(built.stderr, /runAsRoot: running in the sandbox \(no network\)/);
    assert.equal(await readFile(join(examples, "redis-runasroot/cairn.lock"), "utf8"), lockBefore);
  });

  // Tests run as root in CI; the point of the sandbox is that nobody needs to be.
  test("an unprivileged user (nobody, no sudo, no KVM) builds the same image", { skip: process.getuid?.() !== 0 && "needs root to switch to nobody" }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "cairn-nobody-"));
    try {
      await chmod(dir, 0o777);
      const out = join(dir, "redis.tar");
      const r = await command("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CAIRN_BIN, "build", definition, "-A", "redis", "-o", out, "--cache-dir", join(dir, "cache")], {
        env: { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, "xdg") }, allowFail: true, timeoutMs: 300_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(lastLine(r), built.digest);
      assert.equal((await stat(out)).uid, 65534);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the top layer holds the redis user and its /data, nothing the tools left behind", async () => {
    const { layers, config } = await readLayers(built.tar);
    const top = layers.at(-1)!;
    assert.deepEqual([top.get("data")?.type, top.get("data")?.uid, top.get("data")?.gid], ["directory", 999, 999]);
    // The same lines examples/redis's `users:` writes.
    assert.match(top.get("etc/passwd")?.text ?? "", /^redis:x:999:999:/m);
    assert.match(top.get("etc/group")?.text ?? "", /^redis:x:999:/m);
    assert.equal(config.config.User, "redis");
    const all = new Set(layers.flatMap((l) => [...l.keys()]));
    for (const stray of ["etc/.pwd.lock", "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-", "var/cache/ldconfig/aux-cache", "usr/sbin/useradd", "usr/sbin/groupadd", "etc/login.defs"]) {
      assert.ok(!all.has(stray), `/${stray} is in the image`);
    }
    const under = [...all].filter((p) => /^(\.cairn|proc|dev|sys)(\/|$)/.test(p));
    assert.deepEqual(under, []);
    // Only what the script made or edited is in the step's layer.
    assert.deepEqual([...top.keys()].filter((p) => top.get(p)!.type !== "directory").sort(), ["etc/group", "etc/passwd", "etc/shadow"]);
  });

  test("podman runs it: PONG as uid 999, and redis can write its /data", { skip: noPodman }, async () => {
    const ref = await engine!.load(built.tar);
    const port = await freePort();
    const c = await engine!.runDetached(["-p", `127.0.0.1:${port}:6379`, ref]);
    try {
      const pong = await eventually(() => redisPing(port), 60_000).catch(async (e) => { throw new Error(`${(e as Error).message}\n${await c.logs()}`); });
      assert.equal(pong, "PONG");
      const pid = (await engine!.cli(["inspect", "-f", "{{.State.Pid}}", c.id])).stdout.trim();
      assert.match(await readFile(`/proc/${pid}/status`, "utf8"), /^Uid:\s+999\s/m);
      // SAVE writes dump.rdb into the working directory /data: only its owner (redis) may.
      assert.equal(await redisCommand(port, "SAVE"), "+OK", await c.logs());
    } finally {
      await c.stop();
    }
  });
});

describe("runAsRoot: examples/tiny-python", () => {
  let tar = "";
  before(async () => { tar = (await buildTwice(join(examples, "tiny-python/image.ts"), "image", "python")).tar; });

  test("bytecode only: no .py under usr/lib/python3.11, no __pycache__, the .pyc beside where the source was", async () => {
    const { layers } = await readLayers(tar);
    assert.equal(layers.length, 1);
    const paths = [...layers[0]!.keys()].filter((p) => p.startsWith("usr/lib/python3.11/"));
    assert.deepEqual(paths.filter((p) => p.endsWith(".py")), []);
    assert.deepEqual(paths.filter((p) => p.includes("__pycache__")), []);
    for (const p of ["usr/lib/python3.11/os.pyc", "usr/lib/python3.11/encodings/utf_8.pyc"]) assert.ok(layers[0]!.has(p), `/${p} missing`);
    assert.ok(paths.filter((p) => p.endsWith(".pyc")).length > 100);
    // The step's tools (bash, coreutils, fakeroot) stay out.
    for (const p of ["usr/bin/bash", "usr/bin/ls", "usr/bin/faked-sysv"]) assert.ok(!layers[0]!.has(p), `/${p} is in the image`);
  });

  test("podman runs it and the standard library imports from bytecode", { skip: noPodman }, async () => {
    const ref = await engine!.load(tar);
    const r = await engine!.run([ref, "-c", "import json, sys; print(json.dumps({'v': sys.version_info[:2]}))"]);
    assert.equal(r.stdout, '{"v": [3, 11]}\n', r.stderr);
  });
});

const helloC = (greeting: string) => `// ${RUN}
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  const char *g = getenv("GREETING");
  printf("${greeting} greeting=%s", g ? g : "(unset)");
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\\n");
  return 0;
}
`;

describe("derivation: hello.c compiled in the sandbox, plus a makeWrapper", () => {
  let dir = "";
  const build = (tar: string) => cairn(["build", "-A", "image", "-o", join(work, tar), "--cache-dir", cache], { cwd: dir });

  before(async () => {
    dir = await project({
      "hello.c": helloC("hello v1"),
      "image.ts": `import { buildImage, debian, derivation, files, makeWrapper } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const hello = derivation({
  name: "hello",
  inputs: [pkgs("gcc"), pkgs("libc6-dev"), files("./hello.c", "/src/hello.c")],
  build: "gcc -O2 -o hello /src/hello.c && install -D hello \\"$out/usr/bin/hello\\"",
});
export const image = buildImage({
  name: "hello",
  tag: "1",
  contents: [pkgs("libc6"), pkgs("dash"), hello, makeWrapper("/usr/bin/hello", "/usr/bin/hello-wrapped", { addFlags: ["--from-wrapper"], set: { GREETING: "hi" } })],
  config: { Cmd: ["/usr/bin/hello"] },
});
`,
    });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("builds once, reuses while the inputs are the same, rebuilds when hello.c changes", async () => {
    const first = await build("hello-1.tar");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /cairn: derivation hello: building/);
    assert.doesNotMatch(first.stderr, /inputs unchanged/);

    const again = await build("hello-2.tar");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /cairn: derivation hello: inputs unchanged, reusing its stored output/);
    assert.doesNotMatch(again.stderr, /derivation hello: building/);
    assert.equal(lastLine(again), lastLine(first));

    await writeFile(join(dir, "hello.c"), helloC("hello v2"));
    const edited = await build("hello-3.tar");
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stderr, /cairn: derivation hello: building/);
    assert.notEqual(lastLine(edited), lastLine(first));

    // gcc and the headers were there for the build only.
    const { layers } = await readLayers(join(work, "hello-3.tar"));
    const paths = new Set(layers.flatMap((l) => [...l.keys()]));
    assert.ok(paths.has("usr/bin/hello") && paths.has("usr/bin/hello-wrapped"));
    for (const p of ["usr/bin/gcc-12", "usr/include/stdio.h", "src/hello.c", "usr/bin/bash"]) assert.ok(!paths.has(p), `/${p} is in the image`);
    const hello = layers.map((l) => l.get("usr/bin/hello")).find(Boolean)!;
    assert.deepEqual([hello.uid, hello.gid, hello.mode & 0o777], [0, 0, 0o755]);
  });

  test("podman runs the new program, and the wrapper adds its flag and variable", { skip: noPodman }, async () => {
    const ref = await engine!.load(join(work, "hello-3.tar"));
    const plain = await engine!.run([ref]);
    assert.equal(plain.stdout, "hello v2 greeting=(unset)\n", plain.stderr);
    const wrapped = await engine!.run([ref, "/usr/bin/hello-wrapped", "a", "b c"]);
    assert.equal(wrapped.stdout, "hello v2 greeting=hi [--from-wrapper] [a] [b c]\n", wrapped.stderr);
  });
});

describe("steps run offline unless they ask for the network", () => {
  let server: Server;
  let port = 0;
  let accepted = 0;
  let dir = "";

  before(async () => {
    server = createServer((s) => { accepted++; s.end(); });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as AddressInfo).port;
    const probe = `: ${RUN}; bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}' && echo reached > \\"$out/reached\\"`;
    dir = await project({
      "image.ts": `import { buildImage, derivation } from "cairn";
export const offline = buildImage({ name: "offline", contents: [derivation({ name: "probe-offline", build: "${probe}" })] });
export const online = buildImage({ name: "online", contents: [derivation({ name: "probe-online", build: "${probe}", network: true })] });
export const rootOffline = buildImage({ name: "root-offline", runAsRoot: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'" });
`,
    });
  });
  after(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    await rm(dir, { recursive: true, force: true });
  });

  test("a derivation reaching the network fails with CAIRN_E702 and says network: true would allow it", async () => {
    const r = await cairn(["build", "-A", "offline", "-o", join(work, "offline.tar"), "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E702/);
    assert.match(r.stderr, /derivation probe-offline runs without network access/);
    assert.match(r.stderr, /network: true/);
    assert.equal(accepted, 0, "the offline sandbox reached the host's loopback");
  });

  test("runAsRoot alike", async () => {
    const r = await cairn(["build", "-A", "rootOffline", "-o", join(work, "root-offline.tar"), "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E702/);
    assert.match(r.stderr, /runAsRoot runs without network access/);
    assert.equal(accepted, 0, "the offline sandbox reached the host's loopback");
  });

  test("with network: true the same build reaches the server and succeeds", async () => {
    const r = await cairn(["build", "-A", "online", "-o", join(work, "online.tar"), "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(accepted, 1);
    const { layers } = await readLayers(join(work, "online.tar"));
    assert.equal(layers.at(-1)!.get("reached")?.text, "reached\n");
  });
});

describe("extraCommands", () => {
  let dir = "";
  let tar = "";
  before(async () => {
    dir = await project({
      "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const image = buildImage({
  name: "extra",
  contents: [pkgs("busybox")],
  config: { Cmd: ["busybox", "cat", "/data/f", "/data/uid"] },
  extraCommands: "mkdir -p data tmp/x && echo hi > data/f && id -u > data/uid",
});
`,
    });
    tar = join(work, "extra.tar");
    const r = await cairn(["build", "-o", tar, "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("runs as uid 1000 in the image's tree; what it made belongs to root; its tools stay out", async () => {
    const { layers } = await readLayers(tar);
    const top = layers.at(-1)!;
    const f = top.get("data/f")!;
    assert.deepEqual([f.text, f.uid, f.gid, f.mode & 0o777], ["hi\n", 0, 0, 0o644]);
    assert.equal(top.get("data/uid")?.text, "1000\n");
    assert.deepEqual([top.get("data")?.uid, top.get("tmp/x")?.type], [0, "directory"]);
    assert.equal(top.get("tmp")?.mode, 0o1777, "the image's /tmp keeps its mode");
    const paths = new Set(layers.flatMap((l) => [...l.keys()]));
    assert.ok(paths.has("usr/bin/busybox"));
    for (const p of ["usr/bin/bash", "usr/bin/id", "usr/bin/find", "usr/bin/sed", "image", ".cairn"]) {
      assert.ok(!paths.has(p) || top.get(p)?.linkname === "busybox", `/${p} came from the tools`);
    }
    assert.doesNotMatch(top.get("var/lib/dpkg/status")?.text ?? "", /^Package: (bash|coreutils)$/m);
  });

  test("podman reads the files it made", { skip: noPodman }, async () => {
    const ref = await engine!.load(tar);
    const r = await engine!.run([ref]);
    assert.equal(r.stdout, "hi\n1000\n", r.stderr);
  });
});
