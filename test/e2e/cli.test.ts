// The command line's contract, as a user meets it: usage mistakes exit 2 before any work, a
// failing build ends the process (streams included), -q is quiet, and the everyday forms of
// files() build — against a signed Debian repository the test makes and serves on 127.0.0.1.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CAIRN_BIN, cairn, extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, docker } from "../support/engines.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

let repo: Repo;

const definition = (body: string) => `import { buildLayeredImage, debian, files, text } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
${body}
`;

/** A site copied to the image root, as dockerTools examples do, served by nothing but read by cat. */
const siteImage = `export default buildLayeredImage({
  name: "site", tag: "1",
  contents: [pkgs("tiny-base"), files("./site", "/"), files("./motd", "/etc/"), files("./notes.txt", "/")],
  config: { Cmd: ["/bin/busybox", "cat", "/hello.txt", "/etc/motd", "/notes.txt", "/sub/deep.txt"] },
});`;

before(async () => {
  repo = await makeRepo({
    packages: [{ name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } } }],
  });
});

after(async () => {
  await repo?.close();
});

const siteProject = () =>
  project({ "image.ts": definition(siteImage), "site/hello.txt": "hello from the root\n", "site/sub/deep.txt": "deep\n", motd: "welcome\n", "notes.txt": "notes\n" });

describe("usage errors exit 2 before any work", () => {
  test("--version prints the package's version", async () => {
    const r = await cairn(["--version"]);
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  test("no image.ts in the folder", async () => {
    const d = await project({});
    const cache = join(d, "cache");
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /No definition at .*image\.ts/);
  });

  test("push with a definition and no REF does not push to a registry named after the file", async () => {
    const d = await siteProject();
    const cache = join(d, "cache");
    const r = await cairn(["push", "image.ts", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cairn push needs a REF to push to after image\.ts/);
    assert.doesNotMatch(r.stderr, /docker\.io/);
    assert.equal(existsSync(cache), false, "nothing was built");
  });

  test("--stream with --push, and --sbom without --push, are refused before building", async () => {
    const d = await siteProject();
    const cache = join(d, "cache");
    const both = await cairn(["build", "--stream", "--push", "127.0.0.1:1/x:1", "--cache-dir", cache], { cwd: d });
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /--stream and --push cannot be used together/);
    const sbom = await cairn(["build", "--sbom", "--cache-dir", cache], { cwd: d });
    assert.equal(sbom.code, 2, sbom.stderr);
    assert.match(sbom.stderr, /--sbom attaches an SBOM to a pushed image/);
    assert.equal(existsSync(cache), false, "nothing was built");
    assert.equal(existsSync(join(d, "cairn.lock")), false, "nothing was locked");
  });

  test("-o into a folder that does not exist", async () => {
    const d = await siteProject();
    const cache = join(d, "cache");
    const r = await cairn(["build", "-o", join(d, "no/such/folder/out.tar"), "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the folder .*no\/such\/folder does not exist/);
    assert.equal(existsSync(cache), false, "nothing was built");
  });

  test("-A naming no export", async () => {
    const d = await siteProject();
    const r = await cairn(["build", "-A", "nosuch", "--cache-dir", join(d, "cache")], { cwd: d });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no image export "nosuch"/);
  });
});

describe("files() to a directory", () => {
  let dir: string;
  let cache: string;

  before(async () => {
    dir = await siteProject();
    cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  });

  test("a folder copied to /, and files to / and /etc/, keep their names there", async () => {
    const r = await cairn(["build", "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const { root } = await extractImage(join(dir, "result"));
    assert.equal(await readFile(join(root, "hello.txt"), "utf8"), "hello from the root\n");
    assert.equal(await readFile(join(root, "sub/deep.txt"), "utf8"), "deep\n");
    assert.equal(await readFile(join(root, "etc/motd"), "utf8"), "welcome\n");
    assert.equal(await readFile(join(root, "notes.txt"), "utf8"), "notes\n");
  });

  test("the inspect commands read ./result as the image tar it is, though it has no .tar in its name", async () => {
    const size = await cairn(["size", "result", "--cache-dir", cache], { cwd: dir });
    assert.equal(size.code, 0, size.stderr);
    assert.match(size.stdout, /^site:1 \(sha256:/);
    const why = await cairn(["why", "result", "tiny-base", "--cache-dir", cache], { cwd: dir });
    assert.equal(why.code, 0, why.stderr);
    assert.match(why.stdout, /^tiny-base 1\.0-1 is in the image/);
  });

  test("a files() path outside the definition's folder needs outside: true", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "cairn-elsewhere-"));
    await writeFile(join(elsewhere, "secret.txt"), "not for the image\n");
    const body = (opts: string) => `export default buildLayeredImage({ name: "out", tag: "1", contents: [pkgs("tiny-base"), files(${JSON.stringify(join(elsewhere, "secret.txt"))}, "/secret.txt"${opts})] });`;
    const refused = await project({ "image.ts": definition(body("")) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: refused });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E407.*secret\.txt is outside the definition's folder/);
    assert.match(r.stderr, /\{ outside: true \}/);
    const allowed = await project({ "image.ts": definition(body(", { outside: true }")) });
    const ok = await cairn(["build", "--cache-dir", cache], { cwd: allowed });
    assert.equal(ok.code, 0, ok.stderr);
    const { root } = await extractImage(join(allowed, "result"));
    assert.equal(await readFile(join(root, "secret.txt"), "utf8"), "not for the image\n");
  });

  test("errors about a files() or a field name the definition's file and line", async () => {
    const missing = await project({ "image.ts": definition(`export default buildLayeredImage({
  name: "m", tag: "1",
  contents: [pkgs("tiny-base"), files("./nothing-here", "/x")],
});`) });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: missing });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error\[CAIRN_E402\]: image\.ts:5:33: files\("\.\/nothing-here", "\/x"\)/);
    const uid = await project({ "image.ts": definition(`export default buildLayeredImage({
  name: "u", tag: "1", contents: [pkgs("tiny-base")],
  users: [{ name: "app", uid: -1 }],
});`) });
    const u = await cairn(["build", "--no-typecheck", "--cache-dir", cache], { cwd: uid });
    assert.equal(u.code, 1, u.stderr);
    assert.match(u.stderr, /error\[CAIRN_E003\]: image\.ts:3:16: .*users\[0\]\.uid/);
  });

  test("a file beneath a symbolic link is refused, naming both", async () => {
    const d = await project({ "image.ts": definition(`export default buildLayeredImage({
  name: "l", tag: "1", contents: [pkgs("tiny-base"), files("./app", "/app"), text("/app/out/evil", "x")],
});`) });
    await mkdir(join(d, "app"));
    await symlink("/tmp", join(d, "app", "out"));
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E401.*\/app\/out\/evil, from your files \(text \/app\/out\/evil\) .* lies beneath \/app\/out, a symbolic link from your files \(\.\/app\) \(a link to \/tmp\)/);
  });

  test("a shared module imported from another folder may copy its own files", async () => {
    const root = await project({
      "package.json": JSON.stringify({ type: "module" }),
      "shared/assets.ts": `import { files } from "cairn";\nexport const assets = files(new URL("./data", import.meta.url), "/data");\n`,
      "shared/data/a.txt": "shared\n",
      "app/image.ts": definition(`import { assets } from "../shared/assets.js";
export default buildLayeredImage({ name: "shared", tag: "1", contents: [pkgs("tiny-base"), assets] });`),
    });
    const r = await cairn(["build", "--cache-dir", cache], { cwd: join(root, "app") });
    assert.equal(r.code, 0, r.stderr);
    const { root: fsRoot } = await extractImage(join(root, "app", "result"));
    assert.equal(await readFile(join(fsRoot, "data/a.txt"), "utf8"), "shared\n");
  });

  test("a named pipe in a copied folder is an error naming it, not silently left out", async () => {
    const d = await siteProject();
    await command("mkfifo", [join(d, "site", "live.pipe")]);
    const r = await cairn(["build", "--cache-dir", cache], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E405.*site\/live\.pipe is a named pipe/);
    assert.match(r.stderr, /exclude: \["live\.pipe"\]/);
  });

  test("-q prints nothing on a build that has nothing to warn about", async () => {
    const r = await cairn(["build", "-q", "-o", join(dir, "quiet.tar"), "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  test("cairn build --stream | docker load runs it", { skip: !available().docker && "docker.io is not installed (.ci/run installs it)" }, async () => {
    const engine = await docker();
    try {
      const loaded = await new Promise<string>((resolve, reject) => {
        const build = spawn(process.execPath, [CAIRN_BIN, "build", "--stream", "-q", "--cache-dir", cache], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
        const load = engine.loadStream(build.stdout);
        build.on("exit", (code) => { if (code !== 0) reject(new Error(`cairn build --stream exited ${code}`)); });
        load.then(resolve, reject);
      });
      const r = await engine.run([loaded]);
      assert.equal(r.stdout, "hello from the root\nwelcome\nnotes\ndeep\n", r.stderr);
    } finally {
      await engine.cleanup();
    }
  });

  test("a --stream reader that goes away early (| head -c 100) is named, not an internal error", async () => {
    const r = await command("bash", ["-c", `"$0" "$1" build --stream --cache-dir "$2" | head -c 100 >/dev/null; exit \${PIPESTATUS[0]}`, process.execPath, CAIRN_BIN, cache], { cwd: dir, allowFail: true, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E501.*stopped before the image was complete/);
    assert.doesNotMatch(r.stderr, /internal error|EPIPE/);
  });

  test("a --stream build that fails halfway exits 1 with the error, and does not hang", async () => {
    // A fresh cache, built once; then one of its layer blobs is damaged, which the stream finds
    // only while it writes that layer to stdout.
    const own = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const first = await cairn(["build", "-o", join(dir, "first.tar"), "--cache-dir", own], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const blobs = join(own, "blobs", "sha256");
    const { manifest } = await extractImage(join(dir, "first.tar"));
    const layer = manifest.Layers.at(-1)!.split("/").pop()!;
    assert.ok((await readdir(blobs)).includes(layer), "the layer is a cache blob");
    const original = await readFile(join(blobs, layer));
    const damaged = Buffer.from(original);
    damaged[damaged.length - 10]! ^= 0xff;
    await writeFile(join(blobs, layer), damaged);
    // Stdout goes to a pipe the test drains, as `| docker load` would; a hang fails on the timeout.
    const r = await cairn(["build", "--stream", "--cache-dir", own], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    // The blob is found changed as it is streamed (it no longer hashes to its name), and named.
    assert.match(r.stderr, new RegExp(`CAIRN_E304\\]: The cache's blob \\S*${layer} no longer matches its sha256`));
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

describe("the machine's limits are named errors", () => {
  // A small filesystem of the test's own: only root may mount one (CI runs as root).
  const canMount = process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;

  test("a full cache disk, and a read-only one, end with CAIRN_E901 / E902 naming the cache", { skip: !canMount && "mounting a small tmpfs needs root" }, async () => {
    const d = await siteProject();
    const mnt = await mkdtemp(join(tmpdir(), "cairn-small-"));
    await command("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt]);
    try {
      const full = await cairn(["build", "--cache-dir", join(mnt, "cache")], { cwd: d, timeoutMs: 60_000 });
      assert.equal(full.code, 1, full.stderr);
      assert.match(full.stderr, /error\[CAIRN_E901\]: No space left to write .*cache/);
      assert.doesNotMatch(full.stderr, /internal error|    at /);
      await command("mount", ["-o", "remount,ro", mnt]);
      const ro = await cairn(["build", "--cache-dir", join(mnt, "cache")], { cwd: d, timeoutMs: 60_000 });
      assert.equal(ro.code, 1, ro.stderr);
      assert.match(ro.stderr, /error\[CAIRN_E902\]: .*read-only filesystem/);
      assert.doesNotMatch(ro.stderr, /internal error|    at /);
    } finally {
      await command("umount", [mnt], { allowFail: true });
    }
  });
});
