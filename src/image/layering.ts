// The layer plan, after Nix buildLayeredImage's "popularity" ordering: packages that many others
// depend on go to the bottom in a layer of their own, so images built from the same Debian suite
// share those layers; the long tail that doesn't fit under the layer limit is merged on top.
// Pure: a graph in, groups of package names out, the same plan for the same graph in any order.

export interface PackageGraph {
  /** Every package in the closure. */
  nodes: string[];
  /** `[from, to]`: `from` depends on `to`. */
  edges: [from: string, to: string][];
  /** The packages asked for; the rest of the closure hangs from them. */
  roots: string[];
}

/**
 * Groups of packages, bottom layer first. Each package gets its own group, most popular first,
 * until `maxLayers - reserved` groups; the rest share the last group. `reserved` layers are left
 * for the caller (generated files, the user's files).
 *
 * Popularity of a package = how many packages reach it through dependencies, itself included.
 * (nixpkgs' closure-graph.py counts paths in the unfolded tree instead; that count is undefined
 * with the dependency cycles Debian has, e.g. libc6 <-> libgcc-s1, and ranks much the same.)
 * Order: packages reachable from a root first, then by popularity descending, then by name.
 */
export function planLayers(graph: PackageGraph, maxLayers: number, reserved = 1): string[][] {
  if (!Number.isInteger(maxLayers) || !Number.isInteger(reserved) || reserved < 0 || maxLayers < reserved + 1) {
    throw new Error(
      `planLayers: maxLayers must be an integer of at least ${reserved + 1} (${reserved} reserved + 1 for packages), got ${maxLayers}`,
    );
  }
  const order = orderByPopularity(graph);
  const groups = maxLayers - reserved;
  if (order.length <= groups) return order.map((p) => [p]);
  const single = order.slice(0, groups - 1).map((p) => [p]);
  return [...single, order.slice(groups - 1)];
}

/** Every package of the graph, most popular first (see planLayers for the rule). */
export function orderByPopularity(graph: PackageGraph): string[] {
  // Endpoints of edges count as nodes even if the caller forgot to list them, as nixpkgs does.
  const names = new Set<string>(graph.nodes);
  for (const [a, b] of graph.edges) {
    names.add(a);
    names.add(b);
  }
  const deps = new Map<string, Set<string>>();
  for (const n of names) deps.set(n, new Set());
  for (const [a, b] of graph.edges) if (a !== b) deps.get(a)!.add(b);

  // Reach sets by walking from each node; a visited set makes cycles harmless.
  const popularity = new Map<string, number>();
  for (const n of names) popularity.set(n, 0);
  for (const n of names) for (const m of reach(n, deps)) popularity.set(m, popularity.get(m)! + 1);

  const fromRoots = new Set<string>();
  for (const r of graph.roots) {
    if (!names.has(r)) throw new Error(`planLayers: root ${JSON.stringify(r)} is not a node of the graph`);
    for (const m of reach(r, deps)) fromRoots.add(m);
  }

  return [...names].sort((a, b) => {
    const ra = fromRoots.has(a) ? 0 : 1;
    const rb = fromRoots.has(b) ? 0 : 1;
    if (ra !== rb) return ra - rb;
    const d = popularity.get(b)! - popularity.get(a)!;
    if (d !== 0) return d;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** `start` and everything it depends on, transitively. */
function reach(start: string, deps: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of deps.get(stack.pop()!)!) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}
