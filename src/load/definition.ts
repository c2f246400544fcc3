// Loading a definition: a TypeScript module, compiled once (src/load/compile.ts) and imported. Its
// exports that are images become buildable by name (`-A redis`); a failure while loading is
// reported with the file and line.
import { access, readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ComposeSpec } from "../define/compose.js";
import type { ContentSpec, ImageSpec } from "../define/spec.js";
import { callStackOf, setHome, setLocation } from "../define/call-site.js";
import { CAIRN_ROOT } from "../location.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { Store } from "../store/store.js";
import type { Reporter } from "../report.js";
import { compileDefinition } from "./compile.js";
import { typecheckDefinition } from "./typecheck.js";

export interface Definition {
  file: string;
  images: Map<string, ImageSpec>;
  /** Exports made with compose(), for `cairn compose`. */
  composes: Map<string, ComposeSpec>;
  /**
   * The type check: rejects with the first type error. Settled before loadDefinition returns,
   * unless it was asked to check alongside.
   */
  checked: Promise<void>;
}

export interface LoadOptions {
  /** Where compiled definitions (and clean type checks) are remembered. */
  store: Store;
  /** Check types first (cached); a type error stops the build with file and line. */
  typecheck?: boolean;
  /**
   * Let the check (a process of its own) run while the caller goes on: it must await
   * `checked` before it writes or sends anything, and prefer its error to a later one.
   */
  checkAlongside?: boolean;
  /** Where the notes a definition's helpers print while it is evaluated go (so that -q silences them). */
  reporter?: Reporter;
}

export async function loadDefinition(file: string | undefined, options: LoadOptions): Promise<Definition> {
  const abs = path.resolve(file ?? "image.ts");
  try {
    await access(abs);
  } catch {
    throw new CairnError(
      ErrorCode.DEFINITION_NOT_FOUND,
      `No definition at ${abs}.`,
      file ? "Check the path." : "Pass the definition file (e.g. `cairn build examples/redis/image.ts`), or run cairn where an image.ts is.",
      { data: { path: abs } },
    );
  }
  const checked = options.typecheck ? typecheckDefinition(abs, options.store) : Promise.resolve();
  if (options.checkAlongside) checked.catch(() => {}); // awaited by the caller, later
  else await checked;
  const url = await compileDefinition(abs, options.store).catch(preferTypeError(checked, options));
  let mod: Record<string, unknown>;
  // The definition's own line may sit below many frames of cairn's validation: keep them all.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, 100);
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    // A type error usually is why the definition failed: it says so with file and line.
    if (options.checkAlongside) await checked;
    const where = await locate(e, abs, url);
    const msg = isCairnError(e) ? e.message : firstLine(e);
    throw new CairnError(
      isCairnError(e) ? e.code : ErrorCode.DEFINITION_FAILED,
      `${where}: ${msg}`,
      isCairnError(e) ? e.hint : "Fix the definition at that line; `npx tsc --noEmit` shows type errors too.",
      { cause: e, data: { ...(isCairnError(e) ? e.data : {}), path: where } },
    );
  } finally {
    Error.stackTraceLimit = limit;
  }
  const images = new Map<string, ImageSpec>();
  const composes = new Map<string, ComposeSpec>();
  for (const [name, value] of Object.entries(mod)) {
    if (isImageSpec(value)) images.set(name, value);
    else if (isComposeSpec(value)) composes.set(name, value);
  }
  checkBaseChains(images, abs);
  // Images a compose() service or a fromImage names need not be exports themselves.
  const all = [...images.values(), ...[...composes.values()].flatMap((c) => Object.values(c.services).map((s) => s.image))];
  await locateFiles(all, abs, url);
  return { file: abs, images, composes, checked };
}

/** A failure while the check runs alongside: the type error, when there is one, explains it better. */
function preferTypeError(checked: Promise<void>, options: LoadOptions) {
  return async (e: unknown): Promise<never> => {
    if (options.checkAlongside) await checked;
    throw e;
  };
}

/** Each files() and fetchurl() of the definition learns its file:line, for errors found at build time. */
async function locateFiles(images: ImageSpec[], file: string, compiledUrl: string): Promise<void> {
  const seen = new Set<object>();
  const visit = async (items: readonly ContentSpec[]) => {
    for (const c of items) {
      if (seen.has(c)) continue;
      seen.add(c);
      if (c.kind === "derivation") await visit(c.pip ? [...c.inputs, c.pip.file] : c.inputs);
      const stack = c.kind === "files" || c.kind === "fetched" || c.kind === "python-project" ? callStackOf(c) : undefined;
      if (!stack) continue;
      const where = await locate({ stack, message: "" }, file, compiledUrl);
      if (/:\d+:\d+$/.test(where)) setLocation(c, where);
      const caller = await callerSource(stack, compiledUrl);
      if (caller) setHome(c, path.dirname(caller));
    }
  };
  for (const image of images) {
    for (let spec: ImageSpec | undefined = image; spec && !seen.has(spec); spec = spec.fromImage?.kind === "image" ? spec.fromImage : undefined) {
      seen.add(spec);
      await visit(spec.contents);
    }
  }
}

/**
 * An image whose `fromImage` leads back to itself (a spec object changed after it was made) would
 * build its base forever: refused here, for every command, with the chain named.
 */
export function checkBaseChains(images: Map<string, ImageSpec>, file: string): void {
  const names = new Map<ImageSpec, string>([...images].map(([n, s]) => [s, n]));
  const label = (s: ImageSpec) => names.get(s) ?? `${s.name}:${s.tag}`;
  for (const [, spec] of images) {
    const chain: ImageSpec[] = [];
    // Bounded by the number of distinct specs on the way: a repeat is the cycle.
    for (let s: ImageSpec | undefined = spec; s; s = s.fromImage?.kind === "image" ? s.fromImage : undefined) {
      if (chain.includes(s)) {
        throw new CairnError(
          ErrorCode.DEFINITION_INVALID,
          `${file}: the base images go round in a circle: ${[...chain, s].map(label).join(" → fromImage → ")}.`,
          "An image cannot be built on itself; give the first one in that chain a base that does not lead back to it.",
          { data: { path: file, subject: label(spec), origins: [...chain, s].map(label) } },
        );
      }
      chain.push(s);
    }
  }
}

/** The image an `-A NAME` picks: the named export, else the default export, else the only image. */
export function pickImage(def: Definition, name: string | undefined): { name: string; spec: ImageSpec } {
  const names = [...def.images.keys()];
  if (name !== undefined) {
    const spec = def.images.get(name);
    if (!spec) throw exportError(def, `has no image export "${name}"`, names);
    return { name, spec };
  }
  if (def.images.has("default")) return { name: "default", spec: def.images.get("default")! };
  if (names.length === 1) return { name: names[0]!, spec: def.images.get(names[0]!)! };
  throw exportError(def, names.length ? `exports several images (${names.join(", ")}); pick one with -A NAME` : "exports no image", names);
}

function exportError(def: Definition, what: string, names: string[]): CairnError {
  return new CairnError(
    ErrorCode.EXPORT_NOT_FOUND,
    `${def.file} ${what}.`,
    names.length ? `Images in this file: ${names.join(", ")}.` : "Export an image: `export const app = buildLayeredImage({ ... })`.",
    { data: { path: def.file, origins: names } },
  );
}

function isImageSpec(v: unknown): v is ImageSpec {
  return !!v && typeof v === "object" && (v as { kind?: unknown }).kind === "image";
}

function isComposeSpec(v: unknown): v is ComposeSpec {
  return !!v && typeof v === "object" && (v as { kind?: unknown }).kind === "compose";
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim();
}

/**
 * `file:line:col` of the first stack frame in the definition (or the file when unknown). Frames
 * in the compiled module are mapped back through its source map here, on failure only: with
 * source maps enabled for the import, Node would read the map of every module loaded meanwhile.
 */
async function locate(e: unknown, file: string, compiledUrl: string): Promise<string> {
  const rel = path.relative(process.cwd(), file) || file;
  const err = e as { message?: unknown; stack?: unknown } | undefined;
  const msg = typeof err?.message === "string" ? err.message : "";
  if (msg.includes(file)) return rel;
  const stack = typeof err?.stack === "string" ? err.stack : "";
  const url = pathToFileURL(file).href;
  let map: SourceMap | undefined;
  for (const f of frames(stack)) {
    // Already mapped when node runs with --enable-source-maps.
    if (f.file === url || f.file === file) return `${rel}:${f.line}:${f.column}`;
    if (f.file !== compiledUrl) continue;
    map ??= await inlineSourceMap(compiledUrl);
    const at = map?.findEntry(f.line - 1, f.column - 1);
    if (at && "originalSource" in at && at.originalSource === url) return `${rel}:${at.originalLine + 1}:${at.originalColumn + 1}`;
  }
  return rel;
}

/** The local source file whose code is the innermost frame of the compiled definition in `stack`. */
async function callerSource(stack: string, compiledUrl: string): Promise<string | undefined> {
  const own = [path.join(CAIRN_ROOT, "src") + path.sep, path.join(CAIRN_ROOT, "dist") + path.sep];
  for (const f of frames(stack)) {
    if (f.file.startsWith("node:")) continue;
    if (f.file === compiledUrl) {
      const at = (await inlineSourceMap(compiledUrl))?.findEntry(f.line - 1, f.column - 1);
      return at && "originalSource" in at && at.originalSource.startsWith("file:") ? fileURLToPath(at.originalSource) : undefined;
    }
    // Frames already mapped to their sources (node --enable-source-maps): cairn's own are passed over.
    const file = f.file.startsWith("file:") ? fileURLToPath(f.file) : f.file;
    if (!path.isAbsolute(file) || own.some((o) => file.startsWith(o))) continue;
    return file;
  }
  return undefined;
}

/** The file, line and column of each frame of a V8 stack trace, innermost first. */
function* frames(stack: string): Generator<{ file: string; line: number; column: number }> {
  for (const text of stack.split("\n")) {
    const m = /\((.*):(\d+):(\d+)\)$/.exec(text) ?? /at (.*):(\d+):(\d+)$/.exec(text);
    if (m) yield { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  }
}

async function inlineSourceMap(moduleUrl: string): Promise<SourceMap | undefined> {
  try {
    const code = await readFile(fileURLToPath(moduleUrl), "utf8");
    const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
    return m ? new SourceMap(JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8"))) : undefined;
  } catch {
    return undefined;
  }
}
