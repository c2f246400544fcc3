// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20 has no glob for
// --test). Pass file paths or folder names to run a subset: `npm test -- src/debian`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== "node_modules" && name !== "fixtures") collect(p, out); }
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const roots = args.length ? args : ["src", "test", "bench"];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? collect(r, []) : [r]));
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
