// Express APIs with native addons compiled in the install: better-sqlite3 (prebuild-install, which
// buildFromSource tells to build instead of download) and bcrypt 6 (node-gyp-build, which has
// prebuilds in its tarball and compiles instead when told to), each through node().application
// with the compiler as buildInputs. podman runs each image with its port published, and the API
// answers HTTP requests with the addon it loaded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";
import { available, eventually, freePort, podman, type Detached, type Engine } from "../support/engines.js";

let engine: Engine | undefined;
after(async () => engine?.cleanup());

const skip = !available().podman && "podman is not installed (apt-get install podman runc)";
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
// The .comment section gcc writes: Debian's g++ (a buildInput) says so; the prebuilt addons on
// GitHub or in a tarball are built elsewhere (bcrypt 6's linux-x64 prebuild: "GCC: (GNU) 11.2.1 … (Red Hat …)").
const DEBIAN_GCC = /GCC: \(Debian [^)]*\)/;

// The addons (.node files) the server process has mapped, as the handler reports them.
const LOADED_ADDONS = `const addons = () => [...new Set(require("fs").readFileSync("/proc/self/maps", "utf8").split("\\n")
  .map((l) => l.trim().split(/\\s+/)[5]).filter((p) => p && p.endsWith(".node")))].sort();
`;

const definition = (name: string, exclude: string[]) => `import { buildImage, debian, node } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const app = buildImage({
  name: "${name}", tag: "1",
  contents: node(pkgs).application({
    name: "${name}", src: "./src", allowScripts: true, buildFromSource: true,
    buildInputs: [pkgs("python3"), pkgs("make"), pkgs("g++"), pkgs("libnode-dev")],
    exclude: ${JSON.stringify(exclude)},
  }),
  config: { Cmd: ["/usr/bin/${name}"], ExposedPorts: { "3000/tcp": {} } },
});
`;

/** Writes the project, locks it with npm as a developer does, builds it; returns the folder and the unpacked image's root. */
async function build(files: Record<string, string>): Promise<{ dir: string; root: string; stderr: string }> {
  const dir = await project(files);
  // The lock as a developer makes it, with npm and its configured registry.
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: join(dir, "src"), stdio: "ignore" });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, timeoutMs: 840_000 });
  assert.equal(r.code, 0, r.stderr);
  const { root } = await extractImage(join(dir, "result"));
  return { dir, root, stderr: r.stderr };
}

/** Asserts the addon is an ELF that Debian's g++ compiled in the install, with node-gyp's build files beside it. */
async function assertCompiled(root: string, pkg: string, addon: string): Promise<void> {
  const file = await readFile(join(root, "app/node_modules", pkg, "build/Release", addon));
  assert.ok(file.subarray(0, 4).equals(ELF), `build/Release/${addon} is an ELF addon`);
  assert.match(file.toString("latin1"), DEBIAN_GCC, `build/Release/${addon} was compiled by Debian's g++, not downloaded`);
  // node-gyp's configure step writes config.gypi: the headers were libnode-dev's (no download), from source as asked.
  const gypi = await readFile(join(root, "app/node_modules", pkg, "build/config.gypi"), "utf8");
  assert.match(gypi, /"nodedir": "\/usr"/, "node-gyp took node's headers from libnode-dev");
  assert.match(gypi, /"build_from_source": "true"/, "buildFromSource reached node-gyp");
  assert.ok((await stat(join(root, "app/node_modules", pkg, "build/Release/obj.target"))).isDirectory(), "the compiler's objects are there");
  await assert.rejects(readdir(join(root, "usr/include/node")), "node's headers (libnode-dev) were for the install only");
  await assert.rejects(stat(join(root, "usr/bin/g++")), "the compiler was for the install only");
}

/** Runs the image in podman with port 3000 published on a free port; fn gets the base URL. */
async function serve(dir: string, fn: (base: string) => Promise<void>): Promise<void> {
  engine ??= await podman();
  const ref = await engine.load(join(dir, "result"));
  const port = await freePort();
  const c: Detached = await engine.runDetached(["-p", `127.0.0.1:${port}:3000`, ref]);
  try {
    const base = `http://127.0.0.1:${port}`;
    // The port proxy accepts connections before node listens: retry until the API answers.
    await eventually(() => call(base, "GET", "/health").then((r) => (r.status === 200 ? r : Promise.reject(new Error(`${r.status} ${r.body}`)))), 60_000, 250)
      .catch(async (e) => { throw new Error(`${(e as Error).message}\ncontainer output:\n${await c.logs()}`); });
    await fn(base).catch(async (e) => { throw Object.assign(e as Error, { message: `${(e as Error).message}\ncontainer output:\n${await c.logs()}` }); });
  } finally {
    await c.stop();
  }
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string; json: () => any }> {
  const r = await fetch(base + path, {
    method, signal: AbortSignal.timeout(10_000),
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: text, json: () => JSON.parse(text) };
}

test("Express with better-sqlite3 12, compiled from source with buildInputs (no prebuilt download): a row inserted and read over HTTP", { timeout: 900_000, skip }, async (t) => {
  const started = Date.now();
  const { dir, root, stderr } = await build({
    // better-sqlite3 12 (13 wants a newer node than Debian's); its install script is
    // `prebuild-install || node-gyp rebuild --release`.
    "src/package.json": JSON.stringify({ name: "notes", version: "1.0.0", main: "server.js", dependencies: { express: "4.21.2", "better-sqlite3": "12.4.1" } }),
    "src/server.js": `const express = require("express");
const Database = require("better-sqlite3");
${LOADED_ADDONS}
const db = new Database(":memory:");
db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)");
const app = express();
app.use(express.json());
app.get("/health", (req, res) => res.json({ ok: true }));
app.post("/notes", (req, res) => {
  const { lastInsertRowid } = db.prepare("INSERT INTO notes (body) VALUES (?)").run(req.body.body);
  res.status(201).json(db.prepare("SELECT id, body FROM notes WHERE id = ?").get(lastInsertRowid));
});
app.get("/notes", (req, res) => res.json({ notes: db.prepare("SELECT id, body FROM notes ORDER BY id").all(), sqlite: db.prepare("SELECT sqlite_version() AS v").get().v, addons: addons() }));
app.listen(3000, () => console.log("listening on 3000"));
`,
    // deps/ is the bundled SQLite source (compiled into the addon) and its download.sh, a bash script the image need not run.
    "image.ts": definition("notes", ["node_modules/better-sqlite3/deps"]),
  });
  t.diagnostic(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.match(stderr, /derivation notes-node-modules: (building .* with network|inputs unchanged, reusing)/);
  await assertCompiled(root, "better-sqlite3", "better_sqlite3.node");
  await assert.rejects(readdir(join(root, "app/node_modules/better-sqlite3/deps")), "the exclude reached node_modules");

  await serve(dir, async (base) => {
    const first = await call(base, "POST", "/notes", { body: "hello from sqlite" });
    assert.equal(first.status, 201, first.body);
    assert.deepEqual(first.json(), { id: 1, body: "hello from sqlite" });
    const second = await call(base, "POST", "/notes", { body: "and another" });
    assert.deepEqual(second.json(), { id: 2, body: "and another" });
    const list = await call(base, "GET", "/notes");
    assert.equal(list.status, 200, list.body);
    const { notes, sqlite, addons } = list.json();
    assert.deepEqual(notes, [{ id: 1, body: "hello from sqlite" }, { id: 2, body: "and another" }]);
    assert.match(sqlite, /^3\.\d+\.\d+$/);
    assert.deepEqual(addons, ["/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node"], "the server runs the compiled addon");
  });
  t.diagnostic(`built and served in ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

test("Express with bcrypt 6, compiled from source with buildInputs although its tarball has prebuilds: a password hashed and verified over HTTP", { timeout: 900_000, skip }, async (t) => {
  const started = Date.now();
  const { dir, root, stderr } = await build({
    // bcrypt 6's install script is node-gyp-build, which takes its bundled prebuild unless
    // npm_config_build_from_source is set (bcrypt 5's node-pre-gyp would try a download first).
    "src/package.json": JSON.stringify({ name: "users", version: "1.0.0", main: "server.js", dependencies: { express: "4.21.2", bcrypt: "6.0.0" } }),
    "src/server.js": `const express = require("express");
const bcrypt = require("bcrypt");
${LOADED_ADDONS}
const users = new Map();
const app = express();
app.use(express.json());
app.get("/health", (req, res) => res.json({ ok: true }));
app.post("/users", async (req, res) => {
  const hash = await bcrypt.hash(req.body.password, 8);
  users.set(req.body.name, hash);
  res.status(201).json({ name: req.body.name, hash, addons: addons() });
});
app.post("/login", async (req, res) => {
  const hash = users.get(req.body.name);
  const ok = hash !== undefined && (await bcrypt.compare(req.body.password, hash));
  res.status(ok ? 200 : 401).json({ ok });
});
app.listen(3000, () => console.log("listening on 3000"));
`,
    // build-all.sh, the maintainers' bash script for making the prebuilds, stays: nothing runs it,
    // and a dependency's script whose interpreter the image lacks is noted, not a failure.
    "image.ts": definition("users", []),
  });
  assert.match(stderr, /note \(nothing in the image runs these\):.*node_modules\/bcrypt\/build-all\.sh.*interpreter \/bin\/bash/s);
  t.diagnostic(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.match(stderr, /derivation users-node-modules: (building .* with network|inputs unchanged, reusing)/);
  await assertCompiled(root, "bcrypt", "bcrypt_lib.node");
  // The tarball's prebuild for this platform stays (only other platforms' are left out), so the
  // server's mapped addon below is what tells the compiled one was loaded.
  assert.deepEqual(await readdir(join(root, "app/node_modules/bcrypt/prebuilds")), ["linux-x64"]);

  await serve(dir, async (base) => {
    const created = await call(base, "POST", "/users", { name: "ada", password: "correct horse battery staple" });
    assert.equal(created.status, 201, created.body);
    const { name, hash, addons } = created.json();
    assert.equal(name, "ada");
    assert.match(hash, /^\$2b\$08\$[./A-Za-z0-9]{53}$/, "a bcrypt hash with cost 8");
    assert.deepEqual(addons, ["/app/node_modules/bcrypt/build/Release/bcrypt_lib.node"], "the server runs the compiled addon, not the prebuild");
    const good = await call(base, "POST", "/login", { name: "ada", password: "correct horse battery staple" });
    assert.equal(good.status, 200, good.body);
    assert.deepEqual(good.json(), { ok: true });
    const bad = await call(base, "POST", "/login", { name: "ada", password: "Tr0ub4dor&3" });
    assert.equal(bad.status, 401, bad.body);
    assert.deepEqual(bad.json(), { ok: false });
  });
  t.diagnostic(`built and served in ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
