// The fuzz properties, a few hundred cases each from a fixed seed: a quick check inside npm test
// that they still hold (`npm run fuzz` runs them at full size, from a random seed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { families } from "./families.js";
import { runProperty } from "./harness.js";

const QUICK_RUNS = 250;
const SEED = 20261202;

for (const [family, props] of Object.entries(families)) {
  for (const p of props) {
    test(`fuzz ${family}: ${p.name}`, async () => {
      // Oracle batches are big already: a couple of them is enough here.
      const n = p.quickRuns ?? Math.max(2, Math.ceil(QUICK_RUNS * (p.runsScale ?? 1)));
      const r = await runProperty(p, n, SEED);
      assert.ok(r.ok, r.report);
      assert.equal(r.runs, n);
    });
  }
}
