#!/usr/bin/env node
// cairn's executable: TypeScript runs as is through tsx (definitions are TypeScript too), and the
// bare specifier "cairn" resolves to this copy of cairn wherever the definition lives.
import { register as registerTsx } from "tsx/esm/api";
import { register } from "node:module";

registerTsx();
const api = new URL("../src/define/index.ts", import.meta.url).href;
// Definitions are ES modules even in a folder without a package.json saying "type": "module".
const hook = `export async function resolve(s, c, next) {
  const r = await next(s === "cairn" ? ${JSON.stringify(api)} : s, c);
  return /^file:.*\\.ts$/.test(r.url) && !r.url.includes("/node_modules/") ? { ...r, format: "module" } : r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
