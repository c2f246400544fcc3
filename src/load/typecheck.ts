// Type errors in a definition, reported before it runs, with file and line — what an editor would
// underline. Checking costs a second or two, so a clean result is remembered by the hashes of
// every local file the check read: an unchanged definition is never checked twice.
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import type { Store } from "../store/store.js";
import { filesUnchanged, sha256, type FileHashes } from "./file-hashes.js";
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

  const ts = (await import("typescript")).default;
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: ["node"],
    typeRoots: [path.join(CAIRN_ROOT, "node_modules", "@types")],
    baseUrl: path.dirname(file),
    paths: Object.fromEntries(CAIRN_API_NAMES.map((n) => [n, [CAIRN_API]])),
  });
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error && d.file && !isCairnFile(d.file.fileName));
  if (errors.length) {
    const first = errors[0]!;
    const { line, character } = first.file!.getLineAndCharacterOfPosition(first.start ?? 0);
    const where = `${path.relative(process.cwd(), first.file!.fileName) || first.file!.fileName}:${line + 1}:${character + 1}`;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more type error${errors.length > 2 ? "s" : ""})` : "";
    throw new CairnError(
      ErrorCode.DEFINITION_INVALID,
      `${where}: ${ts.flattenDiagnosticMessageText(first.messageText, " ")}${more}`,
      "Fix the definition there (an editor with TypeScript shows it as you type), or pass --no-typecheck to build anyway.",
    );
  }
  // cairn's own API files count too: a changed API must re-check the definition. Hashed from the
  // text the checker read, so a file edited meanwhile is checked again next time.
  const local = program.getSourceFiles().filter((s) => !s.fileName.includes("/node_modules/"));
  const files: FileHashes = local.map((s) => [s.fileName, sha256(s.text)]);
  await store.putEntry("typecheck", key, { files: files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });
}

function isCairnFile(f: string): boolean {
  return f.startsWith(path.join(CAIRN_ROOT, "src") + path.sep);
}
