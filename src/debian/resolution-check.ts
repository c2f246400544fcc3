// An independent check of a resolution, written without the resolver's bookkeeping: every root is
// present, one version per name, every Depends/Pre-Depends is met inside the set, nothing in the set
// conflicts with or breaks another, and every package and edge refers to the universe and the set.
import type { PackageRecord } from "./types.js";
import type { Solution } from "./resolver.js";
import { formatRelation, formatRelations } from "./relations.js";
import type { Universe } from "./universe.js";
import { compareVersions, satisfies } from "./version.js";
import type { Relation } from "./types.js";

/** Problems with `resolution` (empty when it is sound), one sentence each. */
export function checkResolution(universe: Universe, resolution: Solution): string[] {
  const problems: string[] = [];
  const byName = new Map<string, PackageRecord>();
  /** Name (real or provided) → packages in the set answering to it. */
  const answering = new Map<string, PackageRecord[]>();
  for (const p of resolution.packages) {
    const twin = byName.get(p.name);
    if (twin !== undefined) problems.push(`${p.name} is chosen twice: ${twin.version} and ${p.version}`);
    byName.set(p.name, p);
    for (const n of [p.name, ...p.provides.map((x) => x.name)]) {
      const list = answering.get(n) ?? [];
      if (!list.includes(p)) list.push(p);
      answering.set(n, list);
    }
    if (universe.get(p.name, p.version) === undefined) problems.push(`${p.name} ${p.version} is not in the universe`);
  }
  for (const root of resolution.roots) {
    const ok = (answering.get(root.name) ?? []).some(
      (p) => root.version === undefined || (p.name === root.name && compareVersions(p.version, root.version) === 0),
    );
    if (!ok) problems.push(`root ${root.name}${root.version === undefined ? "" : ` ${root.version}`} is not in the resolution`);
  }
  for (const p of resolution.packages) {
    for (const group of [...p.preDepends, ...p.depends]) {
      const met = group.some((r) => (answering.get(r.name) ?? []).some((q) => matchesPackage(q, r)));
      if (!met) problems.push(`${p.name} ${p.version} depends on ${formatRelations([group])}, which nothing chosen satisfies`);
    }
    for (const q of resolution.packages) {
      const why = conflictBetween(p, q);
      if (why !== undefined) problems.push(`${p.name} ${p.version} and ${q.name} ${q.version} conflict (${why})`);
    }
  }
  for (const e of resolution.edges) {
    const from = byName.get(e.from);
    const to = byName.get(e.to);
    if (from === undefined || to === undefined) {
      problems.push(`edge ${e.from} → ${e.to} refers to a package not in the resolution`);
      continue;
    }
    const declared = [...from.preDepends, ...from.depends].flat().map(formatRelation);
    if (!declared.includes(e.relation)) problems.push(`edge ${e.from} → ${e.to}: ${e.from} does not depend on ${e.relation}`);
  }
  return problems;
}

/** Does `b` (chosen alongside `a`) match one of `a`'s Conflicts or Breaks? Describes the match. */
export function conflictBetween(a: PackageRecord, b: PackageRecord): string | undefined {
  if (a.name === b.name) return undefined;
  for (const [fieldName, set] of [["Conflicts", a.conflicts], ["Breaks", a.breaks]] as const) {
    for (const group of set) {
      for (const r of group) {
        if (matchesPackage(b, r)) return `${a.name} ${fieldName}: ${formatRelation(r)}`;
      }
    }
  }
  return undefined;
}

/** Is relation `r` satisfied by package `p`, by its own name or by one of its Provides? */
export function matchesPackage(p: PackageRecord, r: Relation): boolean {
  if (relationHolds(p, r)) return true;
  return p.provides.some((pr) => pr.name === r.name && (r.op === undefined || (pr.version !== undefined && satisfies(pr.version, r.op, r.version))));
}

export function relationHolds(p: PackageRecord, r: Relation): boolean {
  return p.name === r.name && satisfies(p.version, r.op, r.version);
}
