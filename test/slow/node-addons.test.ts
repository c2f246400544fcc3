// A native addon from npm with install scripts (bufferutil: node-gyp-build picks its prebuilt
// addon): the image keeps the prebuild for its own platform only, the node_modules/ excludes
// reach the installed dependencies, and podman runs the application with the addon loaded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";
import { available, podman, type Engine } from "../support/engines.js";

let engine: Engine | undefined;
after(async () => engine?.cleanup());

test("allowScripts with a prebuilt addon: only linux-x64's prebuild is in the image, excludes reach node_modules, and it runs", { timeout: 600_000, skip: !available().podman && "podman is not installed (apt-get install podman runc)" }, async () => {
  const dir = await project({
    "src/package.json": JSON.stringify({ name: "napp", version: "1.0.0", main: "index.js", dependencies: { bufferutil: "4.0.8" } }),
    "src/index.js": 'const b = require("bufferutil");\nconst native = require.resolve("bufferutil/prebuilds/linux-x64/node.napi.node");\nconsole.log("mask is", typeof b.mask, native ? "native" : "");\n',
    "image.ts": `import { buildImage, debian, node } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const app = buildImage({
  name: "napp", tag: "1",
  contents: node(pkgs).application({ name: "napp", src: "./src", allowScripts: true, exclude: ["node_modules/bufferutil/src", "node_modules/**/*.md"] }),
  config: { Cmd: ["/usr/bin/napp"] },
});
`,
  });
  // The lock as a developer makes it, with npm and its configured registry.
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: join(dir, "src"), stdio: "ignore" });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const { root } = await extractImage(join(dir, "result"));
  const bu = join(root, "app/node_modules/bufferutil");
  assert.deepEqual(await readdir(join(bu, "prebuilds")), ["linux-x64"], "darwin and win32 prebuilds are left out");
  await assert.rejects(readdir(join(bu, "src")), "node_modules/bufferutil/src is excluded");
  await assert.rejects(readFile(join(bu, "README.md")), "node_modules/**/*.md is excluded");
  assert.ok((await readFile(join(bu, "index.js"))).length > 0);

  engine = await podman();
  const run = await engine.run([await engine.load(join(dir, "result"))]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "mask is function native");
});

test("buildInputs and buildFromSource: node-gyp compiles the addon in the install, with node's headers from libnode-dev", { timeout: 900_000, skip: !available().podman && "podman is not installed (apt-get install podman runc)" }, async () => {
  const dir = await project({
    "src/package.json": JSON.stringify({ name: "napp", version: "1.0.0", main: "index.js", dependencies: { bufferutil: "4.0.8" } }),
    "src/index.js": 'const b = require("bufferutil");\nconsole.log("mask is", typeof b.mask, require("fs").existsSync(__dirname + "/node_modules/bufferutil/build/Release/bufferutil.node") ? "compiled" : "prebuilt");\n',
    "image.ts": `import { buildImage, debian, node } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const app = buildImage({
  name: "napp-src", tag: "1",
  contents: node(pkgs).application({
    name: "napp", src: "./src", allowScripts: true, buildFromSource: true,
    buildInputs: [pkgs("python3"), pkgs("make"), pkgs("g++"), pkgs("libnode-dev")],
  }),
  config: { Cmd: ["/usr/bin/napp"] },
});
`,
  });
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: join(dir, "src"), stdio: "ignore" });
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const { root } = await extractImage(join(dir, "result"));
  assert.ok((await readFile(join(root, "app/node_modules/bufferutil/build/Release/bufferutil.node"))).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), "an ELF addon, compiled in the install");
  await assert.rejects(readdir(join(root, "usr/include/node")), "the headers were for the install only");
  engine ??= await podman();
  const run = await engine.run([await engine.load(join(dir, "result"))]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "mask is function compiled");
});
