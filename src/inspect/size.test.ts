import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBytes, sizeReport } from "./size.js";
import { formatSizeReport, percent, table } from "./size-format.js";
import { sizeFixture } from "./size-fixture.js";

test("per package, per layer, largest files; the package and loose figures add up to the final filesystem", () => {
  const r = sizeReport(sizeFixture(), { top: 3 });
  assert.deepEqual(r.packages.map((p) => [p.name, p.size, p.files, p.layers]), [["app", 5730, 3, [1]], ["libc6", 2050, 2, [0]]]);
  assert.deepEqual(r.unpackaged, { size: 120, files: 1 });
  assert.equal(r.finalSize, 5730 + 2050 + 120);
  assert.equal(r.fileCount, 6, "directories are not files");
  assert.equal(r.contentSize, 2450 + 5850, "every layer's content, rewritten and removed files included");
  assert.equal(r.storedSize, 3400);
  assert.deepEqual(r.layers.map((l) => [l.index, l.entries, l.packages, l.createdBy]), [[0, 5, ["libc6"], "base"], [1, 5, ["app"], "RUN make install"]]);
  assert.equal(r.layers[0]!.tarSize, 2450 + 5 * 512 + 1024);
  assert.equal(r.layers[1]!.tarSize, undefined);
  assert.deepEqual(r.largest.map((f) => [f.path, f.size, f.package]), [["usr/bin/app", 5000, "app"], ["usr/lib/libc.so.6", 2000, "libc6"], ["usr/share/app/data", 700, "app"]]);
});

test("efficiency as dive scores it: the rewritten passwd and the removed junk are waste", () => {
  const e = sizeReport(sizeFixture(), { top: 1 }).efficiency;
  assert.equal(e.wastedBytes, 220 + 300);
  assert.equal(e.inefficientPaths, 2);
  assert.deepEqual(e.inefficiencies.map((i) => i.path), ["/tmp/junk"], "cut to --top, largest first");
  const leaves = 100 + 2000 + 50 + 300 + 120 + 5000 + 700 + 30;
  assert.equal(e.score, (leaves - 120 - 300) / leaves);
  assert.equal(e.userWastedRatio, 520 / 5850);
});

test("formatBytes: SI units as dive prints them", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.00 kB");
  assert.equal(formatBytes(12_345), "12.3 kB");
  assert.equal(formatBytes(123_456), "123 kB");
  assert.equal(formatBytes(999_999), "1.00 MB", "rounds up into the next unit, never 1000 kB");
  assert.equal(formatBytes(8_300_000), "8.30 MB");
  assert.equal(formatBytes(1_800_000_000), "1.80 GB");
  assert.equal(percent(1), "100 %");
  assert.equal(percent(0.98765), "98.8 %");
});

test("the text report: summary, aligned tables, waste listed", () => {
  const text = formatSizeReport(sizeReport(sizeFixture(), { top: 10 }));
  assert.match(text, /^demo:1\n/);
  assert.match(text, /8\.30 kB in 2 layers \(3\.40 kB compressed\); 6 files, 7\.90 kB in the final filesystem/);
  assert.match(text, /efficiency 94\.9 %, wasted 520 B \(8\.9 % of the layers above the first\)/);
  assert.match(text, /\n  5\.00 kB +1 +\/usr\/bin\/app +app\n/);
  assert.match(text, /Packages: 2, 7\.78 kB; 120 B in 1 files of no package/);
  assert.match(text, /Wasted space: 2 paths in more than one layer/);
  assert.match(text, /\n +300 B +2 +0,1 +\/tmp\/junk\n/);
  // Columns line up: every row of the layers table is as wide as its header up to the last column.
  const layers = text.split("Layers\n")[1]!.split("\n\n")[0]!.split("\n");
  const holds = layers[0]!.indexOf("holds");
  for (const row of layers.slice(1)) assert.equal(row[holds - 1], " ", row);
});

test("table: right-aligned numbers, left-aligned text, no trailing spaces", () => {
  assert.deepEqual(table(["n", "name"], ["r", "l"], [["1", "a"], ["100", "bb"]]), ["    n  name", "    1  a", "  100  bb"]);
});
