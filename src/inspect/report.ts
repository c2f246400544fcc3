// `cairn size --html`: one self-contained page (inline CSS, script and SVG; nothing fetched) with
// the treemap, the layers and packages tables and the dependency graph. A click on a package in
// any of them shows, in the side panel, its files, its size and why it is in the image.
import { reportData } from "./report-data.js";
import { REPORT_CSS, REPORT_SCRIPT } from "./report-assets.js";
import { formatBytes, type SizeReport } from "./size.js";
import { percent } from "./size-format.js";
import type { Inspected } from "./inspected.js";
import { esc, packageColours, renderTreemapSvg, sizeTree } from "./treemap.js";

export interface ReportOptions {
  /** The dependency graph as SVG (graph.ts's renderGraphSvg); a note stands in its place without. */
  graphSvg?: string;
  /** When the page says it was made (passed in: the core does not read the clock). */
  generated?: string;
}

export function renderReportHtml(inspected: Inspected, report: SizeReport, options: ReportOptions = {}): string {
  const { image } = inspected;
  const tree = sizeTree(image);
  const colours = packageColours(tree.map((p) => p.name));
  const data = reportData(inspected, report, colours);
  const e = report.efficiency;
  const swatch = (name: string) => `<span class="swatch" style="background:${colours.get(name)?.fill ?? "#ccc"}"></span>`;

  const cards = [
    ["image size", formatBytes(report.contentSize), `${report.layers.length} layers`],
    ["compressed", formatBytes(report.storedSize), "as stored"],
    ["files", String(report.fileCount), formatBytes(report.finalSize)],
    ["packages", String(report.packages.length), report.unpackaged.files ? `+ ${formatBytes(report.unpackaged.size)} of no package` : "every file in one"],
    ["efficiency", percent(e.score), "as dive scores it"],
    ["wasted", formatBytes(e.wastedBytes), e.userWastedRatio === null ? "one layer" : `${percent(e.userWastedRatio)} of upper layers`],
  ].map(([k, v, sub]) => `<div class="card"><div class="k">${esc(k!)}</div><div class="v">${esc(v!)}</div><div class="sub">${esc(sub!)}</div></div>`).join("");

  const largest = Math.max(0, ...report.packages.map((p) => p.size));
  const packageRows = report.packages.map((p) => `<tr data-package="${esc(p.name)}"><td>${swatch(p.name)}${esc(p.name)}</td><td>${esc(p.version)}</td>` +
    `<td class="n">${formatBytes(p.size)}</td><td class="n">${p.files}</td><td class="n">${p.layers.join(", ") || "–"}</td>` +
    `<td class="bar"><span title="${share(p.size, report.finalSize)} of the files' bytes" style="width:${largest ? ((p.size / largest) * 100).toFixed(2) : 0}%;background:${colours.get(p.name)?.fill}"></span></td></tr>`).join("\n");
  const unpackagedRow = report.unpackaged.files
    ? `<tr class="muted"><td>${swatch("(no package)")}(no package)</td><td></td><td class="n">${formatBytes(report.unpackaged.size)}</td><td class="n">${report.unpackaged.files}</td><td></td><td></td></tr>` : "";

  const layerRows = report.layers.map((l) => `<tr><td class="n">${l.index}</td><td class="n">${formatBytes(l.storedSize)}</td>` +
    `<td class="n">${l.tarSize === undefined ? "–" : formatBytes(l.tarSize)}</td><td class="n">${formatBytes(l.contentSize)}</td><td class="n">${l.entries}</td>` +
    `<td>${esc(l.createdBy ?? "")}${l.packages.length ? `<div class="pkgs">${l.packages.map((p) => `<a href="#" data-package="${esc(p)}">${esc(p)}</a>`).join(" ")}</div>` : ""}</td>` +
    `<td class="digest" title="${esc(l.digest)}">${esc(l.digest.replace(/^sha256:/, "").slice(0, 12))}</td></tr>`).join("\n");

  const largestRows = report.largest.map((f) => `<tr${f.package ? ` data-package="${esc(f.package)}"` : ""}><td class="n">${formatBytes(f.size)}</td><td class="path">/${esc(f.path)}</td><td>${esc(f.package ?? "")}</td><td class="n">${f.layer}</td></tr>`).join("\n");
  const wasteRows = e.inefficiencies.map((i) => `<tr><td class="n">${formatBytes(i.cumulativeSize)}</td><td class="path">${esc(i.path)}</td><td class="n">${i.layers.join(", ")}</td></tr>`).join("\n");

  const graph = options.graphSvg
    ? `<div class="graph">${stripProlog(options.graphSvg)}</div>`
    : `<p class="muted">The dependency graph is not available in this build of cairn.</p>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(image.reference)} — cairn size</title>
<style>${REPORT_CSS}</style></head>
<body>
<header><h1>${esc(image.reference)}</h1><div class="meta">${esc([report.manifestDigest, options.generated].filter(Boolean).join(" · "))}</div></header>
<div class="cards">${cards}</div>
<div class="layout">
<main>
<section><h2>Where the bytes are</h2><p class="hint">One rectangle per package, its directories inside; hover for sizes, click for files.</p>
<div class="treemap-box">${renderTreemapSvg(image, { width: 1000, height: 560 })}</div></section>
<section><h2>Packages</h2><table class="packages"><thead><tr><th>package</th><th>version</th><th class="n">size</th><th class="n">files</th><th class="n">layer</th><th>share</th></tr></thead>
<tbody>${packageRows}${unpackagedRow}</tbody></table></section>
<section><h2>Layers</h2><table><thead><tr><th class="n">#</th><th class="n">compressed</th><th class="n">tar</th><th class="n">content</th><th class="n">entries</th><th>holds</th><th>digest</th></tr></thead>
<tbody>${layerRows}</tbody></table></section>
<section><h2>Dependencies</h2>${graph}</section>
<section><h2>Largest files</h2><table><thead><tr><th class="n">size</th><th>path</th><th>package</th><th class="n">layer</th></tr></thead><tbody>${largestRows}</tbody></table></section>
<section><h2>Wasted space</h2>${e.inefficientPaths ? `<p>${e.inefficientPaths} paths are in more than one layer or removed: ${formatBytes(e.wastedBytes)} in all copies.</p>
<table><thead><tr><th class="n">all copies</th><th>path</th><th class="n">layers</th></tr></thead><tbody>${wasteRows}</tbody></table>` : "<p>None: no path is in two layers, nothing is removed.</p>"}</section>
</main>
<aside id="detail"><div class="empty">Click a package — in the treemap, the tables or the graph — to see its files, its size and why it is here.</div></aside>
</div>
<script type="application/json" id="data">${JSON.stringify(data).replace(/</g, "\\u003c")}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

function share(part: number, whole: number): string {
  return whole ? `${((part / whole) * 100).toFixed(1)} %` : "0 %";
}

/** An SVG file's XML declaration and doctype do not belong inside HTML. */
function stripProlog(svg: string): string {
  return svg.replace(/<\?xml[^>]*\?>\s*/g, "").replace(/<!DOCTYPE[^>]*>\s*/gi, "").replace(/<!--[\s\S]*?-->\s*/g, "");
}
