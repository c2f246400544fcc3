// Type errors in a definition, reported before it runs, with file and line — what an editor would
// underline. Checking costs a second or two, so a clean result is remembered by the hashes of
// every local file the check read: an unchanged definition is never checked twice.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import { isExecutable } from "../executables.js";
import type { Store } from "../store/store.js";
import { filesUnchanged, hashFiles, sha256, type FileHashes } from "./file-hashes.js";
import { CAIRN_API_NAMES, CAIRN_API_SOURCE as CAIRN_API, CAIRN_ROOT } from "../location.js";

/** Bumped when the checking rules change, so earlier clean results are not trusted. */
const CHECK_FORMAT = 1;

interface CleanRecord {
  files: FileHashes;
}

export async function typecheckDefinition(file: string, store: Store): Promise<void> {
  const key = sha256(`${CHECK_FORMAT}\n${file}`);
  const clean = await store.getEntry<CleanRecord>("typecheck", key);
  if (clean && (await filesUnchanged(clean.files))) return;
  // The native checker first (a fraction of a second where tsc's API takes two); tsc's where it cannot run.
  const native = await checkNatively(file, store);
  const files = native ?? (await checkWithTsc(file));
  await store.putEntry("typecheck", key, { files: files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });
}

/** The options both checkers use, as a tsconfig says them: strict, NodeNext, "cairn" and "cairn-build" naming cairn's API. */
function compilerOptions() {
  return {
    strict: true, noEmit: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true,
    allowImportingTsExtensions: true, types: ["node"], typeRoots: [path.join(CAIRN_ROOT, "node_modules", "@types")],
    paths: Object.fromEntries(CAIRN_API_NAMES.map((n) => [n, [CAIRN_API]])),
  };
}

function typeError(where: string, message: string, count: number): CairnError {
  const more = count > 1 ? ` (and ${count - 1} more type error${count > 2 ? "s" : ""})` : "";
  return new CairnError(
    ErrorCode.DEFINITION_INVALID,
    `${where}: ${message}${more}`,
    "Fix the definition there (an editor with TypeScript shows it as you type), or pass --no-typecheck to build anyway.",
  );
}

/**
 * TypeScript's native checker (tsgo, @typescript/native-preview) in a process of its own, with a
 * tsconfig written to the cache. The files it read, or undefined when it cannot run here.
 */
async function checkNatively(file: string, store: Store): Promise<FileHashes | undefined> {
  const command = tsgoCommand();
  if (!command) return undefined;
  const dir = await store.tempPath();
  await fs.mkdir(dir, { recursive: true });
  try {
    const config = path.join(dir, "tsconfig.json");
    await fs.writeFile(config, JSON.stringify({
      compilerOptions: compilerOptions(),
      files: [file],
    }));
    // Asynchronous: the build goes on while the checker runs on the other core.
    const r = await new Promise<{ status: number | null; stdout: string; error?: Error }>((resolve) => {
      execFile(command[0]!, [...command.slice(1), "-p", config, "--pretty", "false", "--listFiles"], { cwd: path.dirname(file), encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout) => {
        const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ status, stdout, ...(error && status === null ? { error } : {}) });
      });
    });
    // 0: clean; 1 or 2: errors found. Anything else (a crash, a missing binary): tsc decides.
    if (r.error || (r.status !== 0 && r.status !== 1 && r.status !== 2)) return undefined;
    const errors: { file: string; line: string; col: string; message: string }[] = [];
    const read: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const m = /^(.+?)\((\d+),(\d+)\): error TS\d+: (.*)$/.exec(line);
      if (m) errors.push({ file: path.resolve(path.dirname(file), m[1]!), line: m[2]!, col: m[3]!, message: m[4]! });
      else if (/^\s/.test(line) && errors.length) errors[errors.length - 1]!.message += ` ${line.trim()}`;
      else if (path.isAbsolute(line)) read.push(line);
    }
    const own = errors.filter((e) => !isCairnFile(e.file));
    if (own.length) throw typeError(`${path.relative(process.cwd(), own[0]!.file) || own[0]!.file}:${own[0]!.line}:${own[0]!.col}`, own[0]!.message, own.length);
    if (r.status !== 0 && !errors.length) return undefined; // it failed without saying where: tsc decides
    const local = read.filter((f) => !f.includes("/node_modules/"));
    if (!local.includes(file)) return undefined;
    return await hashFiles(local);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * How to start tsgo: its native executable (from the platform's package beside it, as its own
 * launcher finds it) saves starting a node process only to start that one; else the launcher.
 */
function tsgoCommand(): string[] | undefined {
  let req: NodeJS.Require;
  let dir: string;
  try {
    const pkg = createRequire(import.meta.url).resolve("@typescript/native-preview/package.json");
    req = createRequire(pkg);
    dir = path.dirname(pkg);
  } catch {
    return undefined;
  }
  try {
    const exe = path.join(path.dirname(req.resolve(`@typescript/native-preview-${process.platform}-${process.arch}/package.json`)), "lib", process.platform === "win32" ? "tsgo.exe" : "tsgo");
    if (isExecutable(exe)) return [exe];
  } catch {
    return [process.execPath, path.join(dir, "bin", "tsgo")];
  }
}

async function checkWithTsc(file: string): Promise<FileHashes> {
  const ts = (await import("typescript")).default;
  // The same options as the native checker's tsconfig, read the way tsc reads a tsconfig.
  const { options } = ts.convertCompilerOptionsFromJson(compilerOptions(), path.dirname(file));
  const program = ts.createProgram([file], options);
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error && d.file && !isCairnFile(d.file.fileName));
  if (errors.length) {
    const first = errors[0]!;
    const { line, character } = first.file!.getLineAndCharacterOfPosition(first.start ?? 0);
    const where = `${path.relative(process.cwd(), first.file!.fileName) || first.file!.fileName}:${line + 1}:${character + 1}`;
    throw typeError(where, ts.flattenDiagnosticMessageText(first.messageText, " "), errors.length);
  }
  // cairn's own API files count too: a changed API must re-check the definition. Hashed from the
  // text the checker read, so a file edited meanwhile is checked again next time.
  const local = program.getSourceFiles().filter((s) => !s.fileName.includes("/node_modules/"));
  return local.map((s) => [s.fileName, sha256(s.text)]);
}

function isCairnFile(f: string): boolean {
  return f.startsWith(path.join(CAIRN_ROOT, "src") + path.sep);
}
