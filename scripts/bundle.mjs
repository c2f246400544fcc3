// Bundles cairn's sources into dist/ so `npx cairn` starts without compiling TypeScript on the fly
// (run by `npm ci` through the `prepare` script, or `npm run build`). dist/stamp.json lists every
// source the bundle was made from with its sha256: bin/cairn.js uses the bundle only while all of
// them are unchanged, so an edited source can never run as a stale bundle. Like git's index, a
// file whose inode, size and change time (ctime: no tool can set it back) are as recorded is not
// read again; any other is hashed and compared.
// Run directly: `node scripts/bundle.mjs [--types] [OUTDIR]` (default dist/ beside scripts/).
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Bumped when the bundle's layout changes, so an older dist/ is not trusted. */
const STAMP_FORMAT = 2;
/** The entry points: the command line, and the API definitions import as "cairn". */
export const ENTRIES = { cli: "src/cli/main.ts", api: "src/define/index.ts" };

function sha256(data) {
  return createHash("sha256").update(data).digest("hex");
}

function identity(st) {
  return `${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`;
}

/** Writes the bundle into `outdir` (replacing what was there); returns the stamp. */
export async function bundle({ root = ROOT, outdir = path.join(root, "dist") } = {}) {
  const esbuild = await import("esbuild");
  const sources = new Map();
  // Each source is hashed from the very bytes esbuild compiles, so the stamp cannot describe
  // newer sources than the bundle holds, even while someone edits them during the build.
  const hashSources = {
    name: "hash-sources",
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        const fd = openSync(args.path, "r");
        try {
          // The identity of the very file read: if it is replaced meanwhile, its ctime differs.
          const st = fstatSync(fd, { bigint: true });
          const contents = readFileSync(fd);
          sources.set(path.relative(root, args.path), [sha256(contents), identity(st)]);
          return { contents, loader: "default" };
        } finally {
          closeSync(fd);
        }
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, path.join(root, v)])),
    bundle: true,
    // Shared chunks: the CLI and the definitions' "cairn" are one module instance; dynamic
    // imports become chunks loaded only by the commands that need them.
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Packages stay in node_modules: some load files beside themselves (xz-decompress's wasm).
    packages: "external",
    outdir,
    outExtension: { ".js": ".mjs" },
    sourcemap: "linked",
    sourcesContent: false,
    write: false,
    logLevel: "silent",
    plugins: [hashSources],
  });
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const stamp = { format: STAMP_FORMAT, sources: [...sources].map(([f, [hash, id]]) => [f, hash, id]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  try {
    for (const f of result.outputFiles) {
      const to = path.join(staging, path.relative(outdir, f.path));
      mkdirSync(path.dirname(to), { recursive: true });
      writeFileSync(to, f.contents);
    }
    writeFileSync(path.join(staging, "stamp.json"), JSON.stringify(stamp, null, 1) + "\n");
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return stamp;
}

/** The bundle's entry module URL when dist/ holds a bundle of exactly today's sources, else undefined. */
export function freshBundle({ root = ROOT, outdir = path.join(root, "dist") } = {}) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(outdir, "stamp.json"), "utf8"));
  } catch {
    return undefined;
  }
  if (stamp.format !== STAMP_FORMAT || !Array.isArray(stamp.sources)) return undefined;
  for (const [file, hash, id] of stamp.sources) {
    try {
      const p = path.join(root, file);
      if (identity(statSync(p, { bigint: true })) !== id && sha256(readFileSync(p)) !== hash) return undefined;
    } catch {
      return undefined;
    }
  }
  return pathToFileURL(path.join(outdir, "cli.mjs")).href;
}

/**
 * Declaration files for the API (dist/types), so a project that installs the package gets types
 * in its editor whatever its own tsconfig says (a .ts source in node_modules would be checked
 * under the project's rules). Made by `prepare`, so packed tarballs and git installs both have them.
 */
export async function emitTypes({ root = ROOT, outdir = path.join(root, "dist") } = {}) {
  const ts = (await import("typescript")).default;
  const program = ts.createProgram([path.join(root, ENTRIES.api)], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, skipLibCheck: true, declaration: true, emitDeclarationOnly: true, types: ["node"],
    rootDir: path.join(root, "src"), outDir: path.join(outdir, "types"),
  });
  const result = program.emit();
  const errors = ts.getPreEmitDiagnostics(program).concat(result.diagnostics).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const types = args.includes("--types");
  const dir = args.find((a) => !a.startsWith("--"));
  const outdir = dir ? path.resolve(dir) : undefined;
  try {
    const stamp = await bundle({ outdir });
    if (types) await emitTypes({ outdir });
    process.stderr.write(`cairn: bundled ${stamp.sources.length} sources${types ? " and the API's types" : ""} into ${path.relative(process.cwd(), outdir ?? path.join(ROOT, "dist")) || "."}\n`);
  } catch (e) {
    process.stderr.write(`cairn: bundling failed (bin/cairn.js runs the sources meanwhile): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
