// Runs every *.test.ts under test/, src/ and bench/ with node's test runner (Node 20 has no glob for
// --test). Pass file paths or folder names to run a subset: `npm test -- src/debian`.
// Test files run side by side, CAIRN_TEST_CONCURRENCY at once (default 3, measured on a 2-core
// machine: the real tier mostly waits on the mirror, podman and dockerd, not the CPU; node's own
// default there would be 1). The slow tiers under test/ are queued first, so the quick unit tests
// fill in around them rather than one long file running alone at the end.
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

function concurrency() {
  const text = process.env.CAIRN_TEST_CONCURRENCY ?? "3";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`CAIRN_TEST_CONCURRENCY must be a whole number of test files to run at once (1 or more), not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const args = process.argv.slice(2);
const roots = args.length ? args : ["test", "src", "bench"];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? collect(r, []) : [r]));
const r = spawnSync(process.execPath, [
  "--import", "tsx", "--test", `--test-concurrency=${concurrency()}`,
  "--test-reporter=spec", "--test-reporter-destination=stdout",
  `--test-reporter=${new URL("./file-times.mjs", import.meta.url).href}`, "--test-reporter-destination=stdout",
  ...files,
], { stdio: "inherit" });
process.exit(r.status ?? 1);
