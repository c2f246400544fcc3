// fetchzip(): a release archive from the network, checked against its sha256 (or pinned in
// cairn.lock), unpacked with its top folder taken off, in an image or as a derivation's input.
// The archives are made here (random bytes each run, so each run pins anew) and served on loopback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { lstat, readFile, readlink } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";

const stamp = randomBytes(6).toString("hex");
const script = `#!/bin/sh\necho "hello ${stamp}"\n`;

/** A tar as a developer's machine makes one: their uid, a top folder, an executable, a link. */
async function tarOf(entries: { name: string; type?: "directory" | "symlink"; content?: string; mode?: number; linkname?: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on("end", () => r()));
  for (const e of entries) {
    const header = { name: e.name, mode: e.mode ?? (e.type === "directory" ? 0o775 : 0o664), uid: 1234, gid: 1234, uname: "dev", gname: "dev", mtime: new Date(1_700_000_000_000), type: e.type ?? ("file" as const), linkname: e.linkname };
    await new Promise<void>((r, j) => pack.entry(header, e.content ?? "", (err) => (err ? j(err) : r())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const files = new Map<string, Buffer>();
let server: Server;
let base: string;

before(async () => {
  const release = await tarOf([
    { name: "hello-1.0/", type: "directory" },
    { name: "hello-1.0/hello.sh", content: script, mode: 0o775 },
    { name: "hello-1.0/doc/README", content: `read me ${stamp}\n` },
    { name: "hello-1.0/README", type: "symlink", linkname: "doc/README" },
  ]);
  files.set("/hello-1.0.tar.gz", gzipSync(release));
  const xz = spawnSync("xz", ["-c"], { input: release });
  assert.equal(xz.status, 0, "xz is needed (apt-get install xz-utils)");
  files.set("/hello-1.0.tar.xz", xz.stdout);
  files.set("/two-tops.tar.gz", gzipSync(await tarOf([{ name: "a/x", content: "1" }, { name: "b/y", content: "2" }])));
  files.set("/hello-1.0.zip", Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(60)]));
  server = createServer((req, res) => {
    const body = files.get(req.url ?? "");
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("fetchzip in an image: unpacked at its folder, top folder off, owned by root, executables kept, links kept", { timeout: 300_000 }, async () => {
  const url = `${base}/hello-1.0.tar.xz`;
  const dir = await project({
    "image.ts": `import { buildImage, debian, fetchzip } from "cairn";
const pkgs = debian({ suite: "bookworm" });
// dash: the script's #!/bin/sh must be in the image (the closure check says so otherwise).
export const image = buildImage({ name: "hello", tag: "1", contents: [pkgs("dash"), fetchzip({ url: ${JSON.stringify(url)}, sha256: ${JSON.stringify(sha(files.get("/hello-1.0.tar.xz")!))} }, "/opt/hello")] });
`,
  });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const { root } = await extractImage(join(dir, "result"));
  assert.equal(await readFile(join(root, "opt/hello/hello.sh"), "utf8"), script);
  const st = await lstat(join(root, "opt/hello/hello.sh"));
  assert.equal(st.mode & 0o777, 0o755, "an executable stays one, with the image's usual mode");
  assert.equal(st.uid, 0, "owned by root, not by the uid the archive was made with");
  assert.equal((await lstat(join(root, "opt/hello/doc/README"))).mode & 0o777, 0o644);
  assert.equal(await readlink(join(root, "opt/hello/README")), "doc/README");
  await assert.rejects(lstat(join(root, "opt/hello/hello-1.0")), "the top folder is taken off");
});

test("fetchzip as a derivation's input, pinned in cairn.lock on first fetch", { timeout: 300_000 }, async () => {
  const url = `${base}/hello-1.0.tar.gz`;
  const dir = await project({
    "image.ts": `import { buildImage, debian, derivation, fetchzip } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const hello = derivation({
  name: "hello-from-archive",
  inputs: [pkgs("coreutils"), fetchzip({ url: ${JSON.stringify(url)} }, "/src/hello")],
  build: 'mkdir -p "$out/usr/share/hello" && sh /src/hello/hello.sh > "$out/usr/share/hello/said" && cp /src/hello/README "$out/usr/share/hello/"',
});
export const image = buildImage({ name: "hello", tag: "2", contents: [hello] });
`,
  });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /derivation hello-from-archive: building/);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.equal(lock.sources.fetchurl[url].sha256, sha(files.get("/hello-1.0.tar.gz")!), "the archive's own sha256 is pinned");
  const { root } = await extractImage(join(dir, "result"));
  assert.equal(await readFile(join(root, "usr/share/hello/said"), "utf8"), `hello ${stamp}\n`);
  assert.equal(await readFile(join(root, "usr/share/hello/README"), "utf8"), `read me ${stamp}\n`, "the link inside the archive resolves in the sandbox");
});

test("fetchzip refuses an archive with no one top folder, and a zip, naming the line and the URL", { timeout: 120_000 }, async () => {
  const definition = (path: string, extra = "") => `import { buildImage, fetchzip } from "cairn";
export const image = buildImage({ name: "bad", tag: "1", contents: [
  fetchzip({ url: ${JSON.stringify(base + path)}${extra} }, "/opt/x"),
] });
`;
  const two = await project({ "image.ts": definition("/two-tops.tar.gz") });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: two });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /CAIRN_E112/);
  assert.match(r.stderr, /image\.ts:3:\d+: fetchzip\(http:\/\/127\.0\.0\.1:\d+\/two-tops\.tar\.gz\) holds 2 entries at its top \("a", "b"\), not one folder to take off/);
  assert.match(r.stderr, /stripRoot: false/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);

  const asIs = await project({ "image.ts": definition("/two-tops.tar.gz", ", stripRoot: false") });
  const ok = await cairn(["build", "--cache-dir", sharedCache()], { cwd: asIs });
  assert.equal(ok.code, 0, ok.stderr);
  const { root } = await extractImage(join(asIs, "result"));
  assert.equal(await readFile(join(root, "opt/x/b/y"), "utf8"), "2");

  const zip = await project({ "image.ts": definition("/hello-1.0.zip") });
  const z = await cairn(["build", "--cache-dir", sharedCache()], { cwd: zip });
  assert.equal(z.code, 1, z.stderr);
  assert.match(z.stderr, /CAIRN_E112/);
  assert.match(z.stderr, /fetchzip\(.*hello-1\.0\.zip\) is a zip archive; cairn unpacks tar archives/);
  assert.match(z.stderr, /\.tar\.gz/);
});
