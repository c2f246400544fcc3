// Which entry goes in which layer. buildImage: everything in one. buildLayeredImage: the packages
// by popularity (image/layering.ts), each layer carrying the parent directories its files need,
// and one top layer for what cairn generates and the user's own files — so a change there never
// touches a package layer.
import type { FileTree } from "../fs/tree.js";
import type { FsEntry } from "../fs/types.js";
import { planLayers } from "./layering.js";
import { sortTarPaths } from "./tar.js";

export interface LayerPlan {
  /** Entries of each layer, bottom first, sorted by path. */
  layers: FsEntry[][];
  /** What each layer holds, for the config's history. */
  descriptions: string[];
}

export function planImageLayers(tree: FileTree, layered: boolean, maxLayers: number, graph: { nodes: string[]; edges: [string, string][]; roots: string[] }): LayerPlan {
  const all = tree.entries();
  if (!layered || graph.nodes.length === 0) {
    return { layers: [shareIdenticalFiles(fixHardlinkOrder(all))], descriptions: [graph.nodes.length ? `cairn: ${graph.nodes.length} packages and generated files` : "cairn: files"] };
  }
  // Layers on top of the packages: what cairn generates (changes when packages or users do), each
  // derivation's output, the user's own files (changes with every application edit), then what
  // the build steps changed — so an application edit re-ships only the layers above it.
  // At least one package layer and the generated one must fit (maxLayers can be 2).
  const tops = topGroups(all);
  const topLayers = packTops(tops, Math.max(0, maxLayers - 2));
  const groups = planLayers(graph, maxLayers, 1 + topLayers.length);
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((name) => groupOf.set(name, i)));
  const topOf = new Map<string, number>();
  topLayers.forEach((gs, i) => gs.forEach((g) => topOf.set(g, i)));
  const generated = groups.length;
  const members: FsEntry[][] = Array.from({ length: generated + 1 + topLayers.length }, () => []);
  for (const e of all) {
    const top = topOf.get(topGroupOf(e.origin) ?? "");
    members[top !== undefined ? generated + 1 + top : (groupOf.get(e.origin) ?? generated)]!.push(e);
  }
  const layers = members.map((entries) => shareIdenticalFiles(fixHardlinkOrder(withParents(entries, tree))));
  // Top groups with no layer of their own share the generated one.
  const inGenerated = tops.filter((g) => !topOf.has(g));
  const descriptions = [
    ...groups.map((g) => `cairn: ${g.join(" ")}`),
    `cairn: ${["generated files", ...inGenerated.map(describeTop)].join(", ")}`,
    ...topLayers.map((gs) => `cairn: ${gs.map(describeTop).join(", ")}`),
  ];
  return { layers, descriptions };
}

/** The top groups in at most `room` layers: when they do not fit, the lowest share one. No path
 *  is in two groups (a step's change replaces the entry), so merging never reorders an overwrite. */
function packTops(tops: string[], room: number): string[][] {
  if (tops.length <= room) return tops.map((g) => [g]);
  if (room === 0) return [];
  const shared = tops.length - room + 1;
  return [tops.slice(0, shared), ...tops.slice(shared).map((g) => [g])];
}

/** The layer a non-package origin goes to: "derivation:NAME", "files", or "step:KIND". */
function topGroupOf(origin: string): string | undefined {
  if (origin.startsWith("files:")) return "files";
  if (origin.startsWith("derivation:") || origin.startsWith("step:")) return origin;
  return undefined;
}

function topGroups(entries: FsEntry[]): string[] {
  const present = new Set(entries.map((e) => topGroupOf(e.origin)).filter((g): g is string => !!g));
  const rank = (g: string) => (g.startsWith("derivation:") ? 0 : g === "files" ? 1 : g === "step:extraCommands" ? 2 : 3);
  return [...present].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function describeTop(g: string): string {
  return g === "files" ? "your files" : g.startsWith("derivation:") ? `derivation ${g.slice(11)}` : g.slice(5);
}

/** The entries plus every ancestor directory (as the tree has it), sorted. */
function withParents(entries: FsEntry[], tree: FileTree): FsEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const out = [...entries];
  for (const e of entries) {
    for (let i = e.path.lastIndexOf("/"); i > 0; i = e.path.lastIndexOf("/", i - 1)) {
      const dir = e.path.slice(0, i);
      if (have.has(dir)) break;
      have.add(dir);
      out.push(tree.get(dir)!);
    }
  }
  return out.sort((a, b) => sortTarPaths(a.path, b.path));
}

/** A hard link must follow its target in the tar; where it sorts first, the two swap roles. */
function fixHardlinkOrder(entries: FsEntry[]): FsEntry[] {
  const index = new Map(entries.map((e, i) => [e.path, i]));
  const out = [...entries];
  for (let i = 0; i < out.length; i++) {
    const e = out[i]!;
    if (e.type !== "hardlink") continue;
    const t = index.get(e.linkname!);
    if (t === undefined) throw new Error(`cairn bug: hard link /${e.path} points to /${e.linkname}, which is not in the same layer`);
    if (t < i) continue;
    const target = out[t]!;
    out[i] = { ...target, path: e.path, origin: e.origin };
    out[t] = { ...e, path: target.path, linkname: e.path };
    // Other links to the old target now point at the new first copy.
    for (let j = i + 1; j < out.length; j++) if (out[j]!.type === "hardlink" && out[j]!.linkname === target.path) out[j] = { ...out[j]!, linkname: e.path };
  }
  return out;
}

/**
 * Identical files in one layer are stored once: later copies become hard links to the first
 * (redis-tools ships redis-check-aof and redis-check-rdb as two equal 2.4 MB files). Only when
 * mode and owner agree too, so nothing observable but the link count changes.
 */
function shareIdenticalFiles(entries: FsEntry[]): FsEntry[] {
  const first = new Map<string, string>();
  return entries.map((e) => {
    if (e.type !== "file" || e.size < 1024 || !e.sha256) return e;
    const key = `${e.sha256} ${e.mode} ${e.uid} ${e.gid}`;
    const target = first.get(key);
    if (target === undefined) {
      first.set(key, e.path);
      return e;
    }
    return { path: e.path, type: "hardlink", mode: e.mode, uid: e.uid, gid: e.gid, size: 0, linkname: target, origin: e.origin };
  });
}
