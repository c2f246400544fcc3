// Where this copy of cairn lives. cairn runs either from its sources (src/*.ts through tsx)
// or from the bundle (dist/*.mjs, every chunk in one folder); both sit one level below the root.
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const fromSources = import.meta.url.endsWith(".ts");

/** The repository root: the folder holding src/, dist/ and node_modules/. */
export const CAIRN_ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** The API's TypeScript source, which type checks read. */
export const CAIRN_API_SOURCE = path.join(CAIRN_ROOT, "src", "define", "index.ts");

/** The module a definition's `import ... from "cairn"` loads: the same instance the CLI runs. */
export const CAIRN_API_URL = fromSources ? pathToFileURL(CAIRN_API_SOURCE).href : pathToFileURL(path.join(CAIRN_ROOT, "dist", "api.mjs")).href;
