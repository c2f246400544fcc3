// `npm run fuzz [-- FAMILY…]`: every fuzz property with CAIRN_FUZZ_RUNS cases (default 100,000)
// from CAIRN_FUZZ_SEED (default: random, printed so a failure can be replayed); CAIRN_FUZZ_GREP
// keeps only properties whose name contains it. Prints per-parser counts and times; exits 1 with
// the counterexample when a property fails.
import { families } from "./families.js";
import { runProperty } from "./harness.js";

const runs = Number(process.env.CAIRN_FUZZ_RUNS ?? "100000");
const seed = process.env.CAIRN_FUZZ_SEED !== undefined ? Number(process.env.CAIRN_FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error("CAIRN_FUZZ_RUNS must be a whole number of cases (1 or more) and CAIRN_FUZZ_SEED an integer.");
  process.exit(2);
}
const only = process.argv.slice(2);
const grep = process.env.CAIRN_FUZZ_GREP;
const unknown = only.filter((f) => !(f in families));
if (unknown.length) {
  console.error(`No fuzz family ${unknown.join(", ")}; there are: ${Object.keys(families).join(", ")}.`);
  process.exit(2);
}

console.log(`fuzz: ${runs} cases per property, seed ${seed} (CAIRN_FUZZ_SEED=${seed} replays it)`);
const perParser = new Map<string, { cases: number; ms: number }>();
let failed = 0;
for (const [family, props] of Object.entries(families)) {
  if (only.length && !only.includes(family)) continue;
  for (const p of props) {
    if (grep && !p.name.includes(grep)) continue;
    const n = Math.max(1, Math.ceil(runs * (p.runsScale ?? 1)));
    const r = await runProperty(p, n, seed);
    const total = perParser.get(p.parser) ?? { cases: 0, ms: 0 };
    perParser.set(p.parser, { cases: total.cases + r.cases, ms: total.ms + r.ms });
    const split = r.accepted + r.rejected ? ` (parser calls: ${r.accepted} accepted, ${r.rejected} rejected)` : "";
    console.log(`${r.ok ? "ok  " : "FAIL"} ${p.parser}: ${p.name} — ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s${split}`);
    if (!r.ok) {
      failed++;
      console.log(r.report);
    }
  }
}
console.log("\nper parser:");
for (const [parser, t] of perParser) console.log(`  ${parser.padEnd(28)} ${String(t.cases).padStart(9)} cases  ${(t.ms / 1000).toFixed(1).padStart(7)} s`);
if (failed) {
  console.log(`\n${failed} propert${failed === 1 ? "y" : "ies"} failed (seed ${seed}).`);
  process.exit(1);
}
