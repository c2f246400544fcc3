// The package graph drawn: a self-contained SVG (our own layout, no graphviz) and DOT text for
// graphviz users. Roots are amber and bold, packages in the image blue, packages the closure left
// out grey and dashed in a band of their own; a node's height grows with the bytes it adds.
import { formatSize, packageGraph, type GraphNode, type PackageGraph } from "./graph-model.js";
import { layoutGraph, type Point } from "./graph-layout.js";
import type { Inspected } from "./inspected.js";

const FONT = "DejaVu Sans, Verdana, Arial, sans-serif";
const NAME_PX = 12;
const SIZE_PX = 10;
/** DejaVu Sans averages about this much advance per character at 1px (wider than most fonts). */
const CHAR_EM = 0.62;
const MIN_HEIGHT = 34;
const GROW = 52;
const HEADER = 58;

const COLOURS = {
  root: { fill: "#ffe3a3", stroke: "#b7791f", text: "#1a202c" },
  kept: { fill: "#e3eefc", stroke: "#4a6fa5", text: "#1a202c" },
  out: { fill: "#f4f4f4", stroke: "#a0a0a0", text: "#777777" },
  edge: "#7f8fa6",
  edgeOut: "#b5b5b5",
};

/** The graph of an inspected image as an SVG document (nodes carry data-package and an id). */
export function renderGraphSvg(inspected: Inspected): string {
  return graphSvg(packageGraph(inspected));
}

/** The graph as graphviz DOT text. */
export function renderGraphDot(inspected: Inspected): string {
  return graphDot(packageGraph(inspected));
}

/** An element id for a package: Debian names may hold "+", which XML names may not. */
export function nodeId(name: string): string {
  return `pkg-${name.replace(/[^A-Za-z0-9.-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

export function graphSvg(g: PackageGraph): string {
  const max = Math.max(1, ...g.nodes.map((n) => n.size));
  const sizeOf = (n: GraphNode) => ({
    width: Math.ceil(Math.max(label(n).length * SIZE_PX, n.name.length * NAME_PX) * CHAR_EM) + 20,
    height: n.inImage ? Math.round(MIN_HEIGHT + GROW * Math.sqrt(n.size / max)) : MIN_HEIGHT - 4,
  });
  const layout = layoutGraph({
    nodes: g.nodes.map((n) => ({ id: n.name, ...sizeOf(n), group: n.inImage ? 0 : 1 })),
    edges: drawnEdges(g), roots: g.roots,
  });
  const inImage = g.nodes.filter((n) => n.inImage);
  const leftOut = g.nodes.length - inImage.length;
  const total = inImage.reduce((s, n) => s + n.size, 0);
  const width = Math.max(layout.width, 560);
  const height = layout.height + HEADER;
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="cairn-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<title>${esc(`${g.title}: package graph`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${20}" y="${26}" font-size="16" font-weight="bold" fill="#1a202c">${esc(g.title)}</text>`,
    `<text x="${20}" y="${45}" font-size="12" fill="#4a5568">${esc(summary(g, inImage.length, total, leftOut))}</text>`,
    `<g transform="translate(0 ${HEADER})">`,
  );
  out.push(`<g class="edges" fill="none">`);
  for (const e of layout.edges) {
    const apart = !byName.get(e.from)!.inImage || !byName.get(e.to)!.inImage;
    const colour = apart ? COLOURS.edgeOut : COLOURS.edge;
    out.push(
      `<g class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}">`,
      `<path d="${curve(e.points)}" stroke="${colour}" stroke-width="1.2" stroke-opacity="0.8"${apart ? ` stroke-dasharray="4 3"` : ""}/>`,
      `<path d="${arrowhead(e.points)}" fill="${colour}" stroke="none"/>`,
      `</g>`,
    );
  }
  out.push(`</g>`);
  if (layout.apartTop !== undefined) {
    // Drawn over the edges, on white, so the band's caption stays legible.
    const y = layout.apartTop - 24;
    const caption = "Left out of the image: in the Depends closure, but nothing in the image references them";
    out.push(
      `<line x1="12" y1="${y}" x2="${width - 12}" y2="${y}" stroke="#c0c0c0" stroke-dasharray="6 4"/>`,
      `<rect x="16" y="${y + 4}" width="${Math.ceil(caption.length * 11 * CHAR_EM) + 8}" height="16" fill="#ffffff" fill-opacity="0.9"/>`,
      `<text x="20" y="${y + 16}" font-size="11" fill="#777777">${esc(caption)}</text>`,
    );
  }
  out.push(`<g class="nodes">`);
  for (const n of g.nodes) {
    const p = layout.nodes.get(n.name)!;
    const c = !n.inImage ? COLOURS.out : n.root ? COLOURS.root : COLOURS.kept;
    const cx = p.x + p.width / 2;
    const mid = p.y + p.height / 2;
    out.push(
      `<g class="node ${!n.inImage ? "left-out" : n.root ? "root" : "kept"}" id="${nodeId(n.name)}" data-package="${esc(n.name)}">`,
      `<title>${esc(`${n.name} ${n.version}${n.inImage ? `: ${formatSize(n.size)} in the image` : ": left out"}`)}</title>`,
      `<rect x="${r(p.x)}" y="${r(p.y)}" width="${r(p.width)}" height="${r(p.height)}" rx="5" fill="${c.fill}" stroke="${c.stroke}" stroke-width="${n.root ? 2.5 : 1.2}"${n.inImage ? "" : ` stroke-dasharray="4 3"`}/>`,
      `<text x="${r(cx)}" y="${r(mid - 2)}" text-anchor="middle" font-size="${NAME_PX}"${n.root ? ` font-weight="bold"` : ""} fill="${c.text}">${esc(n.name)}</text>`,
      `<text x="${r(cx)}" y="${r(mid + 11)}" text-anchor="middle" font-size="${SIZE_PX}" fill="${n.inImage ? "#4a5568" : c.text}">${esc(label(n))}</text>`,
      `</g>`,
    );
  }
  out.push(`</g>`, `</g>`, `</svg>`);
  return out.join("\n") + "\n";
}

export function graphDot(g: PackageGraph): string {
  const max = Math.max(1, ...g.nodes.map((n) => n.size));
  const lines = [
    `digraph ${dotId(g.title)} {`,
    `  rankdir=LR;`,
    `  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=11, fillcolor="${COLOURS.kept.fill}", color="${COLOURS.kept.stroke}"];`,
    `  edge [color="${COLOURS.edge}", arrowsize=0.6];`,
  ];
  const nodeLine = (n: GraphNode) => {
    const attrs = [`label=${dotId(`${n.name}\n${label(n)}`)}`];
    if (n.inImage) attrs.push(`height=${(0.45 + 0.7 * Math.sqrt(n.size / max)).toFixed(2)}`);
    if (n.root) attrs.push(`fillcolor="${COLOURS.root.fill}"`, `color="${COLOURS.root.stroke}"`, `penwidth=2.5`);
    return `  ${dotId(n.name)} [${attrs.join(", ")}];`;
  };
  for (const n of g.nodes.filter((x) => x.inImage)) lines.push(nodeLine(n));
  const out = g.nodes.filter((x) => !x.inImage);
  if (out.length) {
    lines.push(
      `  subgraph cluster_left_out {`,
      `    label="left out of the image"; style=dashed; color="${COLOURS.out.stroke}"; fontcolor="${COLOURS.out.text}";`,
      `    node [style="rounded,dashed,filled", fillcolor="${COLOURS.out.fill}", color="${COLOURS.out.stroke}", fontcolor="${COLOURS.out.text}"];`,
      ...out.map((n) => `  ${nodeLine(n)}`),
      `  }`,
    );
  }
  const inImage = new Set(g.nodes.filter((n) => n.inImage).map((n) => n.name));
  for (const [a, b] of drawnEdges(g)) {
    lines.push(`  ${dotId(a)} -> ${dotId(b)}${inImage.has(a) && inImage.has(b) ? "" : ` [style=dashed, color="${COLOURS.edgeOut}"]`};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** A DOT quoted string: backslashes and quotes escaped, newlines as graphviz's centred \n. */
export function dotId(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

/**
 * The edges worth drawing: a left-out package's own dependencies on packages in the image
 * (dpkg → libc6) explain nothing and would tie every left-out library back across the picture.
 */
export function drawnEdges(g: PackageGraph): [string, string][] {
  const inImage = new Set(g.nodes.filter((n) => n.inImage).map((n) => n.name));
  return g.edges.filter(([a, b]) => inImage.has(a) || !inImage.has(b));
}

function label(n: GraphNode): string {
  return n.inImage ? formatSize(n.size) : "left out";
}

function summary(g: PackageGraph, kept: number, total: number, leftOut: number): string {
  const parts = [`${kept} package${kept === 1 ? "" : "s"} in the image (${formatSize(total)})`];
  if (g.rootsDeclared) parts.push(`${leftOut} left out of the Depends closure`);
  parts.push(g.rootsDeclared ? `asked for: ${g.roots.join(", ")}` : "roots: packages nothing depends on");
  return parts.join(" · ");
}

/**
 * A triangle at the edge's end. Drawn, not an SVG <marker>: markers need ids (which collide when
 * a page embeds several graphs), and resvg 2.6 can panic on a marker outside the canvas.
 * Every curve ends with a horizontal tangent, so the head points along x.
 */
function arrowhead(points: Point[]): string {
  const end = points[points.length - 1]!, before = points[points.length - 2]!;
  const dir = end.x >= before.x ? 1 : -1;
  return `M${r(end.x)},${r(end.y)} L${r(end.x - 7 * dir)},${r(end.y - 3.5)} L${r(end.x - 7 * dir)},${r(end.y + 3.5)} z`;
}

/** Horizontal-tangent cubic curves through the points (straight where they share a y). */
function curve(points: Point[]): string {
  let d = `M${r(points[0]!.x)},${r(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    if (a.y === b.y) { d += ` L${r(b.x)},${r(b.y)}`; continue; }
    const dx = (b.x - a.x) / 2;
    d += ` C${r(a.x + dx)},${r(a.y)} ${r(b.x - dx)},${r(b.y)} ${r(b.x)},${r(b.y)}`;
  }
  return d;
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
