// The whole pipeline against a real signed Debian repository built by the test (dpkg-deb, gpg)
// and served on 127.0.0.1: definitions in TypeScript, the cairn executable, the image tar, the
// lock, the errors a user meets — and the image run in podman.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { command } from "../support/command.js";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";
import { available, podman } from "../support/engines.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

let repo: Repo;
let busybox: Buffer;

const definition = (repo: Repo, body: string) => `import { buildLayeredImage, buildImage, debian, files, text } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
${body}
`;

const helloImage = `export const hello = buildLayeredImage({
  name: "hello", tag: "1",
  contents: [pkgs("hello"), files("./app", "/app"), text("/etc/greeting", "hi\\n")],
  users: [{ name: "app", uid: 1000, home: "/home/app" }],
  config: { Cmd: ["hello"], User: "app", Env: ["GREETING=yes"] },
});`;

before(async () => {
  busybox = await readFile(staticBinary());
  repo = await makeRepo({
    packages: [
      { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: busybox, mode: 0o755 }, "lib/tiny/data": "base data\n", "etc/tiny.conf": "from the package\n" } },
      { name: "hello", version: "1.0-1", depends: "tiny-base", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello one\n", mode: 0o755 } } },
      { name: "hello", version: "2.0-1", depends: "tiny-base (>= 1.0), mail-agent | tiny-base, greeting-data", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello two\n", mode: 0o755 } } },
      { name: "greeting-words", version: "3", provides: "greeting-data", architecture: "all", files: { "usr/share/greeting/words": "hello\n" } },
      { name: "clash-a", version: "1", files: { "usr/share/clash": "a\n" } },
      { name: "clash-b", version: "1", files: { "usr/share/clash": "b\n" } },
      { name: "needs-missing", version: "1", depends: "tiny-base, libnothere (>= 2)" },
      // A helper script for an interpreter the image lacks, which nothing in the image runs.
      { name: "perl-helper", version: "1", depends: "tiny-base", files: { "usr/share/perl-helper/report": { content: "#!/usr/bin/perl\nprint 1;\n", mode: 0o755 } } },
    ],
  });
});

after(async () => {
  await repo?.close();
});

async function helloProject(): Promise<string> {
  const dir = await project({ "image.ts": definition(repo, helloImage), "app/run.sh": "#!/bin/sh\necho app\n", "app/data/config.json": "{}\n" });
  return dir;
}

describe("hermetic builds", () => {
  let dir: string;
  let cache: string;
  let digest: string;

  before(async () => {
    dir = await helloProject();
    // Fresh, not the shared test cache: its digest is compared with another fresh cache's.
    cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  });

  test("cairn build writes ./result and prints the manifest digest last", async () => {
    const r = await cairn(["build", "-A", "hello", "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    digest = lastLine(r);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const { manifest, config, root } = await extractImage(join(dir, "result"));
    // The printed digest is the digest of the manifest blob inside the tar.
    const tarDir = join(root, "..");
    const index = JSON.parse(await readFile(join(tarDir, "index.json"), "utf8"));
    assert.equal(index.manifests[0].digest, digest);
    const manifestBytes = await readFile(join(tarDir, "blobs/sha256", digest.slice(7)));
    assert.equal("sha256:" + createHash("sha256").update(manifestBytes).digest("hex"), digest);
    assert.deepEqual(manifest.RepoTags, ["hello:1"]);
    assert.deepEqual(config.config.Cmd, ["hello"]);
    assert.deepEqual(config.config.Env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=yes"]);
    assert.equal(config.created, "1970-01-01T00:00:00Z");
    // Layered: one layer per package, then generated files, then the user's files.
    assert.equal(manifest.Layers.length, 5);
    assert.deepEqual(config.history.map((h: { created_by: string }) => h.created_by).slice(-2), ["cairn: generated files", "cairn: your files"]);
  });

  test("the lock pins the newest version, the provider and the checksum", async () => {
    const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
    assert.equal(lock.lockfileVersion, 1);
    assert.deepEqual(lock.images.hello.packages, ["greeting-words 3 all", "hello 2.0-1 amd64", "tiny-base 1.0-1 amd64"]);
    const deb = repo.debs.find((d) => d.name === "hello" && d.version === "2.0-1")!;
    assert.equal(lock.packages["hello 2.0-1 amd64"].sha256, deb.sha256);
    assert.equal(lock.packages["hello 2.0-1 amd64"].filename, deb.filename);
  });

  test("the filesystem: merged /usr, users, /tmp, dpkg database, user files", async () => {
    const { root } = await extractImage(join(dir, "result"));
    assert.equal((await readFile(join(root, "usr/lib/tiny/data"), "utf8")), "base data\n");
    assert.equal(await readFile(join(root, "lib/tiny/data"), "utf8"), "base data\n", "lib -> usr/lib link");
    for (const d of ["bin", "sbin", "lib"]) assert.ok((await stat(join(root, d), { bigint: false })).isDirectory());
    const passwd = await readFile(join(root, "etc/passwd"), "utf8");
    assert.match(passwd, /^root:x:0:0:/m);
    assert.match(passwd, /^nobody:x:65534:65534:/m);
    assert.match(passwd, /^app:x:1000:1000::\/home\/app:/m);
    assert.match(await readFile(join(root, "etc/group"), "utf8"), /^app:x:1000:$/m);
    const home = await stat(join(root, "home/app"));
    assert.equal(home.uid, 1000);
    assert.equal((await stat(join(root, "tmp"))).mode & 0o7777, 0o1777);
    assert.equal(await readFile(join(root, "app/run.sh"), "utf8"), "#!/bin/sh\necho app\n");
    assert.equal(await readFile(join(root, "etc/greeting"), "utf8"), "hi\n");
    const q = await command("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Package} ${Version} ${Status}\n"]);
    assert.equal(q.stdout, "greeting-words 3 install ok installed\nhello 2.0-1 install ok installed\ntiny-base 1.0-1 install ok installed\n");
    const files = await command("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-L", "tiny-base"]);
    assert.match(files.stdout, /^\/bin\/busybox$/m);
    // The md5sums dpkg would check.
    const md5 = await command("md5sum", ["-c", join(root, "var/lib/dpkg/info/hello.md5sums")], { cwd: root });
    assert.match(md5.stdout, /usr\/bin\/hello: OK/);
  });

  test("the same digest from another cache, time zone, umask, locale and folder", async () => {
    const cache2 = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const elsewhere = await mkdtemp(join(tmpdir(), "cairn-cwd-"));
    const lockBefore = await stat(join(dir, "cairn.lock"));
    const r = await cairn(["build", join(dir, "image.ts"), "-A", "hello", "-o", join(elsewhere, "out.tar"), "--cache-dir", cache2], {
      cwd: elsewhere, umask: "077", env: { TZ: "Asia/Tokyo", LANG: "de_DE.UTF-8", LC_ALL: "" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.equal((await stat(join(dir, "cairn.lock"))).mtimeMs, lockBefore.mtimeMs, "an unchanged lock is not rewritten");
  });

  test("two builds sharing one fresh cache at once both succeed with one digest", async () => {
    const shared = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const [a, b] = await Promise.all([
      cairn(["build", "-A", "hello", "-o", "par-a.tar", "--cache-dir", shared, "--no-typecheck"], { cwd: dir }),
      cairn(["build", "-A", "hello", "-o", "par-b.tar", "--cache-dir", shared, "--no-typecheck"], { cwd: dir }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(lastLine(a), digest);
    assert.equal(lastLine(b), digest);
    assert.deepEqual(await readdir(join(shared, "tmp")), [], "no staging files left behind");
  });

  test("a locked build fetches no index", async () => {
    const before = repo.requests.filter((p) => p.includes("/dists/")).length;
    const r = await cairn(["build", "-A", "hello", "-o", "again.tar", "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.equal(repo.requests.filter((p) => p.includes("/dists/")).length, before);
  });

  test("a no-op rebuild leaves its own output untouched, and replaces an output changed since", async () => {
    const out = join(dir, "noop.tar");
    assert.equal((await cairn(["build", "-A", "hello", "-o", out, "--cache-dir", cache], { cwd: dir })).code, 0);
    const before = await stat(out);
    const again = await cairn(["build", "-A", "hello", "-o", out, "--cache-dir", cache], { cwd: dir });
    assert.equal(lastLine(again), digest);
    assert.equal((await stat(out)).mtimeMs, before.mtimeMs, "not rewritten");
    await writeFile(out, "clobbered");
    const fixed = await cairn(["build", "-A", "hello", "-o", out, "--cache-dir", cache], { cwd: dir });
    assert.equal(lastLine(fixed), digest);
    assert.equal((await stat(out)).size, before.size, "rewritten in full");
  });

  test("--offline builds from the cache alone; with an empty cache it says what is missing", async () => {
    const ok = await cairn(["build", "-A", "hello", "-o", "offline.tar", "--cache-dir", cache, "--offline"], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(lastLine(ok), digest);
    const empty = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const bad = await cairn(["build", "-A", "hello", "-o", "offline2.tar", "--cache-dir", empty, "--offline"], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--offline.*lacks 3 packages/);
  });

  test("--frozen refuses a definition that no longer matches the lock, and leaves the lock alone", async () => {
    const d = await project({ "image.ts": definition(repo, helloImage), "app/x": "x" });
    await writeFile(join(d, "cairn.lock"), await readFile(join(dir, "cairn.lock")));
    const ok = await cairn(["build", "-A", "hello", "--frozen", "--cache-dir", cache], { cwd: d });
    assert.equal(ok.code, 0, ok.stderr);
    await writeFile(join(d, "image.ts"), definition(repo, helloImage.replace('pkgs("hello")', 'pkgs("hello"), pkgs("clash-a")')));
    const lock = await readFile(join(d, "cairn.lock"), "utf8");
    const r = await cairn(["build", "-A", "hello", "--frozen", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CAIRN_E301.*asks for other packages/);
    assert.equal(await readFile(join(d, "cairn.lock"), "utf8"), lock);
  });

  test("a pinned version is honoured", async () => {
    const d = await project({ "image.ts": definition(repo, `export const img = buildImage({ name: "pinned", contents: [pkgs("hello=1.0-1")] });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    const lock = JSON.parse(await readFile(join(d, "cairn.lock"), "utf8"));
    assert.deepEqual(lock.images.img.packages, ["hello 1.0-1 amd64", "tiny-base 1.0-1 amd64"]);
    const { manifest } = await extractImage(join(d, "result"));
    assert.equal(manifest.Layers.length, 1, "buildImage makes one layer");
  });

  test("fromImage with packages on top: what the base has is not added again, the rest is", async () => {
    const base = join(dir, "result");
    const d = await project({ "image.ts": definition(repo, `export const top = buildLayeredImage({
  name: "top", fromImage: imageFile(${JSON.stringify(base)}),
  contents: [pkgs("hello"), pkgs("clash-a")],
  users: [{ name: "app", uid: 1000, home: "/home/app" }, { name: "second", uid: 1001 }],
});`).replace("files, text }", "files, text, imageFile }") });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 packages come with the base image: greeting-words, hello, tiny-base/);
    const { root, manifest, config } = await extractImage(join(d, "result"));
    const baseImage = await extractImage(base);
    assert.deepEqual(manifest.Layers.slice(0, baseImage.manifest.Layers.length), baseImage.manifest.Layers);
    assert.deepEqual(config.history.slice(baseImage.manifest.Layers.length).map((h: { created_by: string }) => h.created_by), ["cairn: clash-a", "cairn: generated files"]);
    const q = await command("dpkg-query", [`--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Package} ${Version}\n"]);
    assert.equal(q.stdout, "clash-a 1\ngreeting-words 3\nhello 2.0-1\ntiny-base 1.0-1\n");
    const passwd = await readFile(join(root, "etc/passwd"), "utf8");
    assert.match(passwd, /^app:x:1000:1000::\/home\/app:/m);
    assert.match(passwd, /^second:x:1001:1001:/m);
    assert.equal(passwd.match(/^app:/gm)?.length, 1, "the base's user is not added twice");
  });

  test("the image runs in podman: script, interpreter, user, busybox applets", { skip: !available().podman && "podman is not installed (.ci/run installs it)" }, async () => {
    const engine = await podman();
    try {
      const ref = await engine.load(join(dir, "result"));
      const r = await engine.run([ref]);
      assert.equal(r.stdout, "hello two\n", r.stderr);
      const who = await engine.run([ref, "sh", "-c", "id -u; ls -ld /tmp | cut -c1-10; cat /etc/greeting"]);
      assert.equal(who.stdout, "1000\ndrwxrwxrwt\nhi\n", who.stderr);
    } finally {
      await engine.cleanup();
    }
  });
});

describe("errors for people", () => {
  // The shared test cache: each build here fails before anything it could reuse, and this
  // repository's packages (its own key, its own port) are never anyone else's.
  const cache = sharedCache();

  async function buildFails(body: string, code: string, pattern: RegExp, options: { typecheck?: boolean } = {}) {
    const d = await project({ "image.ts": definition(repo, body) });
    await writeFile(join(d, "result"), "earlier output\n");
    const r = await cairn(["build", "--cache-dir", cache, ...(options.typecheck ? [] : ["--no-typecheck"])], { cwd: d });
    assert.equal(r.code, 1, `expected exit 1, got ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`error\\[${code}\\]`));
    assert.match(r.stderr, pattern);
    const message = r.stderr.slice(r.stderr.indexOf("error["));
    assert.ok(message.trim().split("\n").length <= 2, `one message and one hint, got:\n${r.stderr}`);
    assert.equal(await readFile(join(d, "result"), "utf8"), "earlier output\n", "the earlier output survives");
    assert.equal(existsSync(join(d, "cairn.lock")), false, "no lock from a failed build");
    return r;
  }

  test("a package that does not exist is named, with a suggestion", async () => {
    await buildFails(`export const x = buildImage({ name: "x", contents: [pkgs("helo")] });`, "CAIRN_E201", /"?helo"?.*hello/);
  });

  test("an unsatisfiable dependency shows the chain", async () => {
    await buildFails(`export const x = buildImage({ name: "x", contents: [pkgs("needs-missing")] });`, "CAIRN_E202", /needs-missing.*libnothere/);
  });

  test("two packages with one path name both", async () => {
    await buildFails(`export const x = buildImage({ name: "x", contents: [pkgs("clash-a"), pkgs("clash-b")] });`, "CAIRN_E401", /\/usr\/share\/clash.*clash-a.*clash-b/);
  });

  test("a definition that throws is reported with its file and line", async () => {
    await buildFails(`\nthrow new Error("boom");`, "CAIRN_E002", /image\.ts:4:\d+: boom/);
  });

  test("a syntax error is reported with its file and line", async () => {
    await buildFails(`export const x = buildImage({ name: "x" ;`, "CAIRN_E002", /image\.ts:3:\d+/);
  });

  test("an unknown config key is named, at run time", async () => {
    await buildFails(`export const x = buildImage({ name: "x", config: { Cmnd: ["sh"] } as any });`, "CAIRN_E003", /config\.Cmnd/);
  });

  test("a type error is reported with its file and line, rather than the failure it leads to", async () => {
    const r = await buildFails(`\nexport const x = buildImage({ name: "x", config: { Cmd: "redis-server" } });`, "CAIRN_E003", /image\.ts:4:\d+: Type 'string' is not assignable to type 'string\[\]'/, { typecheck: true });
    assert.match(r.stderr, /--no-typecheck/);
  });

  test("a type error in a definition that would build stops it before the image or the lock is written (the check runs alongside)", async () => {
    // Everything else about this image is right: the build runs while the checker does, then stops.
    await buildFails(`export const x = buildImage({ name: "x", contents: [pkgs("hello")] });\nconst port: number = "6379";`, "CAIRN_E003", /image\.ts:4:7: Type 'string' is not assignable to type 'number'/, { typecheck: true });
  });

  test("an unreachable mirror is named", async () => {
    const d = await project({ "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ sources: [{ uri: "http://127.0.0.1:9/debian", suites: ["nowhere"], signedBy: ${JSON.stringify(repo.keyFile)} }] });
export const x = buildImage({ name: "x", contents: [pkgs("hello")] });` });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E106.*127\.0\.0\.1:9/);
  });

  test("a missing definition file is a clear error", async () => {
    const d = await project({});
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 2, "a usage error");
    assert.match(r.stderr, /No definition at .*image\.ts/);
  });

  test("the closure check's note is said again when a rebuild reuses the layers", async () => {
    const d = await project({ "image.ts": definition(repo, `export const x = buildImage({ name: "x", contents: [pkgs("hello"), pkgs("perl-helper")], config: { Cmd: ["hello"] } });`) });
    const own = await mkdtemp(join(tmpdir(), "cairn-said-"));
    try {
      const note = /note \(nothing in the image runs these\):.*usr\/share\/perl-helper\/report.*interpreter \/usr\/bin\/perl/;
      const first = await cairn(["build", "--cache-dir", own, "--no-typecheck"], { cwd: d });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, note);
      const second = await cairn(["build", "--cache-dir", own, "--no-typecheck"], { cwd: d });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /nothing changed in the layers/);
      assert.match(second.stderr, note, "the reused layers still hold the script");
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  test("usage errors exit 2", async () => {
    const r = await cairn(["build", "--no-such-flag"]);
    assert.equal(r.code, 2);
  });
});

describe("a repository that lies", () => {
  let bad: Repo;
  before(async () => {
    bad = await makeRepo({ suite: "lies", packages: [{ name: "victim", version: "1", files: { "usr/share/victim": "v\n" } }] });
  });
  after(async () => bad?.close());

  test("a .deb that does not match its index fails the build and stores nothing", async () => {
    const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const deb = bad.debs[0]!;
    await bad.tamper(deb.filename, (b) => Buffer.concat([b, Buffer.from("x")]));
    const d = await project({ "image.ts": definition(bad, `export const x = buildImage({ name: "x", contents: [pkgs("victim")] });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CAIRN_E105.*victim/);
    assert.equal(existsSync(join(cache, "blobs/sha256", deb.sha256)), false);
    const blobs = existsSync(join(cache, "blobs/sha256")) ? await readdir(join(cache, "blobs/sha256")) : [];
    for (const b of blobs) assert.notEqual(b, createHash("sha256").update(await readFile(join(bad.dir, deb.filename))).digest("hex"));
  });

  test("a tampered InRelease is refused", async () => {
    const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    await bad.tamper(`dists/${bad.suite}/InRelease`, (b) => Buffer.from(b.toString().replace(/^Suite: .*$/m, "Suite: evil")));
    const d = await project({ "image.ts": definition(bad, `export const x = buildImage({ name: "x", contents: [pkgs("victim")] });`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CAIRN_E103/);
    await rm(cache, { recursive: true, force: true });
  });
});
