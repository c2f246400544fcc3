// Where this copy of cairn lives. cairn runs either from its sources (src/*.ts through tsx)
// or from the bundle (dist/*.mjs, every chunk in one folder); both sit one level below the root.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const fromSources = import.meta.url.endsWith(".ts");

/** The repository root: the folder holding src/, dist/ and node_modules/. */
export const CAIRN_ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** The API's TypeScript source, which type checks read. */
export const CAIRN_API_SOURCE = path.join(CAIRN_ROOT, "src", "define", "index.ts");

/** The module a definition's `import ... from "cairn"` loads: the same instance the CLI runs. */
export const CAIRN_API_URL = fromSources ? pathToFileURL(CAIRN_API_SOURCE).href : pathToFileURL(path.join(CAIRN_ROOT, "dist", "api.mjs")).href;

/**
 * The names a definition imports the API by: the package's npm name, and the short name cairn
 * definitions used before the package was published under it (both load this running cairn).
 */
export const CAIRN_API_NAMES: readonly string[] = ["cairn-build", "cairn"];

let version: string | undefined;

/** This cairn's version, from the package.json at its root (sources and bundle alike). */
export function cairnVersion(): string {
  if (version) return version;
  try {
    const pkg = JSON.parse(readFileSync(path.join(CAIRN_ROOT, "package.json"), "utf8")) as { version?: unknown };
    version = typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    version = "0.0.0";
  }
  return version;
}
