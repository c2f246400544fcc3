// The image's bytes as a squarified treemap (SVG, written by hand): one rectangle per package,
// the directories its files are in nested inside, files of no package as one more "package".
// Every rectangle's <title> gives its size (a tooltip); labels are drawn only where they fit.
import type { InspectedImage } from "./model.js";
import { formatBytes } from "./size.js";
import { inset, squarify, type Rect } from "./treemap-layout.js";

export interface TreemapNode {
  name: string;
  size: number;
  files: number;
  /** The package name (absent for the files of no package). */
  package?: string;
  children?: TreemapNode[];
}

/** Directories per package beyond which the rest are shown as one rectangle. */
const MAX_DIRS = 12;
export const NO_PACKAGE = "(no package)";

/** Packages (largest first), each with the directories of its files (largest first). */
export function sizeTree(image: InspectedImage): TreemapNode[] {
  const groups = new Map<string, Map<string, { size: number; files: number }>>();
  for (const f of image.files.values()) {
    if (f.kind === "dir") continue;
    const key = f.package ?? NO_PACKAGE;
    const dirs = groups.get(key) ?? new Map();
    const dir = `/${f.path.slice(0, Math.max(0, f.path.lastIndexOf("/")))}`;
    const d = dirs.get(dir) ?? { size: 0, files: 0 };
    d.size += f.size;
    d.files++;
    dirs.set(dir, d);
    groups.set(key, dirs);
  }
  const bySize = (a: TreemapNode, b: TreemapNode) => b.size - a.size || (a.name < b.name ? -1 : 1);
  return [...groups].map(([name, dirs]) => {
    let children: TreemapNode[] = [...dirs].map(([dir, d]) => ({ name: dir, ...d })).sort(bySize);
    if (children.length > MAX_DIRS) {
      const rest = children.slice(MAX_DIRS - 1);
      children = [...children.slice(0, MAX_DIRS - 1), {
        name: `${rest.length} other directories`, size: rest.reduce((n, c) => n + c.size, 0), files: rest.reduce((n, c) => n + c.files, 0),
      }];
    }
    return {
      name, size: children.reduce((n, c) => n + c.size, 0), files: children.reduce((n, c) => n + c.files, 0),
      ...(name === NO_PACKAGE ? {} : { package: name }), children,
    };
  }).sort(bySize);
}

/** A distinct hue per package, in the order given (golden-angle steps); grey for no package. */
export function packageColours(names: readonly string[]): Map<string, { fill: string; light: string }> {
  const out = new Map<string, { fill: string; light: string }>();
  names.forEach((name, i) => {
    const hue = Math.round((i * 137.508 + 200) % 360);
    out.set(name, name === NO_PACKAGE ? { fill: "hsl(0 0% 62%)", light: "hsl(0 0% 82%)" } : { fill: `hsl(${hue} 55% 52%)`, light: `hsl(${hue} 65% 80%)` });
  });
  return out;
}

export interface TreemapOptions {
  width?: number;
  height?: number;
  title?: string;
}

const TITLE_BAND = 30;
const LABEL_BAND = 16;
const CHAR = 6.4; // average glyph width at 11px sans-serif, for "does it fit"

export function renderTreemapSvg(image: InspectedImage, options: TreemapOptions = {}): string {
  const width = options.width ?? 1200;
  const height = options.height ?? 720;
  const tree = sizeTree(image);
  const total = tree.reduce((n, p) => n + p.size, 0);
  const colours = packageColours(tree.map((p) => p.name));
  const versions = new Map(image.packages.map((p) => [p.name, p.version]));
  const title = options.title ?? `${image.reference}: ${formatBytes(total)} in ${tree.reduce((n, p) => n + p.files, 0)} files, by package and directory`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="treemap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" role="img">`,
    `<title>${esc(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold" fill="#222">${esc(fit(title, width - 16, 15 / 11))}</text>`,
  ];
  const area: Rect = { x: 0, y: TITLE_BAND, w: width, h: height - TITLE_BAND };
  const rects = squarify(tree.map((p) => p.size), area);
  tree.forEach((p, i) => {
    const r = inset(rects[i]!, 1);
    if (r.w <= 0 || r.h <= 0) return;
    const c = colours.get(p.name)!;
    const what = p.package ? `${p.name} ${versions.get(p.name) ?? ""}`.trim() : p.name;
    out.push(`<g class="pkg" data-package="${esc(p.package ?? "")}">`);
    out.push(`<rect x="${n(r.x)}" y="${n(r.y)}" width="${n(r.w)}" height="${n(r.h)}" fill="${c.fill}" stroke="#fff" stroke-width="1"><title>${esc(`${what}: ${formatBytes(p.size)} in ${p.files} files (${share(p.size, total)})`)}</title></rect>`);
    const labelled = r.h >= LABEL_BAND + 2 && r.w >= 4 * CHAR;
    if (labelled) out.push(label(r.x + 3, r.y + 12, `${p.name} ${formatBytes(p.size)}`, r.w - 6, 11, "#fff", true));
    // Directories inside, below the label, where there is room for them to mean something.
    const inner: Rect = labelled ? { x: r.x + 2, y: r.y + LABEL_BAND, w: r.w - 4, h: r.h - LABEL_BAND - 2 } : inset(r, 2);
    if (p.children && inner.w >= 12 && inner.h >= 12) {
      const dirRects = squarify(p.children.map((d) => d.size), inner);
      p.children.forEach((d, k) => {
        const dr = inset(dirRects[k]!, 0.5);
        if (dr.w < 1 || dr.h < 1) return;
        out.push(`<rect class="dir" x="${n(dr.x)}" y="${n(dr.y)}" width="${n(dr.w)}" height="${n(dr.h)}" fill="${c.light}" stroke="${c.fill}" stroke-width="0.6"><title>${esc(`${p.name} ${d.name}: ${formatBytes(d.size)} in ${d.files} files`)}</title></rect>`);
        if (dr.h >= 13 && dr.w >= 5 * CHAR * (10 / 11)) out.push(label(dr.x + 2, dr.y + 10, tail(d.name, Math.floor((dr.w - 4) / (CHAR * (10 / 11)))), dr.w - 4, 10, "#222", false));
      });
    }
    out.push("</g>");
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function label(x: number, y: number, text: string, room: number, size: number, colour: string, bold: boolean): string {
  return `<text x="${n(x)}" y="${n(y)}" font-size="${size}"${bold ? ' font-weight="bold"' : ""} fill="${colour}" pointer-events="none">${esc(fit(text, room, size / 11))}</text>`;
}

/** The text cut with "…" to what fits `room` pixels. */
function fit(text: string, room: number, scale = 1): string {
  const max = Math.floor(room / (CHAR * scale));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** A path cut from the left ("…/x86_64-linux-gnu"): its end says most. */
function tail(path: string, max: number): string {
  return path.length <= max ? path : `…${path.slice(path.length - Math.max(1, max - 1))}`;
}

function share(part: number, whole: number): string {
  return whole ? `${((part / whole) * 100).toFixed(1)} % of the image` : "0 %";
}

const n = (v: number) => String(Math.round(v * 10) / 10);

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
