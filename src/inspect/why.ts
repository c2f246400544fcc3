// `cairn why`: how a package got into the closure (every shortest dependency path from what was
// asked for) and what in the image uses it (files needing its libraries or its interpreters).
import { CairnError, ErrorCode } from "../errors.js";
import { compare, formatSize, type PackageGraph } from "./graph-model.js";
import type { FileReference } from "./why-refs.js";

/** Files listed before "… and N more" (libc6 is used by every program). */
const MAX_FILES = 40;

export interface WhyReport {
  name: string;
  version: string;
  /** Bytes in the image (0 when left out). */
  size: number;
  inImage: boolean;
  root: boolean;
  rootsDeclared: boolean;
  /** Shortest paths from a root to the package, each [root, ..., name]; sorted. */
  paths: string[][];
  /** More shortest paths exist than were listed. */
  morePaths: boolean;
  references: FileReference[];
}

/**
 * Every shortest path from any of `roots` to `target` over `edges` (a breadth-first search that
 * keeps all predecessors at the previous distance), at most `limit`, sorted. [] when unreachable.
 */
export function shortestPaths(edges: [string, string][], roots: string[], target: string, limit = 100): { paths: string[][]; more: boolean } {
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) (out.get(a) ?? out.set(a, []).get(a)!).push(b);
  const dist = new Map<string, number>();
  const preds = new Map<string, string[]>();
  let frontier = [...new Set(roots)].sort(compare);
  for (const r of frontier) dist.set(r, 0);
  for (let d = 1; frontier.length && !dist.has(target); d++) {
    const next: string[] = [];
    for (const u of frontier) {
      for (const v of out.get(u) ?? []) {
        if (!dist.has(v)) { dist.set(v, d); next.push(v); }
        if (dist.get(v) === d) (preds.get(v) ?? preds.set(v, []).get(v)!).push(u);
      }
    }
    frontier = next;
  }
  if (!dist.has(target)) return { paths: [], more: false };
  const paths: string[][] = [];
  let more = false;
  // Walk back from the target; sorted predecessors give the paths in order.
  const walk = (node: string, suffix: string[]) => {
    if (paths.length >= limit) { more = true; return; }
    if (dist.get(node) === 0) { paths.push([node, ...suffix]); return; }
    for (const p of [...new Set(preds.get(node) ?? [])].sort(compare)) walk(p, [node, ...suffix]);
  };
  walk(target, []);
  return { paths: paths.sort((a, b) => compare(a.join("\0"), b.join("\0"))), more };
}

/** The report for `name`; a CairnError when the closure does not hold it. */
export function explainWhy(graph: PackageGraph, name: string, references: FileReference[]): WhyReport {
  const node = graph.nodes.find((n) => n.name === name);
  if (!node) {
    const near = graph.nodes.map((n) => n.name).filter((n) => n.includes(name) || name.includes(n)).slice(0, 5);
    throw new CairnError(
      ErrorCode.NO_SUCH_PACKAGE,
      `${name} is not in ${graph.title}'s package closure (${graph.nodes.length} packages${graph.rootsDeclared ? ", kept or left out" : ""}).`,
      near.length ? `Did you mean ${near.join(", ")}? \`cairn graph\` shows them all.` : "Check the name; `cairn graph` shows every package of the closure.",
    );
  }
  // A package in the image is explained by packages in the image where possible; a left-out
  // one by the whole Depends closure, which is what dragged it in.
  const inImage = new Set(graph.nodes.filter((n) => n.inImage).map((n) => n.name));
  const keptEdges = graph.edges.filter(([a, b]) => inImage.has(a) && inImage.has(b));
  let found = node.inImage ? shortestPaths(keptEdges, graph.roots, name) : { paths: [], more: false };
  if (!found.paths.length) found = shortestPaths(graph.edges, graph.roots, name);
  return {
    name, version: node.version, size: node.size, inImage: node.inImage, root: node.root, rootsDeclared: graph.rootsDeclared,
    paths: found.paths, morePaths: found.more, references: node.inImage ? references : [],
  };
}

export function formatWhy(r: WhyReport): string {
  const lines: string[] = [];
  if (!r.inImage) {
    lines.push(`${r.name} ${r.version} is in the Depends closure but was left out of the image: nothing in the image references it.`);
  } else {
    lines.push(`${r.name} ${r.version} is in the image (${formatSize(r.size)})${r.root ? (r.rootsDeclared ? ": it is asked for in contents." : ": nothing else in the image depends on it.") : "."}`);
  }
  if (!r.root) {
    if (r.paths.length) {
      lines.push("", r.inImage ? "Depended on through:" : "Dragged into the closure through:");
      for (const p of r.paths) lines.push(`  ${p.join(" → ")}`);
      if (r.morePaths) lines.push("  … (more paths of the same length)");
    } else {
      lines.push("", r.rootsDeclared ? "No dependency path leads to it from the packages asked for." : "No package of the image depends on it.");
    }
  }
  if (r.inImage) {
    if (r.references.length) {
      lines.push("", "Used by these files of the image:");
      const shown = r.references.slice(0, MAX_FILES);
      const width = Math.min(48, Math.max(...shown.map((f) => f.path.length)));
      for (const f of shown) {
        const how = [
          ...(f.needed.length ? [`needs ${f.needed.join(", ")}`] : []),
          ...(f.interpreter ? [`loaded by ${f.interpreter}`] : []),
          ...(f.shebang ? [`runs with #!${f.shebang}`] : []),
        ].join("; ");
        lines.push(`  ${f.path.padEnd(width)}  ${how}${f.aliases.length ? ` (also as ${f.aliases.join(", ")})` : ""}`);
      }
      if (r.references.length > shown.length) lines.push(`  … and ${r.references.length - shown.length} more files`);
    } else {
      lines.push("", "No ELF file or script of the image loads its libraries or interpreters (it may be kept for its data or commands).");
    }
  }
  return lines.join("\n") + "\n";
}
