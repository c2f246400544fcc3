// Runs every *.test.ts under test/, src/ and bench/ with node's test runner (Node 20 has no glob for
// --test). Pass file paths or folder names to run a subset: `npm test -- src/debian`.
// Test files run side by side, CAIRN_TEST_CONCURRENCY at once (default 3, measured on a 2-core
// machine, where node's own default would be 1: the real tier waits on the mirror, podman and
// dockerd as well as the CPU). The longest files start first, the quick unit tests fill in last, so
// that no long file is left running alone at the end.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Longest first, as measured (their tests also fetch what later files reuse from the shared
 * cache: the JDK, node, python). A file missing here just starts in its turn.
 */
const LONGEST = ["test/real/agatha.test.ts", "test/real/python.test.ts", "test/real/node.test.ts", "test/real/steps.test.ts"];

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    // test/slow is its own command (npm run test:slow): compiled native modules and the like.
    if (statSync(p).isDirectory()) { if (name !== "node_modules" && name !== "fixtures" && !(p === join("test", "slow") && !slowAsked)) collect(p, out); }
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
const slowAsked = args.some((a) => a === "test/slow" || a.startsWith("test/slow/"));
const roots = args.length ? args : ["test", "src", "bench"];
const found = roots.flatMap((r) => (statSync(r).isDirectory() ? collect(r, []) : [r]));
const files = [...LONGEST.filter((f) => found.includes(f)), ...found.filter((f) => !LONGEST.includes(f))];
// The real tier builds the examples from the host's mirror, which drops superseded versions at
// every point release: a pinned version it no longer lists is moved first (and said), so no test
// depends on a version staying there. `npm run relock-examples` is the fix to commit.
if (files.some((f) => /^test[\\/](real|slow)[\\/]/.test(f))) {
  const repair = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./examples-locks.ts", import.meta.url)), "--repair"], { stdio: "inherit" });
  if (repair.status !== 0) process.exit(repair.status ?? 1);
}
// --import tsx: test-runner.mjs hands it on to every test file's process.
const runner = fileURLToPath(new URL("./test-runner.mjs", import.meta.url));
const r = spawnSync(process.execPath, ["--import", "tsx", runner, ...files], {
  stdio: "inherit", env: { ...process.env, CAIRN_TEST_CONCURRENCY: String(concurrency()) },
});
process.exit(r.status ?? 1);
