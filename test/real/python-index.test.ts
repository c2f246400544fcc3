// py.application({ requirements }): packages from a package index, pinned by hash, installed by
// pip in a derivation with the network. PyPI is out of reach here, so a PEP 503 "simple" index on
// 127.0.0.1 serves a wheel made by the test; PIP_INDEX_URL names it, as a user names theirs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { serveIndex, sha256, wheel as makeWheel, type Index } from "../support/python-index.js";
import { cairn, project } from "../support/cairn.js";
import { available, eventually, freePort, podman, type Engine } from "../support/engines.js";

let engine: Engine | undefined;
after(async () => engine?.cleanup());

const sha = sha256;
const wheel = (version: string) => makeWheel("tinyhello", version, { "tinyhello/__init__.py": `GREETING = "hello from the index, version ${version}"\n` });

/** An sdist whose C extension setuptools (the backend its pyproject.toml names) compiles: made with tar at fixed times. */
function sdist(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "cairn-sdist-"));
  const root = join(dir, "cfast-1.0");
  mkdirSync(root);
  writeFileSync(join(root, "pyproject.toml"), '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "cfast"\nversion = "1.0"\nlicense = { text = "MIT" }\n');
  writeFileSync(join(root, "setup.py"), 'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("cfast", ["cfast.c"])])\n');
  writeFileSync(join(root, "cfast.c"), `#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *arg) { long n = PyLong_AsLong(arg); return PyLong_FromLong(2 * n); }
static PyMethodDef methods[] = {{"twice", twice, METH_O, "2n"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "cfast", NULL, -1, methods};
PyMODINIT_FUNC PyInit_cfast(void) { return PyModule_Create(&mod); }
`);
  writeFileSync(join(root, "PKG-INFO"), "Metadata-Version: 2.1\nName: cfast\nVersion: 1.0\n");
  execFileSync("tar", ["--sort=name", "--mtime=2020-01-01", "--owner=0", "--group=0", "--numeric-owner", "-C", dir, "-cf", join(dir, "cfast.tar"), "cfast-1.0"]);
  execFileSync("gzip", ["-n", "-9", join(dir, "cfast.tar")]);
  const bytes = readFileSync(join(dir, "cfast.tar.gz"));
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

const files: Record<string, Uint8Array> = {
  "tinyhello-1.0-py3-none-any.whl": wheel("1.0"),
  "cfast-1.0.tar.gz": sdist(),
};
const whl = files["tinyhello-1.0-py3-none-any.whl"]!;
let index: Index;
before(async () => void (index = await serveIndex(files)));
after(() => index.close());
const env = () => ({ PIP_INDEX_URL: index.url, PIP_TRUSTED_HOST: "127.0.0.1" });
const fresh = () => `# run ${randomBytes(6).toString("hex")}\n`;

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
    // The install is cached by the pinned set, not the file's comments: tinyhello exists only on
    // this index, so the import below proves it was installed from there (by this run or an earlier one).
    "requirements.txt": `${fresh()}tinyhello==1.0 --hash=sha256:${sha(whl)}\n`,
  });
  const built = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(built.code, 0, built.stderr);
  // Pinned by the file itself: nothing to resolve, nothing written to cairn.lock for it.
  assert.doesNotMatch(built.stderr, /resolving/);
  assert.equal(JSON.parse(readFileSync(join(dir, "cairn.lock"), "utf8")).sources, undefined);
  const run = await cairn(["shell", "image.ts", "-A", "image", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "hello from the index, version 1.0");
  // The SBOM lists it as the PyPI package it is.
  const sbom = await cairn(["sbom", "image.ts", "--format", "cyclonedx", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.match(sbom.stdout, /"purl": "pkg:pypi\/tinyhello@1\.0"/);
});

test("requirements without hashes: pip resolves them once, cairn.lock pins each version and hash, and later builds keep them", { timeout: 600_000 }, async () => {
  const dir = await project({ "image.ts": definition, "app.py": "import tinyhello\nprint(tinyhello.GREETING)\n", "requirements.txt": `${fresh()}tinyhello>=1\n` });
  const first = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /pinned tinyhello==1\.0 \(for tinyhello>=1\)/);
  const lock = JSON.parse(readFileSync(join(dir, "cairn.lock"), "utf8"));
  assert.deepEqual(lock.sources.pip["hello-requirements"].requirements, [`tinyhello==1.0 --hash=sha256:${sha(whl)}`]);
  // A newer version on the index does not move the pin: the lock, not the index, says what is built.
  files["tinyhello-1.1-py3-none-any.whl"] = wheel("1.1");
  try {
    const again = await cairn(["build", "--frozen", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /resolving/);
    const shell = await cairn(["shell", "image.ts", "-A", "image", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
    assert.equal(shell.stdout.trim(), "hello from the index, version 1.0", shell.stderr);
    // A changed requirements file is resolved again (and --frozen refuses to).
    writeFileSync(join(dir, "requirements.txt"), `${fresh()}tinyhello>=1.1\n`);
    const frozen = await cairn(["build", "--frozen", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
    assert.equal(frozen.code, 1);
    assert.match(frozen.stderr, /CAIRN_E301/);
    assert.match(frozen.stderr, /requirements\.txt changed since/);
    const moved = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
    assert.equal(moved.code, 0, moved.stderr);
    const moved_ = JSON.parse(readFileSync(join(dir, "cairn.lock"), "utf8"));
    assert.match(moved_.sources.pip["hello-requirements"].requirements[0], /^tinyhello==1\.1 --hash=sha256:/);
    // A lock edited to carry anything but pinned lines (an option pip would obey) is refused.
    moved_.sources.pip["hello-requirements"].requirements.unshift("--index-url http://127.0.0.1:1/simple/");
    writeFileSync(join(dir, "cairn.lock"), JSON.stringify(moved_));
    const tampered = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /CAIRN_E302.*sources\.pip\["hello-requirements"\] holds "--index-url/);
  } finally {
    delete files["tinyhello-1.1-py3-none-any.whl"];
  }
});

test("a hash that does not match what the index serves fails, naming the package", { timeout: 600_000 }, async () => {
  const dir = await project({ "image.ts": definition, "app.py": "import tinyhello\n", "requirements.txt": `${fresh()}tinyhello==1.0 --hash=sha256:${"0".repeat(64)}\n` });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /CAIRN_E702/);
  assert.match(r.stderr, /DO NOT MATCH THE HASHES/);
  assert.match(r.stderr, /tinyhello==1\.0/);
});

test("a Flask app under gunicorn (Debian's) with an index's wheel and an sdist whose C extension setuptools compiles: it answers, and the SBOM lists both", { timeout: 900_000, skip: !available().podman && "podman is not installed (apt-get install podman runc)" }, async () => {
  const dir = await project({
    "image.ts": `import { buildImage, debian, python } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);
export const image = buildImage({
  name: "flask-index", tag: "1",
  contents: [
    py.application({
      name: "web", src: "./app", module: "gunicorn",
      dependencies: ["flask", "gunicorn"],
      requirements: "./requirements.txt",
      tools: [pkgs("gcc"), pkgs("python3-dev")],
    }),
  ],
  config: { Cmd: ["/usr/bin/web", "--bind", "0.0.0.0:8000", "--chdir", "/app", "web:app"], ExposedPorts: { "8000/tcp": {} } },
});
`,
    "app/web.py": "from flask import Flask\nimport cfast, tinyhello\napp = Flask(__name__)\n\n@app.get('/')\ndef home():\n    return f'{tinyhello.GREETING}; twice 21 is {cfast.twice(21)}'\n",
    "requirements.txt": `${fresh()}tinyhello==1.0 --hash=sha256:${sha(whl)}\ncfast==1.0 --hash=sha256:${sha(files["cfast-1.0.tar.gz"]!)}\n`,
  });
  const built = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(built.code, 0, built.stderr);
  const sbom = await cairn(["sbom", "image.ts", "--format", "spdx", "--cache-dir", sharedCache()], { cwd: dir, env: env() });
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.match(sbom.stdout, /pkg:pypi\/tinyhello@1\.0/);
  assert.match(sbom.stdout, /pkg:pypi\/cfast@1\.0/);
  assert.match(sbom.stdout, /pkg:deb\/debian\/python3-flask@/);
  engine = await podman();
  const port = await freePort();
  const c = await engine.runDetached(["-p", `127.0.0.1:${port}:8000`, await engine.load(join(dir, "result"))]);
  try {
    const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 60_000);
    assert.equal(body, "hello from the index, version 1.0; twice 21 is 42");
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await c.logs()}`);
  } finally {
    await c.stop();
  }
});
