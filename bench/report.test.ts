import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTargets, formatRatio, formatSeconds, limitSeconds, median, renderLimits, renderMeasurements, renderRatios, type Limit, type Row } from "./report.js";

const rows: Row[] = [
  { image: "redis", tool: "cairn", seconds: { cold: [4, 2, 3], warm: [0.5, 0.7, 0.6], noop: [0.4, 0.4, 0.4], app: [0.9, 1.1, 0.8], store: [1.5, 0.9, 1.0], push: [0.3, 0.5, 0.4] }, rssKiB: [100_000, 150_000], sizes: { uncompressed: 20e6, compressed: 8e6 } },
  { image: "redis", tool: "dockerfile", seconds: { cold: [30, 30, 30], warm: [1, 1, 1], noop: [0.2, 0.2, 0.2], app: [2, 2, 2], push: [3, 3, 3] }, rssKiB: [50_000], sizes: { uncompressed: 180e6, compressed: 60e6 } },
  { image: "redis", tool: "docker", seconds: { cold: [6, 6, 6], warm: [0.9], noop: [0.8], app: [1.5], push: [2] }, rssKiB: [200_000], sizes: { uncompressed: 185e6, compressed: 70e6 } },
  { image: "redis", tool: "mmdebstrap", seconds: { cold: [20] }, rssKiB: [90_000], sizes: { uncompressed: 160e6, compressed: 50e6 } },
  { image: "big", tool: "cairn", seconds: { cold: [40] }, rssKiB: [400_000] },
  { image: "jdk", tool: "cairn", seconds: { cold: [20] }, rssKiB: [320_000] },
  { image: "jdk", tool: "docker", seconds: { cold: [50] }, rssKiB: [250_000] },
];

const limits: Limit[] = [{ image: "redis", debs: 52, layerBytes: 21.2e6, cores: 2, decompress: [0.5, 0.7, 0.6], fflate: [1.0, 0.8, 0.9], gzip: [0.4] }];

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
  assert.equal(t[0], "| image | tool | cold | warm | no-op | app change | from a store | app change + push | size uncompressed | size gzip | peak RSS |");
  assert.equal(t[2], "| redis | cairn | 3.00 s | 0.60 s | 0.40 s | 0.90 s | 1.00 s | 0.40 s | 20.0 MB | 8.0 MB | 153.6 MB |");
  assert.equal(t[4], "| redis | Dockerfile (docker build) | 6.00 s | 0.90 s | 0.80 s | 1.50 s | — | 2.00 s | 185.0 MB | 70.0 MB | 204.8 MB |");
  assert.equal(t[5], "| redis | mmdebstrap | 20.0 s | — | — | — | — | — | 160.0 MB | 50.0 MB | 92.2 MB |");
});

test("ratios: anchor time over cairn time, cairn size over anchor size; the limit over cairn's cold", () => {
  const t = renderRatios(rows, limits).split("\n");
  assert.equal(t.length, 8); // header, rule, three anchors and two limits of redis, one anchor of jdk; big has none
  assert.equal(t[2], "| redis | Dockerfile (podman build) | 10.0× | 1.67× | 0.50× | 2.22× | — | 7.50× | 0.11× | 0.13× | 3.00× |");
  assert.equal(t[3], "| redis | Dockerfile (docker build) | 2.00× | 1.50× | 2.00× | 1.67× | — | 5.00× | 0.11× | 0.11× | 0.75× |");
  assert.match(t[4], /^\| redis \| mmdebstrap \| 6\.67× \| — \| — \| — \| — \| — \|/);
  // (0.6 s + 0.9 s) ÷ 3 s and (0.6 s + 0.4 s) ÷ 3 s
  assert.equal(t[5], "| redis | limit (fflate) | 0.50× | — | — | — | — | — | — | — | — |");
  assert.equal(t[6], "| redis | limit (gzip -6) | 0.33× | — | — | — | — | — | — | — | — |");
  assert.equal(t[7], "| jdk | Dockerfile (docker build) | 2.50× | — | — | — | — | — | — | — | 1.28× |");
  assert.equal(renderRatios(rows).split("\n").length, 6, "without limits, no limit rows");
});

test("the limit is the median decompression plus the median compression, printed with its parts", () => {
  assert.equal(limitSeconds(limits[0], "fflate"), 1.5);
  assert.equal(limitSeconds(limits[0], "gzip"), 1.0);
  assert.equal(renderLimits(limits), "- redis: limit (decompress 52 .debs + gzip 21.2 MB of layers, 2 cores): 1.50 s (fflate) / 1.00 s (gzip -6) — decompress 0.60 s, gzip 0.90 s / 0.40 s");
  assert.equal(renderLimits([]), "(no limit measured in this run)");
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
  assert.equal(byWhat["redis app change + push < 0.5 s"].value, "0.40 s");
  assert.equal(byWhat["redis app change + push < 0.5 s"].ok, true);
});

test("every phase against each Dockerfile anchor: the worst ratio decides; memory against theirs and under 300 MB", () => {
  const byWhat = Object.fromEntries(checkTargets(rows).map((t) => [t.what, t]));
  assert.deepEqual(byWhat["redis: every phase ≥ 2× faster than Dockerfile (podman build)"], { what: "redis: every phase ≥ 2× faster than Dockerfile (podman build)", value: "0.50× (no-op)", ok: false });
  assert.equal(byWhat["redis: every phase ≥ 2× faster than Dockerfile (docker build)"].value, "1.50× (warm)");
  assert.equal(byWhat["redis: every phase ≥ 2× faster than Dockerfile (docker build)"].ok, false);
  assert.equal(byWhat["jdk: every phase ≥ 2× faster than Dockerfile (docker build)"].value, "2.50× (cold)");
  assert.equal(byWhat["jdk: every phase ≥ 2× faster than Dockerfile (docker build)"].ok, true);
  assert.equal(byWhat["redis: every phase ≥ 2× faster than mmdebstrap"], undefined, "mmdebstrap is not a Dockerfile build");
  assert.equal(byWhat["redis peak RSS ≤ Dockerfile (podman build)'s"].ok, false);
  assert.equal(byWhat["redis peak RSS ≤ Dockerfile (docker build)'s"].value, "153.6 MB vs 204.8 MB");
  assert.equal(byWhat["redis peak RSS ≤ Dockerfile (docker build)'s"].ok, true);
  assert.equal(byWhat["redis peak RSS < 300 MB"].ok, true);
  assert.equal(byWhat["jdk peak RSS < 300 MB"].value, "327.7 MB");
  assert.equal(byWhat["jdk peak RSS < 300 MB"].ok, false);
  assert.equal(byWhat["big peak RSS < 300 MB"], undefined, "big has its own 1 GB target");
});
