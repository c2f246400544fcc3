// fetchurl() as a derivation's input, as seed 004 builds redis from its release tarball: the file
// is fetched by cairn (checked against its sha256) and is in the sandbox where the derivation's
// inputs are, with no network for the build itself.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";

// New bytes each run (so a new pin): the derivation runs even when the shared test cache holds an earlier run's.
const notes = `release notes for 1.0 (${randomBytes(6).toString("hex")})\n`;
const tarball = gzipSync(Buffer.from(notes));
const sha = createHash("sha256").update(tarball).digest("hex");
let served = tarball;
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    if (req.url !== "/hello-1.0.gz") return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": served.length });
    res.end(served);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello-1.0.gz`;
});
after(() => server.close());

test("a derivation builds from a fetched, pinned source, without network of its own", { timeout: 300_000 }, async () => {
  const dir = await project({
    "image.ts": `import { buildImage, debian, derivation, fetchurl } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const notes = derivation({
  name: "notes",
  inputs: [pkgs("gzip"), fetchurl({ url: ${JSON.stringify(url)}, sha256: ${JSON.stringify(sha)} }, "/src/hello-1.0.gz")],
  build: 'mkdir -p "$out/usr/share/hello" && gunzip -c /src/hello-1.0.gz > "$out/usr/share/hello/NOTES"',
});
export const image = buildImage({ name: "notes", tag: "1", contents: [notes] });
`,
  });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /derivation notes: building/);
  const { root } = await extractImage(join(dir, "result"));
  assert.equal(await readFile(join(root, "usr/share/hello/NOTES"), "utf8"), notes);
});

test("fetchurl without a sha256: the first fetch pins it in cairn.lock; --frozen refuses an unpinned one; other bytes later are refused by URL", { timeout: 300_000 }, async () => {
  const definition = (u: string) => `import { buildImage, fetchurl } from "cairn";
export const image = buildImage({ name: "notes", tag: "1", contents: [fetchurl({ url: ${JSON.stringify(u)} }, "/NOTES.gz")] });
`;
  const dir = await project({ "image.ts": definition(url) });
  const first = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /pinned .* at sha256/);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.deepEqual(lock.sources.fetchurl[url], { sha256: sha, size: tarball.length });
  const { root } = await extractImage(join(dir, "result"));
  assert.deepEqual(await readFile(join(root, "NOTES.gz")), tarball);

  // With the lock, --frozen is satisfied; without the pin, it refuses.
  const again = await cairn(["build", "--frozen", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  await writeFile(join(dir, "cairn.lock"), JSON.stringify({ ...lock, sources: undefined }));
  const frozen = await cairn(["build", "--frozen", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(frozen.code, 1);
  assert.match(frozen.stderr, /CAIRN_E301/);
  assert.ok(frozen.stderr.includes(`fetchurl(${url}) has no sha256`), frozen.stderr);
  await writeFile(join(dir, "cairn.lock"), JSON.stringify(lock));

  // The server changes the file: a build that must fetch it again (an empty cache) refuses it by URL.
  served = gzipSync(Buffer.from("other bytes"));
  try {
    const changed = await cairn(["build", "--cache-dir", join(dir, "fresh-cache")], { cwd: dir });
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stderr, /CAIRN_E\d+/);
    assert.ok(changed.stderr.includes(`fetchurl(${url}) gave other bytes than its sha256 ${sha} (pinned in cairn.lock)`), changed.stderr);
    assert.match(changed.stderr, /sources\.fetchurl in cairn\.lock/);
  } finally {
    served = tarball;
  }
});
