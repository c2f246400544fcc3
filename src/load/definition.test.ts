// Loading definitions (compiled once, cached by the hashes of their inputs) and the bundle that
// makes cairn start fast — including the rule that an edited source never runs from a stale bundle.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, test } from "node:test";
import { bundle, freshBundle } from "../../scripts/bundle.mjs";
import { buildImage } from "../define/index.js";
import { ErrorCode, isCairnError } from "../errors.js";
import { Store } from "../store/store.js";
import { compileDefinition } from "./compile.js";
import { loadDefinition } from "./definition.js";
import { CAIRN_ROOT } from "../location.js";

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-def-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

async function store(): Promise<Store> {
  return new Store(await mkdtemp(join(tmpdir(), "cairn-def-cache-")));
}

/** The error loading fails with — checked to be the same with node's source maps on (as under
 *  tsx and --enable-source-maps) and off (as in the bundle, where cairn maps positions itself). */
async function loadError(files: Record<string, string>): Promise<{ code: string; message: string; hint?: string; path?: string }> {
  const errors = [];
  const mapsWere = process.sourceMapsEnabled;
  for (const maps of [true, false]) {
    const dir = await folder(files);
    process.setSourceMapsEnabled(maps);
    try {
      const e = await loadDefinition(join(dir, "image.ts"), { store: await store() }).then(
        () => assert.fail("expected the definition to fail"),
        (e: unknown) => e,
      );
      assert.ok(isCairnError(e), String(e));
      const clean = (t: string) => t.replace(dir, "DIR").replace(relative(process.cwd(), dir), "DIR");
      errors.push({ code: e.code, message: clean(e.message), hint: e.hint, path: clean(e.data.path ?? "") });
    } finally {
      process.setSourceMapsEnabled(mapsWere);
    }
  }
  assert.deepEqual(errors[1], errors[0], "the same error with and without node's source maps");
  return errors[0]!;
}

const project = {
  "image.ts": `import { buildImage, files } from "cairn";
import { baseName, helperUrl } from "./lib/names.js";
import { prefixed, flavour } from "fake-pkg";
import { basename } from "node:path";
export { buildImage } from "cairn";
export const img = buildImage({ name: prefixed(baseName), contents: [files(new URL("./app", import.meta.url), "/app")] });
export const where = { here: import.meta.url, dir: basename(import.meta.dirname), helperUrl, flavour };
`,
  "lib/names.ts": `export { baseName } from "#base";\nexport const helperUrl = import.meta.url;\n`,
  "lib/base.ts": `export const baseName: string = "demo";\n`,
  // A subpath import is local code: bundled, so its own imports are compiled too.
  "package.json": JSON.stringify({ type: "module", imports: { "#base": "./lib/base.ts" } }),
  "node_modules/fake-pkg/package.json": JSON.stringify({ name: "fake-pkg", exports: { import: "./index.mjs", require: "./index.cjs" } }),
  "node_modules/fake-pkg/index.mjs": `export const prefixed = (s) => "esm-" + s;\nexport const flavour = "esm";\n`,
  "node_modules/fake-pkg/index.cjs": `exports.prefixed = (s) => "cjs-" + s; exports.flavour = "cjs";\n`,
};

describe("loading a definition", () => {
  test("local imports, packages, node builtins and import.meta work, and \"cairn\" is this cairn", async () => {
    const dir = await folder(project);
    const s = await store();
    const def = await loadDefinition(join(dir, "image.ts"), { store: s });
    assert.deepEqual([...def.images.keys()], ["img"]);
    const img = def.images.get("img")!;
    assert.equal(img.name, "esm-demo", "the package's import entry ran");
    assert.deepEqual(img.contents, [{ kind: "files", source: join(dir, "app"), destination: "/app" }]);

    const mod = await import(await compileDefinition(join(dir, "image.ts"), s));
    // import.meta is each file's own place, not the compiled module's in the cache.
    assert.deepEqual(mod.where, { here: pathToFileURL(join(dir, "image.ts")).href, dir: dir.split("/").pop(), helperUrl: pathToFileURL(join(dir, "lib/names.ts")).href, flavour: "esm" });
    assert.equal(mod.buildImage, buildImage, "one instance of the API for cairn and the definition");
  });

  test("an unchanged definition is not compiled again; an edited import is", async () => {
    const dir = await folder(project);
    const s = await store();
    const file = join(dir, "image.ts");
    const first = await compileDefinition(file, s);
    assert.equal(await compileDefinition(file, s), first);
    const [entry] = await readdir(join(s.root, "entries", "definition"));
    const key = entry!.replace(/\.json$/, "");
    const record = (await s.getEntry<{ inputs: [string, string][]; tree: string }>("definition", key))!;
    assert.deepEqual(record.inputs.map(([f]) => f.slice(dir.length + 1)), ["image.ts", "lib/base.ts", "lib/names.ts", "node_modules/fake-pkg/package.json", "package.json"]);
    // A record pointing at a module of someone else's, written without the cache's key, is not trusted.
    await mkdir(join(s.root, "trees", "mine"), { recursive: true });
    await writeFile(join(s.root, "trees", "mine", "definition.mjs"), "export const mine = true;\n");
    await writeFile(join(s.root, "entries", "definition", entry!), JSON.stringify({ ...record, tree: "mine" }));
    assert.equal(await compileDefinition(file, s), first);
    // Nor is a compiled module changed in place: it no longer hashes to its tree's name, so it is made again.
    const module = fileURLToPath(first);
    const text = await readFile(module, "utf8");
    await writeFile(module, `${text}\nglobalThis.pwned = true;\n`);
    assert.equal(await compileDefinition(file, s), first);
    assert.equal(await readFile(module, "utf8"), text);

    await writeFile(join(dir, "lib/base.ts"), `export const baseName: string = "edited";\n`);
    const again = await compileDefinition(file, s);
    assert.notEqual(again, first);
    assert.equal((await import(again)).img.name, "esm-edited");
    // A package's package.json decides where it resolves: a changed one means compiling again.
    await writeFile(join(dir, "node_modules/fake-pkg/package.json"), JSON.stringify({ name: "fake-pkg", exports: { import: "./index.mjs", require: "./index.cjs" }, version: "2.0.0" }));
    const third = await compileDefinition(file, s);
    assert.equal(third, again, "same output, found by compiling again");
    const updated = (await s.getEntry<typeof record>("definition", key))!;
    assert.notDeepEqual(updated.inputs, record.inputs);
  });

  test("a syntax error names the file, line and column", async () => {
    const e = await loadError({ "image.ts": `import { buildImage } from "cairn";\n\nexport const x = buildImage({ name: "x" ;\n` });
    assert.equal(e.code, ErrorCode.DEFINITION_FAILED);
    assert.match(e.message, /image\.ts:3:\d+: Expected/);
  });

  test("an exception while loading names the definition's line, through the source map", async () => {
    const e = await loadError({
      "image.ts": `import { buildImage } from "cairn";\nimport { check } from "./lib/check.js";\n\nexport const x = buildImage({ name: "x" });\ncheck(x.name);\n`,
      "lib/check.ts": `// a helper that throws: the definition's own line is the one reported\nexport function check(name: string) {\n  throw new Error("boom " + name);\n}\n`,
    });
    assert.equal(e.code, ErrorCode.DEFINITION_FAILED);
    assert.match(e.message, /image\.ts:5:1: boom x$/);
    assert.match(e.path ?? "", /image\.ts:5:1$/, "the error's data names the definition's line too");
  });

  test("a CairnError thrown by the API keeps its code and gains the definition's line", async () => {
    const e = await loadError({ "image.ts": `import { buildImage } from "cairn";\n\n  export const x = buildImage({ name: "Not Valid" });\n` });
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    assert.match(e.message, /image\.ts:3:20: .*name/);
  });

  test("a package that is not installed is named, with what to do", async () => {
    const e = await loadError({ "image.ts": `import { buildImage } from "cairn";\nimport { x } from "not-installed-pkg";\nexport const i = buildImage({ name: x });\n` });
    assert.match(e.message, /image\.ts:2:\d+: Could not resolve "not-installed-pkg"/);
    assert.match(e.hint ?? "", /npm install not-installed-pkg/);
  });
});

describe("the bundle", () => {
  const tiny = {
    "src/cli/main.ts": `import { count } from "../define/index.js";\nexport function main(): number { return count(); }\n`,
    "src/define/index.ts": `let n = 0;\nexport function count(): number { return ++n; }\n`,
    "src/define/index.test.ts": `// not part of the bundle\n`,
  };

  test("CLI and API share one module instance", async () => {
    const root = await folder(tiny);
    await bundle({ root });
    const cli = freshBundle({ root });
    assert.equal(cli, pathToFileURL(join(root, "dist", "cli.mjs")).href);
    const { main } = await import(cli!);
    const { count } = await import(pathToFileURL(join(root, "dist", "api.mjs")).href);
    assert.equal(main(), 1);
    assert.equal(count(), 2);
  });

  test("is used only while every bundled source is unchanged", async () => {
    const root = await folder(tiny);
    assert.equal(freshBundle({ root }), undefined, "no bundle yet");
    await bundle({ root });
    assert.ok(freshBundle({ root }));
    await writeFile(join(root, "src/define/index.test.ts"), "// edited, but not bundled\n");
    assert.ok(freshBundle({ root }), "a file outside the bundle does not matter");
    await writeFile(join(root, "src/define/index.ts"), tiny["src/define/index.ts"]);
    assert.ok(freshBundle({ root }), "a file written again with the same bytes does not matter");
    await writeFile(join(root, "src/define/index.ts"), tiny["src/define/index.ts"] + "// edited\n");
    assert.equal(freshBundle({ root }), undefined, "an edited source makes it stale");
    await bundle({ root });
    assert.ok(freshBundle({ root }));
    await rm(join(root, "src/cli/main.ts"));
    assert.equal(freshBundle({ root }), undefined, "a deleted source makes it stale");
    await writeFile(join(root, "src/cli/main.ts"), "export const broken = ;\n");
    await assert.rejects(bundle({ root }), /Unexpected/);
    assert.equal(freshBundle({ root }), undefined);
    assert.deepEqual((await readdir(root)).sort(), ["dist", "src"], "no staging folder left behind");
  });

  test("cairn's own sources bundle, and the bundle loads definitions with their errors placed", async () => {
    // A copy of this repository's layout: the bundle finds src/ (type checks) and node_modules/
    // (packages) beside its dist/.
    const root = await mkdtemp(join(tmpdir(), "cairn-bundle-"));
    await symlink(join(CAIRN_ROOT, "src"), join(root, "src"));
    await symlink(join(CAIRN_ROOT, "node_modules"), join(root, "node_modules"));
    await bundle({ root });
    // What bin/cairn.js does with a fresh bundle.
    await writeFile(join(root, "run.mjs"), `const { main } = await import("./dist/cli.mjs");\nprocess.exitCode = await main(process.argv.slice(2));\n`);
    const run = (args: string[], cwd?: string) => spawnSync(process.execPath, [join(root, "run.mjs"), ...args], { encoding: "utf8", cwd });
    const help = run(["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: cairn/);

    const cache = await mkdtemp(join(tmpdir(), "cairn-def-cache-"));
    const dir = await folder({ "image.ts": `import { buildImage } from "cairn";\nexport const x = buildImage({ name: "x" });\nthrow new Error("boom");\n` });
    const boom = run(["build", "--cache-dir", cache, "--no-typecheck"], dir);
    assert.equal(boom.status, 1);
    assert.match(boom.stderr, /error\[CAIRN_E002\]: image\.ts:3:\d+: boom/);
    // The type check finds cairn's API from the bundle's place.
    await writeFile(join(dir, "image.ts"), `import { buildImage } from "cairn";\n\nexport const x = buildImage({ name: 42 });\n`);
    const typed = run(["build", "--cache-dir", cache], dir);
    assert.equal(typed.status, 1);
    assert.match(typed.stderr, /error\[CAIRN_E003\]: image\.ts:3:\d+: Type 'number' is not assignable to type 'string'/);
    const compiled = await readdir(join(cache, "trees"));
    const code = await readFile(join(cache, "trees", compiled[0]!, "definition.mjs"), "utf8");
    assert.ok(code.includes(JSON.stringify(pathToFileURL(join(root, "dist", "api.mjs")).href)), `"cairn" is the bundle's API module:\n${code}`);
    assert.ok(existsSync(fileURLToPath(new URL("../../scripts/bundle.mjs", import.meta.url))));
  });
});

describe("a fromImage chain that leads back to itself", () => {
  test("is refused when the definition loads, naming the exports on the way", async () => {
    const dir = await folder({
      "image.ts": `import { buildImage } from "cairn";
export const base = buildImage({ name: "base", contents: [] });
export const app = buildImage({ name: "app", fromImage: base, contents: [] });
// A spec object changed after it was made: base now starts from app, which starts from base.
(base as { fromImage?: unknown }).fromImage = app;
`,
    });
    await assert.rejects(loadDefinition(join(dir, "image.ts"), { store: await store(), typecheck: false }), (e: unknown) => {
      assert.ok(isCairnError(e));
      assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
      // Module namespaces list exports in name order: the walk starts from app.
      assert.match(e.message, /go round in a circle: app → fromImage → base → fromImage → app\./);
      return true;
    });
  });

  test("an image on itself is one step round", async () => {
    const spec = buildImage({ name: "self", contents: [] });
    (spec as { fromImage?: unknown }).fromImage = spec;
    const { checkBaseChains } = await import("./definition.js");
    assert.throws(() => checkBaseChains(new Map([["self", spec]]), "image.ts"), /self → fromImage → self/);
  });
});
