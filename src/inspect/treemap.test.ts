import assert from "node:assert/strict";
import { test } from "node:test";
import { sizeFixture } from "./size-fixture.js";
import { NO_PACKAGE, packageColours, renderTreemapSvg, sizeTree } from "./treemap.js";

test("sizeTree: packages largest first, each with its directories; loose files as one more group", () => {
  const tree = sizeTree(sizeFixture());
  assert.deepEqual(tree.map((p) => [p.name, p.size, p.files, p.package]), [["app", 5730, 3, "app"], ["libc6", 2050, 2, "libc6"], [NO_PACKAGE, 120, 1, undefined]]);
  assert.deepEqual(tree[0]!.children!.map((d) => [d.name, d.size, d.files]), [["/usr/bin", 5000, 1], ["/usr/share/app", 730, 2]]);
});

test("sizeTree: past 12 directories, the smallest are gathered into one rectangle", () => {
  const img = sizeFixture();
  for (let i = 0; i < 20; i++) img.files.set(`opt/d${i}/f`, { path: `opt/d${i}/f`, kind: "file", size: 100 + i, layer: 1, package: "app" });
  const app = sizeTree(img).find((p) => p.name === "app")!;
  assert.equal(app.children!.length, 12);
  assert.equal(app.children![11]!.name, "11 other directories");
  assert.equal(app.children!.reduce((n, c) => n + c.size, 0), app.size, "nothing lost in the gathering");
});

test("the SVG: one group per package with its size in a tooltip, escaped names, a title", () => {
  const svg = renderTreemapSvg(sizeFixture(), { width: 600, height: 400 });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="treemap" viewBox="0 0 600 400"/);
  assert.match(svg, /<title>demo:1: 7\.90 kB in 6 files, by package and directory<\/title>/);
  assert.match(svg, /<g class="pkg" data-package="app">/);
  assert.match(svg, /<title>app 1\.0-1: 5\.73 kB in 3 files \(72\.5 % of the image\)<\/title>/);
  assert.match(svg, /<title>app \/usr\/share\/app: 730 B in 2 files<\/title>/);
  assert.match(svg, /<g class="pkg" data-package="">/, "the files of no package");
  assert.doesNotMatch(svg, /<odd/, "names are escaped");
  // Well formed enough for an XML parser: every <g> closed, no stray ampersand.
  assert.equal(svg.match(/<g /g)!.length, svg.match(/<\/g>/g)!.length);
  assert.doesNotMatch(svg.replace(/&(amp|lt|gt|quot);/g, ""), /&/);
});

test("package colours are distinct, and grey for no package", () => {
  const c = packageColours(["a", "b", "c", NO_PACKAGE]);
  assert.equal(new Set([...c.values()].map((v) => v.fill)).size, 4);
  assert.equal(c.get(NO_PACKAGE)!.fill, "hsl(0 0% 62%)");
});
