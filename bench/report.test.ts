import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTargets, formatRatio, formatSeconds, median, renderMeasurements, renderRatios, type Row } from "./report.js";

const rows: Row[] = [
  { image: "redis", tool: "cairn", seconds: { cold: [4, 2, 3], warm: [0.5, 0.7, 0.6], noop: [0.4, 0.4, 0.4], app: [0.9, 1.1, 0.8], store: [1.5, 0.9, 1.0] }, rssKiB: [100_000, 150_000], sizes: { uncompressed: 20e6, compressed: 8e6 } },
  { image: "redis", tool: "dockerfile", seconds: { cold: [30, 30, 30], warm: [1, 1, 1], noop: [0.2, 0.2, 0.2], app: [2, 2, 2] }, rssKiB: [50_000], sizes: { uncompressed: 180e6, compressed: 60e6 } },
  { image: "redis", tool: "mmdebstrap", seconds: { cold: [20] }, rssKiB: [90_000], sizes: { uncompressed: 160e6, compressed: 50e6 } },
  { image: "big", tool: "cairn", seconds: { cold: [40] }, rssKiB: [400_000] },
];

test("median of odd and even counts, unsorted input", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test("formats seconds, ratios and missing values", () => {
  assert.equal(formatSeconds(0.123), "0.12 s");
  assert.equal(formatSeconds(15.94), "15.9 s");
  assert.equal(formatSeconds(undefined), "—");
  assert.equal(formatRatio(0.0512), "0.05×");
  assert.equal(formatRatio(10), "10.0×");
  assert.equal(formatRatio(250.4), "250×");
});

test("the measurements table has one row per (image, tool), medians, and — for phases not run", () => {
  const t = renderMeasurements(rows).split("\n");
  assert.equal(t.length, 2 + rows.length);
  assert.equal(t[2], "| redis | cairn | 3.00 s | 0.60 s | 0.40 s | 0.90 s | 1.00 s | 20.0 MB | 8.0 MB | 153.6 MB |");
  assert.equal(t[4], "| redis | mmdebstrap | 20.0 s | — | — | — | — | 160.0 MB | 50.0 MB | 92.2 MB |");
});

test("ratios: anchor time over cairn time, cairn size over anchor size", () => {
  const t = renderRatios(rows).split("\n");
  assert.equal(t.length, 4); // header, rule, two anchors of redis; big has none
  assert.equal(t[2], "| redis | Dockerfile (podman build) | 10.0× | 1.67× | 0.50× | 2.22× | — | 0.11× | 0.13× | 3.00× |");
  assert.match(t[3], /^\| redis \| mmdebstrap \| 6\.67× \| — \| — \| — \|/);
});

test("targets are checked against the medians and the peak", () => {
  const byWhat = Object.fromEntries(checkTargets(rows).map((t) => [t.what, t]));
  assert.equal(byWhat["redis warm rebuild < 1 s"].ok, true);
  assert.equal(byWhat["redis no-op rebuild < 0.3 s"].ok, false);
  assert.equal(byWhat["redis rebuild (warm) ≥ 10× faster than the Dockerfile build (cold)"].ok, true);
  assert.equal(byWhat["redis rebuild (warm) ≥ 10× faster than the Dockerfile build (cold)"].value, "50.0×");
  assert.equal(byWhat["redis image < 25 MB uncompressed"].ok, true);
  assert.equal(byWhat["1 GB image build: peak RSS < 300 MB"].ok, false);
  assert.equal(byWhat["1 GB image build: peak RSS < 300 MB"].value, "409.6 MB");
  // From a store: 1.0 s against a 0.6 s warm rebuild (within 2×), and exactly a third of the 3 s cold one (not under it).
  assert.equal(byWhat["redis from a registry store (empty cache) within 2× of a warm rebuild"].value, "1.67×");
  assert.equal(byWhat["redis from a registry store (empty cache) within 2× of a warm rebuild"].ok, true);
  assert.equal(byWhat["redis from a registry store under a third of a cold build"].ok, false);
});
