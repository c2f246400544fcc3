import assert from "node:assert/strict";
import { test } from "node:test";
import { renderReportHtml } from "./report.js";
import { reportData, whyPaths } from "./report-data.js";
import { sizeReport } from "./size.js";
import { definitionFixture, sizeFixture } from "./size-fixture.js";
import type { Inspected } from "./inspected.js";

test("why: a shortest path from a root; roots are what nothing depends on when there is no definition", () => {
  const { roots, why } = whyPaths({ image: sizeFixture() });
  assert.deepEqual(roots, ["app"]);
  assert.deepEqual(why.get("libc6"), ["app", "libc6"]);
  assert.deepEqual(why.get("app"), ["app"]);
});

test("why: with a definition, its roots and the resolution's edges; the shortest path wins", () => {
  const image = sizeFixture();
  image.packages.push({ ...image.packages[1]!, name: "mid", dependsOn: ["libc6"] });
  image.packages[0]!.dependsOn = ["mid"];
  const inspected: Inspected = {
    image,
    definition: definitionFixture("demo", ["app", "mid"], [["app", "1"], ["mid", "1"], ["libc6", "1"], ["gone", "2"]], [["app", "mid"], ["mid", "libc6"], ["app", "gone"]]),
  };
  const { roots, why } = whyPaths(inspected);
  assert.deepEqual(roots, ["app", "mid"]);
  assert.deepEqual(why.get("libc6"), ["mid", "libc6"]);
  const data = reportData(inspected, sizeReport(image), new Map());
  assert.deepEqual(data.leftOut, { gone: "2" }, "resolved but not in the image");
  assert.deepEqual(data.packages["libc6"]!.requiredBy, ["mid"]);
});

test("the page is self-contained and carries every package's files for the detail panel", () => {
  const inspected: Inspected = { image: sizeFixture() };
  const html = renderReportHtml(inspected, sizeReport(inspected.image), { graphSvg: '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><g class="node" data-package="app"><title>app</title></g></svg>' });
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, "nothing fetched from the network");
  assert.doesNotMatch(html, /<link /);
  assert.doesNotMatch(html, /<\?xml/, "the graph's XML declaration is dropped inside HTML");
  assert.match(html, /<div class="graph"><svg/);
  assert.match(html, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="treemap"/);
  assert.match(html, /<tr data-package="libc6">/);
  const json = /<script type="application\/json" id="data">(.*?)<\/script>/s.exec(html)![1]!;
  assert.doesNotMatch(json, /</, "no tag can end the script early");
  const data = JSON.parse(json);
  assert.deepEqual(data.packages.app.files, [["/usr/bin/app", 5000], ["/usr/share/app/data", 700], ["/usr/share/app/<odd & name>", 30]]);
  assert.deepEqual(data.packages.libc6.why, ["app", "libc6"]);
  assert.match(renderReportHtml(inspected, sizeReport(inspected.image)), /dependency graph is not available/);
});
