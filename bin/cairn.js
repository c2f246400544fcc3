#!/usr/bin/env node
// cairn's executable: TypeScript runs as is through tsx (definitions are TypeScript too), and the
// bare specifier "cairn" resolves to this copy of cairn wherever the definition lives.
import { register as registerTsx } from "tsx/esm/api";
import { register } from "node:module";

registerTsx();
const api = new URL("../src/define/index.ts", import.meta.url).href;
const hook = `export async function resolve(s, c, next) { return next(s === "cairn" ? ${JSON.stringify(api)} : s, c); }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
