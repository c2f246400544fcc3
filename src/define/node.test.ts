import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../errors.js";
import { derivationsOf } from "../steps/derivation.js";
import { buildImage, debian, node } from "./index.js";
import type { ContentSpec, DerivationSpec, FilesSpec, TextSpec } from "./spec.js";

const pkgs = debian({ suite: "bookworm" });

function rejects(fn: () => unknown, at: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), `expected a CairnError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    assert.ok(e.message.includes(at), `message ${JSON.stringify(e.message)} should name ${at}`);
    return true;
  });
}

const of = <K extends ContentSpec["kind"]>(items: ContentSpec[], kind: K) => items.filter((i): i is Extract<ContentSpec, { kind: K }> => i.kind === kind);
const wrapperOf = (items: ContentSpec[]) => (of(items, "text") as TextSpec[]).find((t) => t.destination.startsWith("/usr/bin/"))!;

test("an application is nodejs and dash, the npm install, the app's files and /usr/bin/NAME", () => {
  const items = node(pkgs).application({ name: "front", src: "./app" });
  assert.deepEqual(of(items, "debian-package").map((p) => p.name), ["nodejs", "dash"]);
  const [install] = of(items, "derivation") as [DerivationSpec];
  assert.equal(install.name, "front-node-modules");
  assert.equal(install.network, true);
  // Only the two package files (and cairn's own lock check and pruning) go in: a source edit cannot re-run npm.
  assert.deepEqual(install.inputs.map((i) => (i.kind === "debian-package" ? i.name : i.kind === "files" ? `${i.source} → ${i.destination}` : i.kind === "text" ? `text ${i.destination}` : i.kind)), [
    "nodejs", "npm", "app/package.json → /src/package.json", "app/package-lock.json → /src/package-lock.json", "text /src/check-lock.cjs", "text /src/prune.cjs", "text /src/prune.json",
  ]);
  assert.match(install.build, /npm ci .*--omit=dev/);
  assert.match(install.build, /npm ci .*--ignore-scripts/);
  assert.match(install.build, /mv node_modules "\$out"'\/app\/node_modules'/);
  assert.deepEqual(of(items, "files"), [{ kind: "files", source: "./app", destination: "/app", exclude: ["node_modules"] } satisfies FilesSpec]);
  const w = wrapperOf(items);
  assert.equal(w.destination, "/usr/bin/front");
  assert.equal(w.mode, 0o755);
  assert.match(w.text, /^cd '\/app' \|\| exit 1$/m);
  assert.match(w.text, /^exec '\/usr\/bin\/node' '\/app' "\$@"$/m, "node runs the folder: package.json's main");
  // Plain data, as every spec.
  assert.deepEqual(JSON.parse(JSON.stringify(items)), items);
});

test("command: a node_modules/.bin program, a file of the app, or an absolute path", () => {
  const exec = (command: string[], destination?: string) => wrapperOf(node(pkgs).application({ name: "x", src: ".", command, ...(destination ? { destination } : {}) })).text.split("\n").find((l) => l.startsWith("exec "));
  assert.equal(exec(["http-server", "public", "-p", "8080"]), `exec '/usr/bin/node' '/app/node_modules/.bin/http-server' 'public' '-p' '8080' "$@"`);
  assert.equal(exec(["./server.js"], "/srv/web/"), `exec '/usr/bin/node' '/srv/web/server.js' "$@"`);
  assert.equal(exec(["/usr/bin/env", "A=1", "node", "s.js"]), `exec '/usr/bin/env' 'A=1' 'node' 's.js' "$@"`);
  rejects(() => exec(["../../etc/passwd"]), "node().application().command[0]");
  rejects(() => exec([]), "node().application().command");
});

test("omitDev: false keeps devDependencies; allowScripts: true runs install scripts; exclude adds to node_modules", () => {
  const items = node(pkgs).application({ name: "x", src: "/abs/app", omitDev: false, allowScripts: true, exclude: ["*.log"], destination: "/opt/x" });
  const [install] = of(items, "derivation");
  assert.doesNotMatch(install!.build, /--omit=dev|--ignore-scripts/);
  assert.match(install!.build, /"\$out"'\/opt\/x\/node_modules'/);
  assert.equal((install!.inputs[2] as FilesSpec).source, "/abs/app/package.json");
  assert.deepEqual(of(items, "files")[0]!.exclude, ["*.log", "node_modules"]);
});

test("two applications in one image have derivations of their own names", () => {
  const spec = buildImage({ name: "two", contents: [node(pkgs).application({ name: "a", src: "./a" }), node(pkgs).application({ name: "b", src: "./b" })] });
  assert.deepEqual(derivationsOf(spec.contents).map((d) => d.name), ["a-node-modules", "b-node-modules"]);
});

test("mistakes are named: the package set, name, src, unknown fields", () => {
  rejects(() => node({} as never), "node() argument");
  rejects(() => node(pkgs).application({ src: "." } as never), "node().application().name");
  rejects(() => node(pkgs).application({ name: "a b", src: "." }), "node().application().name");
  rejects(() => node(pkgs).application({ name: "a" } as never), "node().application().src");
  rejects(() => node(pkgs).application({ name: "a", src: ".", destination: "app" }), "node().application().destination");
  rejects(() => node(pkgs).application({ name: "a", src: ".", scripts: true } as never), "node().application().scripts");
});

test("the lock check passes a registry lock and names packages without an integrity hash", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-node-lock-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const check = of(of(node(pkgs).application({ name: "x", src: "." }), "derivation")[0]!.inputs, "text")[0] as TextSpec;
  fs.writeFileSync(path.join(dir, "check.cjs"), check.text);
  const run = (lock: object) => {
    fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(lock));
    return spawnSync(process.execPath, ["check.cjs"], { cwd: dir, encoding: "utf8" });
  };
  const good = { lockfileVersion: 3, packages: { "": { name: "x" }, "node_modules/a": { version: "1.0.0", integrity: "sha512-AAAA" }, "node_modules/b": { link: true }, "node_modules/a/node_modules/c": { inBundle: true } } };
  assert.equal(run(good).status, 0);
  const git = run({ ...good, packages: { ...good.packages, "node_modules/g": { version: "1.0.0", resolved: "git+ssh://git@example.org/g.git#abc" } } });
  assert.equal(git.status, 1);
  assert.match(git.stderr, /no integrity hash for node_modules\/g/);
  const v1 = run({ lockfileVersion: 1, dependencies: {} });
  assert.equal(v1.status, 1);
  assert.match(v1.stderr, /lockfileVersion 1/);
});

test("node_modules are pruned in the install: other platforms' prebuilt addons, musl builds, and the node_modules/ excludes", (t) => {
  const contents = node(debian({ suite: "bookworm", architecture: "arm64" })).application({ name: "x", src: "./src", exclude: ["node_modules/**/*.md", "node_modules/bu/src", "docs"] });
  const drv = contents.find((c): c is DerivationSpec => c.kind === "derivation")!;
  const text = (dest: string) => (drv.inputs.find((i): i is TextSpec => i.kind === "text" && i.destination === dest))!.text;
  assert.deepEqual(JSON.parse(text("/src/prune.json")), { arch: "arm64", exclude: ["**/*.md", "bu/src"] });
  assert.deepEqual((contents.find((c): c is FilesSpec => c.kind === "files" && c.destination === "/app"))!.exclude, ["docs", "node_modules"], "the others stay the app's own");
  assert.match(drv.build, /node \/src\/prune\.cjs \/src\/prune\.json/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-prune-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (p: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), "x");
  };
  for (const d of ["darwin-x64+arm64", "linux-x64", "linux-arm64", "win32-x64", "linux-x64+arm64"]) put(`node_modules/bu/prebuilds/${d}/node.napi.node`);
  for (const p of ["node_modules/bu/prebuilds/linux-arm64/node.napi.musl.node", "node_modules/README.md", "node_modules/bu/docs/a.md", "node_modules/bu/src/addon.c", "node_modules/bu/index.js", "node_modules/bu/srcs/kept.js"]) put(p);
  fs.writeFileSync(path.join(dir, "prune.cjs"), text("/src/prune.cjs"));
  fs.writeFileSync(path.join(dir, "prune.json"), text("/src/prune.json"));
  const r = spawnSync(process.execPath, ["prune.cjs", "prune.json"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const left = (fs.readdirSync(path.join(dir, "node_modules"), { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, "node_modules", p)).isFile()).sort();
  assert.deepEqual(left, ["bu/index.js", "bu/prebuilds/linux-arm64/node.napi.node", "bu/prebuilds/linux-x64+arm64/node.napi.node", "bu/srcs/kept.js"]);
  assert.match(r.stdout, /left out 7 paths/);
});
