#!/usr/bin/env node
// cairn's executable. It runs the bundle in dist/ (made by `npm ci` or `npm run build`) while the
// bundle holds exactly today's sources; otherwise — sources edited since, or no bundle — it runs
// the TypeScript sources as they are through tsx, slower to start but never stale.
import { freshBundle } from "../scripts/bundle.mjs";

const bundled = freshBundle();
let main;
if (bundled) {
  ({ main } = await import(bundled));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
const code = await main(process.argv.slice(2));
// The command is over, failed or not: nothing it left behind (a stalled stream, a socket, a
// worker) may keep the process alive, or `cairn build --stream | docker load` would wait forever.
// A reader that went away (EPIPE) has been reported already; it must not crash the flush.
process.stdout.on("error", () => {});
await new Promise((resolve) => process.stdout.write("", () => process.stderr.write("", resolve)));
process.exit(code);
