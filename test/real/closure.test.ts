// Issue 3 on real Debian packages: the runtime closure makes redis small, shared packages give
// byte-identical layers, an application edit changes one layer, and a broken closure is refused.
// Issue 11: what Cmd runs and what build steps' output points to are kept; a missing program fails.
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, appendFile, readlink, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { sharedCache } from "../support/cache.js";
import { CAIRN_BIN, cairn, extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podman } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const work = await mkdtemp(join(tmpdir(), "cairn-closure-"));
const cache = sharedCache();

interface Layers { digests: string[]; history: string[]; uncompressed: number }

async function layersOf(tar: string): Promise<Layers> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-layers-"));
  await command("tar", ["-xf", tar, "-C", dir]);
  const [m] = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  const config = JSON.parse(await readFile(join(dir, m.Config), "utf8"));
  let uncompressed = 0;
  for (const l of m.Layers as string[]) uncompressed += gunzipSync(await readFile(join(dir, l))).length;
  return { digests: (m.Layers as string[]).map((l) => l.split("/").pop()!), history: config.history.map((h: { created_by: string }) => h.created_by), uncompressed };
}

async function build(file: string, attr: string, out: string, cacheDir = cache) {
  const r = await cairn(["build", file, "-A", attr, "-o", out, "--cache-dir", cacheDir]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

describe("runtime closure on real packages", () => {
  test("redis is under 25 MB uncompressed, and the build says what it left out", async () => {
    // A fresh cache: what the closure left out is reported when the layers are made, and the
    // shared cache may already hold redis's.
    const r = await build(join(examples, "redis/image.ts"), "redis", join(work, "redis.tar"), join(work, "cache"));
    const { uncompressed, history } = await layersOf(join(work, "redis.tar"));
    assert.ok(uncompressed < 25e6, `redis image is ${(uncompressed / 1e6).toFixed(1)} MB uncompressed`);
    assert.match(r.stderr, /left out \d+ that nothing in the image uses/);
    assert.match(r.stderr, /- adduser: declared by/);
    assert.match(r.stderr, /more needed only by those: .*perl-base/);
    assert.ok(history.includes("cairn: libssl3") && history.includes("cairn: redis-tools"), history.join("\n"));
    assert.ok(!history.some((h) => /\b(adduser|perl-base|debconf)\b/.test(h)));
  });

  test("an ELF whose library is excluded fails, naming the file and the library", async () => {
    const d = await mkdtemp(join(tmpdir(), "cairn-broken-"));
    const def = (await readFile(join(examples, "redis/image.ts"), "utf8")).replace('contents: [pkgs("redis-server")],', 'contents: [pkgs("redis-server")],\n  exclude: ["libssl3"],');
    assert.notEqual(def, await readFile(join(examples, "redis/image.ts"), "utf8"));
    await cp(join(examples, "redis/cairn.lock"), join(d, "cairn.lock"));
    await appendFile(join(d, "image.ts"), def);
    const r = await cairn(["build", "-A", "redis", "--cache-dir", cache, "-o", join(d, "out.tar")], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error\[CAIRN_E403\]: \/usr\/bin\/redis-[a-z-]+ needs library libssl\.so\.3, but package libssl3 that ships it is excluded by the definition/);
  });

  test("two images sharing libc6 share its layer byte for byte; an app edit changes exactly one layer", async () => {
    const redis = await layersOf(join(work, "redis.tar"));
    const app = await mkdtemp(join(tmpdir(), "cairn-starlette-"));
    await cp(join(examples, "starlette"), app, { recursive: true });
    await build(join(app, "image.ts"), "image", join(work, "s1.tar"));
    const s1 = await layersOf(join(work, "s1.tar"));
    const libc = (l: Layers) => l.digests[l.history.indexOf("cairn: libc6")];
    assert.ok(libc(redis) && libc(redis) === libc(s1), "the libc6 layer is the same blob in both images");

    await appendFile(join(app, "server.py"), "# an edit\n");
    await build(join(app, "image.ts"), "image", join(work, "s2.tar"));
    const s2 = await layersOf(join(work, "s2.tar"));
    assert.equal(s2.digests.length, s1.digests.length);
    const changed = s2.digests.map((d, i) => (d === s1.digests[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed.map((i) => s2.history[i]), ["cairn: your files"]);
  });

  test("the starlette image answers GET / with its JSON", { skip: !available().podman && "podman missing" }, async () => {
    const engine = await podman();
    try {
      const ref = await engine.load(join(work, "s1.tar"));
      const port = await freePort();
      const c = await engine.runDetached(["-p", `127.0.0.1:${port}:8000`, ref]);
      try {
        const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 60_000);
        assert.deepEqual(JSON.parse(body), { message: "Hello, World!" });
      } finally {
        await c.stop();
      }
    } finally {
      await engine.cleanup();
    }
  });

  test("cairn build --stream | podman load gives an image that runs", { skip: !available().podman && "podman missing" }, async () => {
    const engine = await podman();
    try {
      const loaded = await new Promise<string>((resolve, reject) => {
        const build = spawn(process.execPath, [CAIRN_BIN, "build", join(examples, "dummy/image.ts"), "--stream", "--cache-dir", cache, "-q"], { stdio: ["ignore", "pipe", "inherit"] });
        const load = engine.loadStream(build.stdout);
        build.on("exit", (code) => { if (code !== 0) reject(new Error(`cairn build --stream exited ${code}`)); });
        load.then(resolve, reject);
      });
      const r = await engine.run([loaded, "sh", "-c", "echo streamed"]);
      assert.equal(r.stdout, "streamed\n", r.stderr);
    } finally {
      await engine.cleanup();
    }
  });
});


// Each definition is locked afresh from the host's mirror (no cairn.lock is given), so no test
// depends on a version staying in Debian's pool. A file unique to this run keeps the shared
// cache's layers from standing in for the closure where a test reads what the closure said.
const defs = `import { buildImage, debian, text } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const nonce = text("/etc/test-run", ${JSON.stringify(work)});
const site = "server { listen 8080 default_server; root /srv/www; }\\n";
export const web = buildImage({
  name: "web", tag: "1",
  contents: [pkgs("nginx-light"), text("/etc/nginx/conf.d/site.conf", site), text("/srv/www/index.html", "served by nginx-light\\n")],
  users: [{ name: "www-data", uid: 33 }],
  config: { Cmd: ["nginx", "-g", "daemon off; error_log stderr;"], ExposedPorts: { "8080/tcp": {} } },
});
export const typo = buildImage({ name: "typo", tag: "1", contents: [pkgs("nginx-light")], config: { Cmd: ["nginxx", "-g", "daemon off;"] } });
export const excluded = buildImage({ name: "excluded", tag: "1", contents: [pkgs("nginx-light")], exclude: ["nginx"], config: { Cmd: ["nginx"] } });
export const absolute = buildImage({ name: "absolute", tag: "1", contents: [pkgs("dash")], config: { Cmd: ["/app/server"] } });
export const made = buildImage({
  name: "made", tag: "1", contents: [pkgs("dash")], config: { Cmd: ["/app/run"] },
  extraCommands: { script: "mkdir -p app && printf '#!/bin/sh\\\\necho made by a step\\\\n' > app/run && chmod 755 app/run" },
});
export const im = buildImage({ name: "im", tag: "1", contents: [pkgs("imagemagick")], config: { Cmd: ["convert", "-version"] } });
export const imTool = buildImage({ name: "im-tool", tag: "1", contents: [pkgs("imagemagick"), nonce] });
export const linked = buildImage({
  name: "linked", tag: "1", contents: [pkgs("dash"), nonce], config: { Cmd: ["/opt/bin/dpkg-deb", "--version"] },
  runAsRoot: { script: "mkdir -p /opt/bin && ln -s /usr/bin/dpkg-deb /opt/bin/dpkg-deb" },
});
export const tool = buildImage({
  name: "tool", tag: "1", contents: [pkgs("dash")],
  runAsRoot: { tools: [pkgs("hello")], script: "ln -s /usr/bin/hello /hello" },
});
export const py = buildImage({ name: "py", tag: "1", contents: [pkgs("python3"), nonce], config: { Cmd: ["python3", "-c", "print(1)"] } });
`;

describe("what the image runs is in the image (issue 11)", () => {
  let dir = "";
  const buildIn = (attr: string) => cairn(["build", "-A", attr, "-o", join(work, `${attr}.tar`), "--cache-dir", cache], { cwd: dir });
  before(async () => {
    dir = await project({ "image.ts": defs });
  });

  test("nginx-light, a transitional package, gives an image whose nginx serves a page", async () => {
    const r = await buildIn("web");
    assert.equal(r.code, 0, r.stderr);
    const { root } = await extractImage(join(work, "web.tar"));
    assert.ok((await stat(join(root, "usr/sbin/nginx"))).isFile(), "nginx's binary is in the image");
    if (!available().podman) return;
    const engine = await podman();
    try {
      const ref = await engine.load(join(work, "web.tar"));
      const port = await freePort();
      const c = await engine.runDetached(["-p", `127.0.0.1:${port}:8080`, ref]);
      try {
        const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 60_000).catch(async (e) => assert.fail(`${e}\n${await c.logs()}`));
        assert.equal(body, "served by nginx-light\n");
      } finally {
        await c.stop();
      }
    } finally {
      await engine.cleanup();
    }
  });

  test("a Cmd naming a program that is not in the image fails the build, naming it and who ships it", async () => {
    const typo = await buildIn("typo");
    assert.equal(typo.code, 1, typo.stderr);
    assert.match(typo.stderr, /error\[CAIRN_E404\]: Cmd runs "nginxx", which is not in the image \(looked for \/usr\/local\/sbin\/nginxx, .*\), and no package of its Depends closure ships it/);
    assert.match(typo.stderr, /apt-file search bin\/nginxx/);
    const excluded = await buildIn("excluded");
    assert.equal(excluded.code, 1, excluded.stderr);
    assert.match(excluded.stderr, /Cmd runs "nginx", which is not in the image; package nginx of the Depends closure ships \/usr\/sbin\/nginx, but it is left out of the image/);
    const absolute = await buildIn("absolute");
    assert.equal(absolute.code, 1, absolute.stderr);
    assert.match(absolute.stderr, /Cmd runs "\/app\/server", which is not in the image/);
  });

  test("a program a build step makes passes the check, which runs after the steps", async () => {
    const r = await buildIn("made");
    assert.equal(r.code, 0, r.stderr);
    if (!available().podman) return;
    const engine = await podman();
    try {
      const out = await engine.run([await engine.load(join(work, "made.tar"))]);
      assert.equal(out.stdout, "made by a step\n", out.stderr);
    } finally {
      await engine.cleanup();
    }
  });

  test("imagemagick keeps convert (through the alternatives its postinst would make), and it runs", async () => {
    const r = await buildIn("im");
    assert.equal(r.code, 0, r.stderr);
    const { root } = await extractImage(join(work, "im.tar"));
    assert.equal(await readlink(join(root, "usr/bin/convert")), "/etc/alternatives/convert");
    assert.equal(await readlink(join(root, "etc/alternatives/convert")), "/usr/bin/convert-im6.q16");
    assert.ok((await stat(join(root, "usr/bin/convert-im6.q16"))).isFile());
    // Asked for without a Cmd, the transitional package still brings what it stands for.
    const tool = await buildIn("imTool");
    assert.equal(tool.code, 0, tool.stderr);
    assert.doesNotMatch(tool.stderr, /- imagemagick-6\.q16:/, "not among what was left out");
    const plain = await extractImage(join(work, "imTool.tar"));
    assert.ok((await stat(join(plain.root, "usr/bin/convert-im6.q16"))).isFile());
    assert.equal(await readlink(join(plain.root, "usr/bin/convert")), "/etc/alternatives/convert");
    if (!available().podman) return;
    const engine = await podman();
    try {
      const out = await engine.run([await engine.load(join(work, "im.tar"))]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^Version: ImageMagick 6\./m);
    } finally {
      await engine.cleanup();
    }
  });

  test("a link a runAsRoot step makes pulls the package of the Depends closure it points into", async () => {
    const r = await buildIn("linked");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the steps' output references \d+ more packages?, now in the image: .*\bdpkg\b/);
    const { root } = await extractImage(join(work, "linked.tar"));
    assert.equal(await readlink(join(root, "opt/bin/dpkg-deb")), "/usr/bin/dpkg-deb");
    assert.ok((await stat(join(root, "usr/bin/dpkg-deb"))).isFile());
    if (!available().podman) return;
    const engine = await podman();
    try {
      // dpkg-deb's own libraries (liblzma, libzstd, ...) came along with it.
      const out = await engine.run([await engine.load(join(work, "linked.tar"))]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^Debian 'dpkg-deb' package archive backend version /);
    } finally {
      await engine.cleanup();
    }
  });

  test("a link to a file only a step's tool ships fails the build, saying to add the package", async () => {
    const r = await buildIn("tool");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error\[CAIRN_E704\]: \/hello, which runAsRoot made, links to \/usr\/bin\/hello, which only the step's tool package hello ships/);
    assert.match(r.stderr, /Add pkgs\("hello"\) to `contents`/);
  });

  test("a python3 image builds without warnings about module scripts nothing runs", async () => {
    const r = await buildIn("py");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kept \d+ of \d+ packages/, "the closure ran (no cached layers stood in)");
    assert.doesNotMatch(r.stderr, /cairn: warning: .*interpreter/);
    // The modules whose `#!/usr/bin/env python3` finds no env are one note, not a line each.
    assert.ok(r.stderr.split("\n").filter((l) => l.includes("/usr/bin/env")).length <= 1, r.stderr);
  });
});
