// Loading a definition: a TypeScript module, run as is. Its exports that are images become
// buildable by name (`-A redis`); a failure while loading is reported with the file and line.
import { access } from "node:fs/promises";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { Store } from "../store/store.js";
import { typecheckDefinition } from "./typecheck.js";

export interface Definition {
  file: string;
  images: Map<string, ImageSpec>;
}

export interface LoadOptions {
  /** Check types first (cached); a type error stops the build with file and line. */
  typecheck?: { store: Store };
}

export async function loadDefinition(file: string | undefined, options: LoadOptions = {}): Promise<Definition> {
  const abs = path.resolve(file ?? "image.ts");
  try {
    await access(abs);
  } catch {
    throw new CairnError(
      ErrorCode.DEFINITION_NOT_FOUND,
      `No definition at ${abs}.`,
      file ? "Check the path." : "Pass the definition file (e.g. `cairn build examples/redis/image.ts`), or run cairn where an image.ts is.",
    );
  }
  if (options.typecheck) await typecheckDefinition(abs, options.typecheck.store);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    const where = locate(e, abs);
    const msg = isCairnError(e) ? e.message : firstLine(e);
    throw new CairnError(
      isCairnError(e) ? e.code : ErrorCode.DEFINITION_FAILED,
      `${where}: ${msg}`,
      isCairnError(e) ? e.hint : "Fix the definition at that line; `npx tsc --noEmit` shows type errors too.",
      { cause: e },
    );
  }
  const images = new Map<string, ImageSpec>();
  for (const [name, value] of Object.entries(mod)) {
    if (isImageSpec(value)) images.set(name, value);
  }
  return { file: abs, images };
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
  );
}

function isImageSpec(v: unknown): v is ImageSpec {
  return !!v && typeof v === "object" && (v as { kind?: unknown }).kind === "image";
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Transform failed with \d+ errors?:\n/, "").trim();
}

/** `file:line:col` of the first stack frame in the definition (or the file when unknown). */
function locate(e: unknown, file: string): string {
  const msg = e instanceof Error ? e.message : "";
  if (msg.includes(file)) return path.relative(process.cwd(), file) || file;
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  const url = pathToFileURL(file).href;
  for (const line of stack.split("\n")) {
    const m = /\((.*):(\d+):(\d+)\)$/.exec(line) ?? /at (.*):(\d+):(\d+)$/.exec(line);
    if (m && (m[1] === url || m[1] === file)) return `${path.relative(process.cwd(), file) || file}:${m[2]}:${m[3]}`;
  }
  return path.relative(process.cwd(), file) || file;
}
