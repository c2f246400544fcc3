// fetchurl(): a file from the network pinned by its sha256, fetched once into the cache and checked
// — in an image, and as a derivation's input (seed 004's release tarball). A local HTTP server
// stands in for the release site.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";

let server: Server;
let base: string;
let requests: string[] = [];
const body = "release tarball stand-in\n";
const sha = createHash("sha256").update(body).digest("hex");

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/files/hello-1.0.txt") {
      res.writeHead(200, { "content-length": Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const definition = (hash: string) => `import { buildImage, fetchurl } from "cairn";
export const img = buildImage({
  name: "fetched", tag: "1",
  contents: [fetchurl({ url: "${base}/files/hello-1.0.txt", sha256: "${hash}" }, "/opt/hello.txt", { mode: 0o640 })],
});
`;

test("a pinned file lands in the image, is fetched once, and the build is the same from the cache", async () => {
  const dir = await project({ "image.ts": definition(sha) });
  const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  try {
    requests = [];
    const first = await cairn(["build", "--cache-dir", cache], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(requests, ["/files/hello-1.0.txt"]);
    const { root } = await extractImage(join(dir, "result"));
    assert.equal(await readFile(join(root, "opt/hello.txt"), "utf8"), body);
    // An SRI hash is the same pin; the cache has the file, so nothing is fetched.
    const sri = `sha256-${Buffer.from(sha, "hex").toString("base64")}`;
    const dir2 = await project({ "image.ts": definition(sri) });
    const again = await cairn(["build", "--cache-dir", cache, "--offline"], { cwd: dir2 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lastLine(again), lastLine(first));
    assert.deepEqual(requests, ["/files/hello-1.0.txt"], "fetched once");
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});

test("bytes that are not the pinned ones fail the build, naming the definition's line, the URL and the hash the server sent", async () => {
  const wrong = "0".repeat(64);
  const dir = await project({ "image.ts": definition(wrong) });
  const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  try {
    const r = await cairn(["build", "--cache-dir", cache], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CAIRN_E105/);
    assert.match(r.stderr, /image\.ts:4:\d+: fetchurl\(http:\/\/127\.0\.0\.1:\d+\/files\/hello-1\.0\.txt\) gave other bytes/);
    assert.ok(r.stderr.includes(sha), "the sha256 the server's bytes have, to paste if the change is meant");
    assert.doesNotMatch(r.stderr, /internal error/);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});

test("a malformed pin is a definition error before anything is fetched", async () => {
  const dir = await project({ "image.ts": definition("abc") });
  requests = [];
  const r = await cairn(["build", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-cache-"))], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fetchurl\(\) sha256 must be 64 hex digits or sha256-<base64>/);
  assert.deepEqual(requests, []);
});
