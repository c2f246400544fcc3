// A layered (Sugiyama-style) drawing of a directed graph, left to right: cycles broken by a
// depth-first search from the roots, longest-path layers, long edges split into dummy nodes,
// barycentric ordering sweeps to reduce crossings, then positions within each column that pull
// every node toward its neighbours (isotonic regression keeps the order and the spacing).
// Nodes of group 1 ("apart") are kept below group 0 in every column, in their own band.
// Pure and deterministic: the same input gives the same numbers.

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
  /** 0: the main band; 1: drawn apart, below it. */
  group: 0 | 1;
}

export interface LayoutInput {
  nodes: LayoutNode[];
  /** from → to; edges naming unknown nodes and self-loops are ignored. */
  edges: [string, string][];
  /** Where the search starts (placed in the first column when nothing points at them). */
  roots: string[];
}

export interface PlacedNode extends LayoutNode {
  /** Top-left corner. */
  x: number;
  y: number;
  layer: number;
}

export interface Point { x: number; y: number }

export interface PlacedEdge {
  from: string;
  to: string;
  /** From the `from` node's side to the `to` node's side, through the columns between. */
  points: Point[];
  /** Drawn against the flow: the edge closes a cycle. */
  reversed: boolean;
}

export interface Layout {
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
  width: number;
  height: number;
  /** Real nodes of each column, top to bottom. */
  layers: string[][];
  /** Top of the apart band (undefined when there is none). */
  apartTop?: number;
}

export const LAYOUT = { margin: 20, columnGap: 110, nodeGap: 12, dummyHeight: 4, dummyGap: 4, bandGap: 56, sweeps: 24 };

interface Item { id: string; width: number; height: number; group: 0 | 1; layer: number; dummy: boolean }

export function layoutGraph(input: LayoutInput): Layout {
  const byId = new Map<string, LayoutNode>();
  for (const n of [...input.nodes].sort((a, b) => cmp(a.id, b.id))) byId.set(n.id, n);
  const ids = [...byId.keys()];
  const seen = new Set<string>();
  const edges = input.edges.filter(([a, b]) => {
    const k = `${a}\0${b}`;
    if (a === b || !byId.has(a) || !byId.has(b) || seen.has(k)) return false;
    seen.add(k);
    return true;
  }).sort((x, y) => cmp(x[0], y[0]) || cmp(x[1], y[1]));

  // 1. Break cycles: edges that point back onto the DFS stack are turned around.
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [a, b] of edges) out.get(a)!.push(b);
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const back = new Set<string>();
  const visit = (start: string) => {
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    order.push(start);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const next = out.get(top[0])![top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        back.add(`${top[0]}\0${next}`);
      } else if (!state.has(next)) {
        state.set(next, 1);
        order.push(next);
        stack.push([next, 0]);
      }
    }
  };
  for (const r of [...input.roots].sort(cmp)) if (byId.has(r) && !state.has(r)) visit(r);
  for (const id of ids) if (!state.has(id)) visit(id);
  const dag = edges.map(([a, b]) => (back.has(`${a}\0${b}`) ? { from: b, to: a, reversed: true } : { from: a, to: b, reversed: false }));

  // 2. Longest-path layers, in topological order (Kahn, ties by DFS order).
  const rank = new Map(order.map((id, i) => [id, i]));
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  const succs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of dag) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }
  const indegree = new Map(ids.map((id) => [id, preds.get(id)!.length]));
  const layerOf = new Map<string, number>();
  const ready = ids.filter((id) => indegree.get(id) === 0).sort((a, b) => rank.get(a)! - rank.get(b)!);
  while (ready.length) {
    const id = ready.shift()!;
    layerOf.set(id, Math.max(0, ...preds.get(id)!.map((p) => layerOf.get(p)! + 1)));
    for (const s of succs.get(id)!) {
      indegree.set(s, indegree.get(s)! - 1);
      if (indegree.get(s) === 0) insertSorted(ready, s, (a, b) => rank.get(a)! - rank.get(b)!);
    }
  }

  // 3. Dummy nodes: every edge spans one column.
  const items = new Map<string, Item>();
  for (const id of ids) { const n = byId.get(id)!; items.set(id, { ...n, layer: layerOf.get(id)!, dummy: false }); }
  const chains: { from: string; to: string; reversed: boolean; path: string[] }[] = [];
  for (const e of dag) {
    const path = [e.from];
    const group = byId.get(e.from)!.group === 1 || byId.get(e.to)!.group === 1 ? 1 : 0;
    for (let l = layerOf.get(e.from)! + 1; l < layerOf.get(e.to)!; l++) {
      const id = `\0${e.from}\0${e.to}\0${l}`;
      items.set(id, { id, width: 0, height: LAYOUT.dummyHeight, group, layer: l, dummy: true });
      path.push(id);
    }
    path.push(e.to);
    chains.push({ ...(e.reversed ? { from: e.to, to: e.from } : { from: e.from, to: e.to }), reversed: e.reversed, path });
  }
  const up = new Map<string, string[]>([...items.keys()].map((id) => [id, []]));
  const down = new Map<string, string[]>([...items.keys()].map((id) => [id, []]));
  for (const c of chains) for (let i = 1; i < c.path.length; i++) { down.get(c.path[i - 1]!)!.push(c.path[i]!); up.get(c.path[i]!)!.push(c.path[i - 1]!); }

  // 4. Order within columns: start from DFS order, then barycentric sweeps; keep the best.
  const depth = Math.max(0, ...[...items.values()].map((i) => i.layer)) + 1;
  const firstSeen = (id: string) => rank.get(id) ?? rank.get(id.split("\0")[1]!)! + 0.5;
  let layers: string[][] = Array.from({ length: depth }, () => []);
  for (const it of items.values()) layers[it.layer]!.push(it.id);
  for (const l of layers) l.sort((a, b) => items.get(a)!.group - items.get(b)!.group || firstSeen(a) - firstSeen(b) || cmp(a, b));
  let best = layers.map((l) => [...l]);
  let bestCrossings = crossings(layers, down);
  for (let sweep = 0, stale = 0; sweep < LAYOUT.sweeps && stale < 4 && bestCrossings > 0; sweep++) {
    const downward = sweep % 2 === 0;
    const range = downward ? [...Array(depth).keys()].slice(1) : [...Array(depth).keys()].reverse().slice(1);
    for (const li of range) {
      const fixed = layers[downward ? li - 1 : li + 1]!;
      const pos = new Map(fixed.map((id, i) => [id, i]));
      const neighbours = downward ? up : down;
      const current = layers[li]!;
      const key = new Map(current.map((id, i) => {
        const ns = neighbours.get(id)!.filter((n) => pos.has(n));
        return [id, ns.length ? ns.reduce((s, n) => s + pos.get(n)!, 0) / ns.length * (current.length / Math.max(1, fixed.length)) : i];
      }));
      const was = new Map(current.map((id, i) => [id, i]));
      current.sort((a, b) => items.get(a)!.group - items.get(b)!.group || key.get(a)! - key.get(b)! || was.get(a)! - was.get(b)!);
    }
    const c = crossings(layers, down);
    if (c < bestCrossings) { bestCrossings = c; best = layers.map((l) => [...l]); stale = 0; } else stale++;
  }
  layers = best;

  // 5. Columns left to right; positions within a column, the main band first, then the apart band.
  const colX: number[] = [];
  const colW: number[] = [];
  let x = LAYOUT.margin;
  for (const l of layers) {
    colX.push(x);
    colW.push(Math.max(0, ...l.map((id) => items.get(id)!.width)));
    x += colW[colW.length - 1]! + LAYOUT.columnGap;
  }
  const centre = new Map<string, number>();
  const band = (group: 0 | 1, top: number) => {
    const cols = layers.map((l) => l.filter((id) => items.get(id)!.group === group));
    for (const col of cols) stackFrom(col, top, items, centre);
    for (let pass = 0; pass < 12; pass++) {
      const seq = pass % 2 === 0 ? cols : [...cols].reverse();
      for (const col of seq) {
        if (!col.length) continue;
        const wanted = col.map((id) => {
          const ns = [...up.get(id)!, ...down.get(id)!].filter((n) => centre.has(n));
          return ns.length ? ns.reduce((s, n) => s + centre.get(n)!, 0) / ns.length : centre.get(id)!;
        });
        place(col, wanted, top, items, centre);
      }
    }
    // Keep the band's top edge at `top`.
    const all = cols.flat();
    const minTop = Math.min(...all.map((id) => centre.get(id)! - items.get(id)!.height / 2));
    for (const id of all) centre.set(id, centre.get(id)! - minTop + top);
    return Math.max(top, ...all.map((id) => centre.get(id)! + items.get(id)!.height / 2));
  };
  const hasApart = ids.some((id) => byId.get(id)!.group === 1);
  const mainBottom = band(0, LAYOUT.margin);
  const apartTop = hasApart ? mainBottom + LAYOUT.bandGap : undefined;
  const bottom = apartTop === undefined ? mainBottom : band(1, apartTop);

  const nodes = new Map<string, PlacedNode>();
  for (const id of ids) {
    const it = items.get(id)!;
    nodes.set(id, { ...byId.get(id)!, layer: it.layer, x: colX[it.layer]! + (colW[it.layer]! - it.width) / 2, y: centre.get(id)! - it.height / 2 });
  }
  const placedEdges = routeEdges(chains, nodes, items, centre, colX, colW);
  return {
    nodes, edges: placedEdges,
    width: Math.max(...colX.map((cx, i) => cx + colW[i]!), 0) + LAYOUT.margin,
    height: bottom + LAYOUT.margin,
    layers: layers.map((l) => l.filter((id) => !items.get(id)!.dummy)),
    ...(apartTop !== undefined ? { apartTop } : {}),
  };
}

function stackFrom(col: string[], top: number, items: Map<string, Item>, centre: Map<string, number>): void {
  let y = top;
  for (const id of col) {
    const h = items.get(id)!.height;
    centre.set(id, y + h / 2);
    y += h + gapAfter(items.get(id)!);
  }
}

function gapAfter(it: Item): number {
  return it.dummy ? LAYOUT.dummyGap : LAYOUT.nodeGap;
}

/**
 * Centres as close as possible (least squares) to `wanted`, in the column's order, each at least
 * its spacing below the previous, none above `top`: pool-adjacent-violators on the centres less
 * their minimum offsets, which turns the spacing into a plain "non-decreasing" constraint.
 */
function place(col: string[], wanted: number[], top: number, items: Map<string, Item>, centre: Map<string, number>): void {
  const offset: number[] = [];
  let o = 0;
  for (let i = 0; i < col.length; i++) {
    if (i > 0) {
      const a = items.get(col[i - 1]!)!, b = items.get(col[i]!)!;
      o += a.height / 2 + Math.max(gapAfter(a), gapAfter(b)) + b.height / 2;
    }
    offset.push(o);
  }
  const blocks: { sum: number; n: number; count: number }[] = [];
  for (let i = 0; i < col.length; i++) {
    // Real nodes pull harder than the bends of long edges.
    const w = items.get(col[i]!)!.dummy ? 0.5 : 1;
    blocks.push({ sum: (wanted[i]! - offset[i]!) * w, n: w, count: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.sum / blocks[blocks.length - 2]!.n > blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.n) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1]!;
      a.sum += b.sum; a.n += b.n; a.count += b.count;
    }
  }
  const floor = top + items.get(col[0]!)!.height / 2;
  let i = 0;
  for (const b of blocks) {
    const z = Math.max(floor, b.sum / b.n);
    for (let k = 0; k < b.count; k++, i++) centre.set(col[i]!, z + offset[i]!);
  }
}

function routeEdges(
  chains: { from: string; to: string; reversed: boolean; path: string[] }[],
  nodes: Map<string, PlacedNode>, items: Map<string, Item>, centre: Map<string, number>, colX: number[], colW: number[],
): PlacedEdge[] {
  // Ports spread along a node's side, in the order of where the edges come from or go to,
  // so twenty edges into libc6 do not meet in one point.
  const outs = new Map<string, { chain: number; toward: number }[]>();
  const ins = new Map<string, { chain: number; toward: number }[]>();
  chains.forEach((c, i) => {
    const first = c.path[0]!, last = c.path[c.path.length - 1]!;
    (outs.get(first) ?? outs.set(first, []).get(first)!).push({ chain: i, toward: centre.get(c.path[1]!)! });
    (ins.get(last) ?? ins.set(last, []).get(last)!).push({ chain: i, toward: centre.get(c.path[c.path.length - 2]!)! });
  });
  const port = new Map<string, number>();
  for (const [side, table] of [["out", outs], ["in", ins]] as const) {
    for (const [id, list] of table) {
      const n = nodes.get(id)!;
      list.sort((a, b) => a.toward - b.toward || a.chain - b.chain);
      const span = n.height * 0.7;
      list.forEach((p, k) => port.set(`${side}\0${p.chain}`, n.y + n.height / 2 + (list.length === 1 ? 0 : -span / 2 + (span * k) / (list.length - 1))));
    }
  }
  return chains.map((c, i) => {
    const first = nodes.get(c.path[0]!)!, last = nodes.get(c.path[c.path.length - 1]!)!;
    const points: Point[] = [{ x: first.x + first.width, y: port.get(`out\0${i}`)! }];
    for (const id of c.path.slice(1, -1)) {
      const l = items.get(id)!.layer;
      points.push({ x: colX[l]!, y: centre.get(id)! }, { x: colX[l]! + colW[l]!, y: centre.get(id)! });
    }
    points.push({ x: last.x, y: port.get(`in\0${i}`)! });
    return { from: c.from, to: c.to, points: c.reversed ? points.reverse() : points, reversed: c.reversed };
  });
}

/** Edge crossings between adjacent columns (the quantity the ordering sweeps reduce). */
export function crossings(layers: string[][], down: Map<string, string[]>): number {
  let total = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const pos = new Map(layers[l + 1]!.map((id, i) => [id, i]));
    const segs: [number, number][] = [];
    layers[l]!.forEach((id, i) => { for (const t of down.get(id) ?? []) if (pos.has(t)) segs.push([i, pos.get(t)!]); });
    for (let a = 0; a < segs.length; a++) {
      for (let b = a + 1; b < segs.length; b++) {
        const [s1, t1] = segs[a]!, [s2, t2] = segs[b]!;
        if ((s1 - s2) * (t1 - t2) < 0) total++;
      }
    }
  }
  return total;
}

function insertSorted<T>(list: T[], item: T, by: (a: T, b: T) => number): void {
  let i = list.length;
  while (i > 0 && by(list[i - 1]!, item) > 0) i--;
  list.splice(i, 0, item);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
