// A node:test reporter that prints, after the run, the test files that took longest: the sum of
// their top-level tests and suites (hooks of a suite included), so a CI log shows what eats its
// time budget. Files run side by side, so these are times under that load, and they add up to more
// than the run's wall time.
const SHOWN = 10;

export default async function* fileTimes(source) {
  const ms = new Map();
  for await (const event of source) {
    if ((event.type !== "test:pass" && event.type !== "test:fail") || event.data.nesting !== 0 || !event.data.file) continue;
    ms.set(event.data.file, (ms.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const cwd = process.cwd() + "/";
  const slowest = [...ms].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  if (!slowest.length) return;
  yield `\nslowest test files:\n${slowest.map(([f, t]) => `${(t / 1000).toFixed(1).padStart(8)} s  ${f.startsWith(cwd) ? f.slice(cwd.length) : f}`).join("\n")}\n`;
}
