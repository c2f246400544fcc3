// The test run proper, started by scripts/test.mjs as `node --import tsx test-runner.mjs FILE…`
// (each test file's own process inherits --import tsx): node:test's run(), which keeps the files in
// the order given where `node --test` would sort them; a spec report, then the slowest files, so a
// CI log shows what eats its time budget.
import { run } from "node:test";
import { spec } from "node:test/reporters";

const SLOWEST_SHOWN = 10;

const files = process.argv.slice(2);
const stream = run({ files, concurrency: Number(process.env.CAIRN_TEST_CONCURRENCY) });

let failed = false;
/** Per file, the sum of its top-level tests and suites (a suite's hooks included). */
const fileMs = new Map();
const record = (data) => {
  if (data.nesting === 0 && data.file) fileMs.set(data.file, (fileMs.get(data.file) ?? 0) + (data.details?.duration_ms ?? 0));
};
stream.on("test:pass", record);
stream.on("test:fail", (data) => {
  record(data);
  if (!data.todo) failed = true;
});

for await (const chunk of stream.compose(spec())) process.stdout.write(chunk);

const cwd = process.cwd() + "/";
const slowest = [...fileMs].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
if (slowest.length > 1) {
  // Files run side by side, so these are times under that load; they add up to more than the wall time.
  process.stdout.write(`\nslowest test files:\n${slowest.map(([f, ms]) => `${(ms / 1000).toFixed(1).padStart(8)} s  ${f.startsWith(cwd) ? f.slice(cwd.length) : f}`).join("\n")}\n`);
}
process.exitCode = failed ? 1 : 0;
