// Image efficiency and wasted space, as dive (wagoodman/dive) defines them, so the numbers agree
// with what people already read from dive:
// - each layer's tar is a tree; only its leaves are visited (a directory with entries under it in
//   the same layer is not), each path keeping the sizes seen across layers;
// - a whiteout counts, if the path it removes was a directory in the layers below, the sum of the
//   sizes under it (that directory included), else 0 — so removing a file leaves a 0 beside its
//   earlier size, and that earlier size is all waste;
// - efficiency = Σ over paths of the smallest size seen / Σ over paths of all sizes seen (1 when
//   nothing has a size); wasted bytes = Σ of all sizes seen of the paths seen in two layers or more
//   (every copy, the kept one too); "user wasted percent" = wasted / the size of every layer but the
//   first, as a fraction; a layer's size is the sum of its entries' sizes.
// A path is a directory when its own entry says so: parents a layer implies without listing them
// are not, as in dive. One departure, where dive errs rather than defines: a whiteout of a path no
// earlier layer has counts 0 (dive stops visiting that layer there).
import type { LayerEntry } from "./model.js";

export interface Inefficiency {
  /** Absolute path, as dive prints it. */
  path: string;
  /** Sum of the sizes seen at the path across layers. */
  cumulativeSize: number;
  /** Layers (indexes) the path was visited in, in order. */
  layers: number[];
}

export interface Efficiency {
  /** 0..1; 1 when nothing is duplicated or removed. */
  score: number;
  wastedBytes: number;
  /** Sum of the sizes of every layer but the first. */
  userSizeBytes: number;
  /** wastedBytes / userSizeBytes; null when there is no layer past the first (dive divides by 0). */
  userWastedRatio: number | null;
  /** Paths visited in two layers or more, largest cumulative size first. */
  inefficiencies: Inefficiency[];
}

interface Node {
  size: number;
  isDir: boolean;
  children: Map<string, Node>;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
/** dive drops any name with this prefix (opaque markers). */
const DOUBLE_WHITEOUT = ".wh..wh..";

const newNode = (): Node => ({ size: 0, isDir: false, children: new Map() });

/** Adds a path: parents it implies are created empty; the payload goes on the last name only. */
function addPath(root: Node, names: string[], payload?: { size: number; isDir: boolean }): Node | undefined {
  let node = root;
  for (const name of names) {
    let child = node.children.get(name);
    if (!child) {
      // dive never adds opaque markers; their parents it has created stay.
      if (name.startsWith(DOUBLE_WHITEOUT)) return undefined;
      child = newNode();
      node.children.set(name, child);
    }
    node = child;
  }
  if (payload) [node.size, node.isDir] = [payload.size, payload.isDir];
  return node;
}

/** A layer's entries as dive's tree: whiteouts as `.wh.NAME` nodes, opaque markers left out. */
function layerTree(entries: readonly LayerEntry[]): Node {
  const root = newNode();
  for (const e of entries) {
    const names = e.path.split("/").filter(Boolean);
    if (e.kind === "whiteout") {
      const last = names.pop();
      if (last !== undefined) addPath(root, [...names, WHITEOUT + last], { size: 0, isDir: false });
    } else if (e.kind === "opaque") {
      addPath(root, [...names, OPAQUE]);
    } else if (names.length) {
      addPath(root, names, { size: e.size, isDir: e.kind === "dir" });
    }
  }
  return root;
}

/** Depth first, children before parents, names in byte order (dive's walk). */
function walk(node: Node, names: string[], visit: (node: Node, names: string[]) => void): void {
  for (const name of [...node.children.keys()].sort(byteOrder)) walk(node.children.get(name)!, [...names, name], visit);
  if (names.length) visit(node, names);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const isWhiteout = (names: string[]) => names[names.length - 1]!.startsWith(WHITEOUT);
const pathOf = (names: string[]) => "/" + [...names.slice(0, -1), names[names.length - 1]!.replace(/^\.wh\./, "")].join("/");

function find(root: Node, names: string[]): Node | undefined {
  let node: Node | undefined = root;
  for (const name of names) node = node?.children.get(name);
  return node;
}

/** Lays `upper` over `lower` as dive stacks trees: whiteouts remove, everything else is (re)set. */
function stack(lower: Node, upper: Node): void {
  walk(upper, [], (node, names) => {
    if (isWhiteout(names)) {
      const parent = find(lower, names.slice(0, -1));
      parent?.children.delete(names[names.length - 1]!.slice(WHITEOUT.length));
    } else {
      addPath(lower, names, { size: node.size, isDir: node.isDir });
    }
  });
}

function subtreeSize(node: Node): number {
  let n = node.size;
  for (const c of node.children.values()) n += subtreeSize(c);
  return n;
}

export function efficiency(layers: readonly { entries: readonly LayerEntry[] }[]): Efficiency {
  const seen = new Map<string, { cumulative: number; min: number; layers: number[] }>();
  const stacked = newNode();
  layers.forEach((layer, index) => {
    const tree = layerTree(layer.entries);
    walk(tree, [], (node, names) => {
      if (node.children.size) return; // leaves only
      let size = node.size;
      if (isWhiteout(names)) {
        const removed = find(stacked, [...names.slice(0, -1), names[names.length - 1]!.slice(WHITEOUT.length)]);
        size = removed?.isDir ? subtreeSize(removed) : 0;
      }
      const path = pathOf(names);
      const s = seen.get(path) ?? { cumulative: 0, min: size, layers: [] };
      s.cumulative += size;
      s.min = Math.min(s.min, size);
      s.layers.push(index);
      seen.set(path, s);
    });
    stack(stacked, tree);
  });

  let minimum = 0;
  let discovered = 0;
  const inefficiencies: Inefficiency[] = [];
  for (const [path, s] of seen) {
    minimum += s.min;
    discovered += s.cumulative;
    if (s.layers.length >= 2) inefficiencies.push({ path, cumulativeSize: s.cumulative, layers: s.layers });
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || byteOrder(a.path, b.path));
  const wastedBytes = inefficiencies.reduce((n, i) => n + i.cumulativeSize, 0);
  const userSizeBytes = layers.slice(1).reduce((n, l) => n + l.entries.reduce((m, e) => m + e.size, 0), 0);
  return {
    score: discovered === 0 ? 1 : minimum / discovered,
    wastedBytes,
    userSizeBytes,
    userWastedRatio: userSizeBytes === 0 ? null : wastedBytes / userSizeBytes,
    inefficiencies,
  };
}
