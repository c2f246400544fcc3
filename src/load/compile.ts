// Definitions are TypeScript, Node 20 runs JavaScript. A definition is compiled with esbuild — its
// local imports bundled in; npm packages, node builtins and cairn's API ("cairn-build", "cairn") left as imports of the modules
// Node would load — and the result is kept in the store, remembered by the hashes of every file that
// went in: an unchanged definition loads without starting a compiler.
import { readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { isBuiltin } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildFailure, Message, Plugin } from "esbuild";
import { CairnError, ErrorCode } from "../errors.js";
import type { Store } from "../store/store.js";
import { filesUnchanged, hashFiles, sha256, type FileHashes } from "./file-hashes.js";
import { CAIRN_API_NAMES, CAIRN_API_URL } from "../location.js";

/** Bumped when the compiled output changes shape, so earlier results are not reused. */
const COMPILE_FORMAT = 1;
const MODULE_NAME = "definition.mjs";
/** What `import.meta` becomes in a bundled file: its own location, not the compiled module's. */
const IMPORT_META = "__cairnImportMeta";

interface CompiledRecord {
  /** Every file the output depends on: the sources bundled in, the packages' package.json, the nearest tsconfig.json and package.json. */
  inputs: FileHashes;
  /** The store tree holding the compiled module. */
  tree: string;
}

export interface CompileOptions {
  /** The module "cairn" resolves to (default: the API of this running cairn). */
  apiUrl?: string;
}

/** The file URL of the definition compiled to an ES module, from the store when nothing changed. */
export async function compileDefinition(file: string, store: Store, options: CompileOptions = {}): Promise<string> {
  const apiUrl = options.apiUrl ?? CAIRN_API_URL;
  const key = sha256(`${COMPILE_FORMAT}\n${file}\n${apiUrl}`);
  const known = await store.getEntry<CompiledRecord>("definition", key);
  // The compiled module is run: it is used only while it still hashes to the name it was stored under.
  if (known && (await moduleIntact(store, known.tree)) && (await filesUnchanged(known.inputs))) {
    return pathToFileURL(path.join(store.treePath(known.tree), MODULE_NAME)).href;
  }
  const { code, inputs } = await compile(file, apiUrl);
  const tree = sha256(code);
  const dir = await store.tree(tree, (d) => writeFile(path.join(d, MODULE_NAME), code));
  await store.putEntry("definition", key, { inputs, tree } satisfies CompiledRecord);
  return pathToFileURL(path.join(dir, MODULE_NAME)).href;
}

async function moduleIntact(store: Store, tree: string): Promise<boolean> {
  const code = await readFile(path.join(store.treePath(tree), MODULE_NAME), "utf8").catch(() => undefined);
  if (code !== undefined && sha256(code) === tree) return true;
  await store.dropTree(tree);
  return false;
}

/** Compiles without caching: the module's text (with an inline source map) and its inputs. */
async function compile(file: string, apiUrl: string): Promise<{ code: string; inputs: FileHashes }> {
  const esbuild = await import("esbuild");
  const dir = path.dirname(file);
  const loaded = new Map<string, string>();
  const extra = new Set<string>();
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: [file],
      outfile: path.join(dir, MODULE_NAME),
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      // Node's own choice of a package's entry: "main", never "module".
      mainFields: ["main"],
      sourcemap: "external",
      sourcesContent: false,
      define: { "import.meta": IMPORT_META },
      logLevel: "silent",
      plugins: [definitionPlugin(apiUrl, loaded, extra)],
    });
  } catch (e) {
    throw compileError(e as BuildFailure, dir);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith(".mjs"))!.text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as { sources: string[] };
  // Absolute sources: the module runs from the store, stack traces must name the files people edit.
  const base = pathToFileURL(dir + path.sep);
  map.sources = map.sources.map((s) => new URL(s, base).href);
  const code = `${js}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`;
  // How imports resolve and compile also depends on the nearest tsconfig.json (paths, settings)
  // and package.json ("#imports") of each file.
  for (const f of loaded.keys()) {
    for (const name of ["tsconfig.json", "package.json"]) {
      const found = nearest(path.dirname(f), name);
      if (found) extra.add(found);
    }
  }
  const inputs: FileHashes = [...loaded].concat(await hashFiles([...extra].filter((f) => !loaded.has(f))));
  return { code, inputs: inputs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

function definitionPlugin(apiUrl: string, loaded: Map<string, string>, extra: Set<string>): Plugin {
  const inner = { cairnInner: true };
  return {
    name: "cairn-definition",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        const s = args.path;
        if (args.pluginData === inner || args.kind === "entry-point") return undefined;
        if (CAIRN_API_NAMES.includes(s)) return { path: apiUrl, external: true };
        if (s.startsWith(".") || path.isAbsolute(s) || isBuiltin(s)) return undefined;
        // A package: loaded by Node from where it is installed, found from the importing file.
        const r = await build.resolve(s, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: inner });
        // Not installed: esbuild's own attempt then fails with the import's file and line.
        if (r.errors.length) return undefined;
        if (r.external) return { path: r.path, external: true };
        const pkg = packageJsonOf(r.path);
        // Not an installed package (tsconfig paths, "#imports", a linked workspace): local code, bundled.
        if (!pkg) return { path: r.path };
        extra.add(pkg);
        return { path: pathToFileURL(r.path).href, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: "file" }, async (args) => {
        // Hashed from the very bytes compiled, so the record can never describe newer sources.
        const bytes = await readFile(args.path);
        loaded.set(args.path, sha256(bytes));
        let contents = bytes.toString("utf8");
        if (/\.[cm]?[jt]sx?$/.test(args.path) && contents.includes("import.meta")) {
          // Prepended on line 1 (no line shift): later lines keep their numbers in stack traces.
          const meta = { url: pathToFileURL(args.path).href, filename: args.path, dirname: path.dirname(args.path) };
          contents = `const ${IMPORT_META} = ${JSON.stringify(meta)};${contents}`;
        }
        return { contents, loader: "default" };
      });
    },
  };
}

/** The package.json of the installed package a file belongs to: its exports and main decide resolution. */
function packageJsonOf(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = file.slice(at + marker.length).split(path.sep);
  const depth = rest[0]!.startsWith("@") ? 2 : 1;
  const pkg = path.join(file.slice(0, at + marker.length), ...rest.slice(0, depth), "package.json");
  return existsSync(pkg) ? pkg : undefined;
}

function nearest(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const f = path.join(d, name);
    if (existsSync(f)) return f;
    if (path.dirname(d) === d || path.basename(d) === "node_modules") return undefined;
  }
}

function compileError(e: BuildFailure, dir: string): CairnError {
  const first: Message | undefined = e.errors?.[0];
  if (!first) return new CairnError(ErrorCode.DEFINITION_FAILED, `Could not compile the definition: ${e.message}`, "Fix the definition; `npx tsc --noEmit` shows type errors too.", { cause: e });
  const loc = first.location;
  const where = loc ? `${path.relative(process.cwd(), path.resolve(dir, loc.file)) || loc.file}:${loc.line}:${loc.column + 1}` : "the definition";
  const more = e.errors.length > 1 ? ` (and ${e.errors.length - 1} more error${e.errors.length > 2 ? "s" : ""})` : "";
  const unresolved = /^Could not resolve "([^"]+)"/.exec(first.text);
  const hint = unresolved && !/^[./]/.test(unresolved[1]!)
    ? `Install the package beside the definition (\`npm install ${unresolved[1]}\`), or fix the import.`
    : "Fix the definition at that line; `npx tsc --noEmit` shows type errors too.";
  return new CairnError(ErrorCode.DEFINITION_FAILED, `${where}: ${first.text}${more}`, hint, { cause: e, data: { path: where } });
}
