// py.application({ requirements }): packages from a package index, pinned by hash, installed by
// pip in a derivation with the network. PyPI is out of reach here, so a PEP 503 "simple" index on
// 127.0.0.1 serves a wheel made by the test; PIP_INDEX_URL names it, as a user names theirs.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { strToU8, zipSync } from "fflate";
import { sharedCache } from "../support/cache.js";
import { cairn, project } from "../support/cairn.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const b64 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64url");

/** A wheel as PEP 427 lays it out: the module, METADATA, WHEEL and a RECORD of them. */
function wheel(version: string): Uint8Array {
  const files: Record<string, Uint8Array> = {
    "tinyhello/__init__.py": strToU8(`GREETING = "hello from the index, version ${version}"\n`),
    [`tinyhello-${version}.dist-info/METADATA`]: strToU8(`Metadata-Version: 2.1\nName: tinyhello\nVersion: ${version}\nLicense-Expression: MIT\n`),
    [`tinyhello-${version}.dist-info/WHEEL`]: strToU8("Wheel-Version: 1.0\nGenerator: cairn-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
  };
  const record = Object.entries(files).map(([p, b]) => `${p},sha256=${b64(b)},${b.length}`).join("\n") + `\ntinyhello-${version}.dist-info/RECORD,,\n`;
  files[`tinyhello-${version}.dist-info/RECORD`] = strToU8(record);
  // Fixed times: the same bytes, the same hash, every run.
  return zipSync(Object.fromEntries(Object.entries(files).map(([p, b]) => [p, [b, { mtime: new Date(Date.UTC(2020, 0, 1)) }]])));
}

const whl = wheel("1.0");
let server: Server;
let index: string;
const requests: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/simple/tinyhello/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!DOCTYPE html><html><body><a href="/files/tinyhello-1.0-py3-none-any.whl#sha256=${sha(whl)}">tinyhello-1.0-py3-none-any.whl</a></body></html>`);
    } else if (req.url === "/files/tinyhello-1.0-py3-none-any.whl") {
      res.writeHead(200, { "content-length": whl.length });
      res.end(Buffer.from(whl));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  index = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
});
after(() => server.close());

const definition = `import { buildImage, debian, python } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);
export const image = buildImage({
  name: "from-index", tag: "1",
  contents: py.application({ name: "hello", src: "./app.py", requirements: "./requirements.txt" }),
  config: { Cmd: ["/usr/bin/hello"] },
});
`;

test("a requirements file pinned by hash installs from the user's index, and the application imports it", { timeout: 600_000 }, async () => {
  const dir = await project({
    "image.ts": definition,
    "app.py": "import tinyhello\nprint(tinyhello.GREETING)\n",
    // A comment new each run: the install runs (and asks the index) even when the shared test
    // cache holds an earlier run's result for the same requirements.
    "requirements.txt": `# run ${randomBytes(6).toString("hex")}\ntinyhello==1.0 --hash=sha256:${sha(whl)}\n`,
  });
  const env = { PIP_INDEX_URL: index, PIP_TRUSTED_HOST: "127.0.0.1" };
  const built = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env });
  assert.equal(built.code, 0, built.stderr);
  assert.ok(requests.includes("/files/tinyhello-1.0-py3-none-any.whl"), requests.join(", "));
  const run = await cairn(["shell", "image.ts", "-A", "image", "--cache-dir", sharedCache()], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "hello from the index, version 1.0");
  // The SBOM lists it as the PyPI package it is.
  const sbom = await cairn(["sbom", "image.ts", "--format", "cyclonedx", "--cache-dir", sharedCache()], { cwd: dir, env });
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.match(sbom.stdout, /"purl": "pkg:pypi\/tinyhello@1\.0"/);
});

test("a requirement without its hash fails in pip's words, naming the package", { timeout: 600_000 }, async () => {
  const dir = await project({ "image.ts": definition, "app.py": "import tinyhello\n", "requirements.txt": "tinyhello==1.0\n" });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: { PIP_INDEX_URL: index, PIP_TRUSTED_HOST: "127.0.0.1" } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CAIRN_E702/);
  assert.match(r.stderr, /[Hh]ashes are required in --require-hashes mode|tinyhello/);
});
