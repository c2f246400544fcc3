// Dependency resolution the way apt chooses, as a pure function of (universe, roots, preferences):
// Depends and Pre-Depends only, one version per name, the highest version allowed by every
// constraint seen so far (or the locked one while it is still allowed), alternatives left to right
// preferring what is already chosen, virtual names through Provides.
// When a later constraint rules out a version already chosen, the constraint is learned and the
// pass starts again from scratch, so every pass is a simple greedy walk and the result never depends
// on leftovers from an abandoned choice. Debian stable needs this rarely, so it is bounded.
import { CairnError, ErrorCode } from "../errors.js";
import type { PackageRecord, Relation } from "./types.js";
import { formatRelation, formatRelations } from "./relations.js";
import { checkResolution, conflictBetween, matchesPackage, relationHolds } from "./resolution-check.js";
import { suggestNames } from "./suggest.js";
import type { Provider, Universe } from "./universe.js";
import { compareVersions, parseVersion, satisfies } from "./version.js";

export interface Root {
  name: string;
  /** An exact version to pin. */
  version?: string;
}

/** `from` was satisfied by the chosen package `to` for the dependency `relation`. */
export interface Edge {
  from: string;
  to: string;
  relation: string;
}

export interface Solution {
  roots: Root[];
  /** One package per name, sorted by name. */
  packages: PackageRecord[];
  /** Sorted by from, to, relation. */
  edges: Edge[];
}

export interface ResolveOptions {
  /** name → version, e.g. from an existing lock: chosen whenever it is still allowed. */
  prefer?: ReadonlyMap<string, string>;
}

const MAX_RESTARTS = 200;

export function resolve(universe: Universe, roots: readonly Root[], options: ResolveOptions = {}): Solution {
  for (const root of roots) checkRoot(universe, root);
  const learned = new Map<string, Constraint[]>();
  for (let attempt = 0; attempt <= MAX_RESTARTS; attempt++) {
    try {
      return new Pass(universe, learned, options.prefer ?? new Map()).run(roots);
    } catch (e) {
      if (!(e instanceof Restart)) throw e;
      const list = learned.get(e.name) ?? [];
      list.push(e.constraint);
      learned.set(e.name, list);
    }
  }
  throw new CairnError(
    ErrorCode.UNSATISFIABLE,
    `Gave up resolving ${roots.map(rootLabel).join(", ")} after ${MAX_RESTARTS} re-picks of already chosen versions.`,
    "Pin the versions of the packages involved (e.g. from an older lock) so fewer choices are left open.",
  );
}

interface Constraint {
  relation: Relation;
  /** "name version" of the package that asked, or "root". */
  by: string;
}

/** Thrown inside a pass: `name` must satisfy `constraint`, and a version that does exists. */
class Restart {
  constructor(
    readonly name: string,
    readonly constraint: Constraint,
  ) {}
}

const PRIORITY_RANK: Record<string, number> = { required: 0, important: 1, standard: 2, optional: 3, extra: 4 };

class Pass {
  private readonly chosen = new Map<string, PackageRecord>();
  /** Virtual name → chosen packages providing it. */
  private readonly provided = new Map<string, Provider[]>();
  private readonly constraints = new Map<string, Constraint[]>();
  /** How each package was first reached, for error chains. */
  private readonly via = new Map<string, PackageRecord | undefined>();
  private readonly edges = new Map<string, Edge>();
  private readonly queue: PackageRecord[] = [];

  constructor(
    private readonly universe: Universe,
    private readonly learned: ReadonlyMap<string, Constraint[]>,
    private readonly prefer: ReadonlyMap<string, string>,
  ) {}

  run(roots: readonly Root[]): Solution {
    for (const root of roots) {
      const rel: Relation = root.version === undefined ? { name: root.name } : { name: root.name, op: "=", version: root.version };
      this.satisfy([rel], undefined);
    }
    for (let i = 0; i < this.queue.length; i++) {
      const pkg = this.queue[i]!;
      for (const group of [...pkg.preDepends, ...pkg.depends]) this.satisfy(group, pkg);
    }
    const packages = [...this.chosen.values()].sort((a, b) => cmp(a.name, b.name));
    const edges = [...this.edges.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.relation, b.relation));
    return { roots: roots.map((r) => ({ ...r })), packages, edges };
  }

  private satisfy(group: Relation[], from: PackageRecord | undefined): void {
    for (const alt of group) {
      const hit = this.chosenFor(alt);
      if (hit !== undefined) return this.use(hit, alt, from);
    }
    const reasons: string[] = [];
    let conflict: [PackageRecord, PackageRecord, string] | undefined;
    for (const alt of group) {
      if (!this.archMatches(alt)) {
        reasons.push(`${formatRelation(alt)}: not available for ${this.universe.architecture}`);
        continue;
      }
      const current = this.chosen.get(alt.name);
      if (current !== undefined) {
        const known = this.constraintsOn(alt.name);
        const other = this.universe.candidates(alt.name).find((c) => relationHolds(c, alt) && known.every((k) => relationHolds(c, k.relation)));
        if (other !== undefined) throw new Restart(alt.name, { relation: alt, by: label(from) });
        reasons.push(`${formatRelation(alt)}: ${current.name} ${current.version} is already chosen (${this.describeConstraints(alt.name)})`);
        continue;
      }
      const real = this.universe.candidates(alt.name);
      const allowed = real.filter((c) => relationHolds(c, alt) && this.allowedByConstraints(c));
      const pick = this.firstWithoutConflict(this.preferred(allowed), (c) => (conflict ??= c));
      if (pick !== undefined) return this.add(pick, alt, from);
      if (real.length > 0) reasons.push(`${formatRelation(alt)}: no version satisfies; available: ${versionsOf(real)}${this.learnedNote(alt.name)}`);
      const provider = this.pickProvider(alt, (c) => (conflict ??= c));
      if (provider !== undefined) return this.add(provider, alt, from);
      if (real.length === 0) reasons.push(this.noProviderReason(alt));
    }
    if (conflict !== undefined) {
      const [a, b, rel] = conflict;
      throw new CairnError(
        ErrorCode.CONFLICT,
        `${a.name} ${a.version} and ${b.name} ${b.version} cannot be installed together (${rel}), ` +
          `and ${formatRelations([group])} needed by ${this.chain(from)} has no other way to be satisfied.`,
        "Remove one of the two from the image, or pin versions that do not conflict.",
      );
    }
    const chain = `${this.chain(from)} → ${formatRelations([group])} → no version satisfies`;
    throw new CairnError(
      ErrorCode.UNSATISFIABLE,
      `Cannot resolve ${chain}. ${reasons.join("; ")}.`,
      "Pin other versions of the packages on this chain, or add the archive (suite or component) that has a suitable version to the sources.",
    );
  }

  /** A chosen package that already satisfies `alt`, real name first. */
  private chosenFor(alt: Relation): Provider | undefined {
    if (!this.archMatches(alt)) return undefined;
    const real = this.chosen.get(alt.name);
    if (real !== undefined && relationHolds(real, alt)) return { pkg: real };
    return this.provided.get(alt.name)?.find((p) => provideHolds(p, alt));
  }

  private use(hit: Provider, alt: Relation, from: PackageRecord | undefined): void {
    if (hit.pkg.name === alt.name) this.constrain(alt, from);
    this.edge(from, hit.pkg, alt);
  }

  private add(pkg: PackageRecord, alt: Relation, from: PackageRecord | undefined): void {
    this.chosen.set(pkg.name, pkg);
    this.via.set(pkg.name, from);
    for (const p of pkg.provides) {
      const list = this.provided.get(p.name) ?? [];
      list.push(p.version === undefined ? { pkg } : { pkg, version: p.version });
      this.provided.set(p.name, list);
    }
    this.queue.push(pkg);
    this.use({ pkg }, alt, from);
  }

  private constrain(alt: Relation, from: PackageRecord | undefined): void {
    if (alt.op === undefined) return;
    const list = this.constraints.get(alt.name) ?? [];
    list.push({ relation: alt, by: label(from) });
    this.constraints.set(alt.name, list);
  }

  private edge(from: PackageRecord | undefined, to: PackageRecord, alt: Relation): void {
    if (from === undefined) return;
    const e: Edge = { from: from.name, to: to.name, relation: formatRelation(alt) };
    this.edges.set(`${e.from}\0${e.to}\0${e.relation}`, e);
  }

  private constraintsOn(name: string): Constraint[] {
    return [...(this.constraints.get(name) ?? []), ...(this.learned.get(name) ?? [])];
  }

  private allowedByConstraints(c: PackageRecord): boolean {
    return this.constraintsOn(c.name).every((k) => relationHolds(c, k.relation));
  }

  /** The locked version first when it is allowed; otherwise highest first, as given. */
  private preferred(allowed: PackageRecord[]): PackageRecord[] {
    const want = allowed.length > 0 ? this.prefer.get(allowed[0]!.name) : undefined;
    const i = want === undefined ? -1 : allowed.findIndex((c) => compareVersions(c.version, want) === 0);
    return i <= 0 ? allowed : [allowed[i]!, ...allowed.slice(0, i), ...allowed.slice(i + 1)];
  }

  private firstWithoutConflict(list: PackageRecord[], onConflict: (c: [PackageRecord, PackageRecord, string]) => void): PackageRecord | undefined {
    for (const c of list) {
      const clash = this.conflictWithChosen(c);
      if (clash === undefined) return c;
      onConflict(clash);
    }
    return undefined;
  }

  private conflictWithChosen(c: PackageRecord): [PackageRecord, PackageRecord, string] | undefined {
    for (const other of this.chosen.values()) {
      const why = conflictBetween(c, other) ?? conflictBetween(other, c);
      if (why !== undefined) return [c, other, why];
    }
    return undefined;
  }

  /** Among providers not yet chosen: by Priority, then name; within a name, highest (or locked) version. */
  private pickProvider(alt: Relation, onConflict: (c: [PackageRecord, PackageRecord, string]) => void): PackageRecord | undefined {
    const byName = new Map<string, PackageRecord[]>();
    for (const p of this.universe.providers(alt.name)) {
      if (this.chosen.has(p.pkg.name) || !provideHolds(p, alt) || !this.allowedByConstraints(p.pkg)) continue;
      const list = byName.get(p.pkg.name) ?? [];
      if (!list.includes(p.pkg)) list.push(p.pkg);
      byName.set(p.pkg.name, list);
    }
    const names = [...byName.keys()].sort((a, b) => rank(byName.get(a)![0]!) - rank(byName.get(b)![0]!) || cmp(a, b));
    for (const name of names) {
      const pick = this.firstWithoutConflict(this.preferred(byName.get(name)!), onConflict);
      if (pick !== undefined) return pick;
    }
    return undefined;
  }

  private noProviderReason(alt: Relation): string {
    const providers = this.universe.providers(alt.name);
    if (providers.length === 0) return `${formatRelation(alt)}: no package has this name or provides it`;
    const list = [...new Set(providers.map((p) => (p.version === undefined ? p.pkg.name : `${p.pkg.name} (= ${p.version})`)))];
    return `${formatRelation(alt)}: no provider fits; provided by ${list.slice(0, 5).join(", ")}${list.length > 5 ? ", …" : ""}`;
  }

  private describeConstraints(name: string): string {
    const list = this.constraintsOn(name);
    if (list.length === 0) return "required without a version";
    return list.map((k) => `${formatRelation(k.relation)} for ${k.by}`).join(", ");
  }

  private learnedNote(name: string): string {
    const list = this.learned.get(name) ?? [];
    return list.length === 0 ? "" : ` (also required: ${list.map((k) => `${formatRelation(k.relation)} for ${k.by}`).join(", ")})`;
  }

  private archMatches(alt: Relation): boolean {
    const a = alt.arch;
    return a === undefined || a === "any" || a === "native" || a === this.universe.architecture;
  }

  /** `root-pkg 1.0 → dep 2.0 → pkg 3.0`: how `pkg` was reached from a root. */
  private chain(pkg: PackageRecord | undefined): string {
    if (pkg === undefined) return "the requested packages";
    const parts: string[] = [];
    for (let p: PackageRecord | undefined = pkg; p !== undefined && parts.length < 50; p = this.via.get(p.name)) {
      parts.unshift(`${p.name} ${p.version}`);
    }
    return parts.join(" → ");
  }
}

function checkRoot(universe: Universe, root: Root): void {
  if (root.version !== undefined) parseVersion(root.version);
  if (!universe.has(root.name)) {
    const near = suggestNames(root.name, universe.names());
    throw new CairnError(
      ErrorCode.NO_SUCH_PACKAGE,
      `No package called "${root.name}" in the configured archives for ${universe.architecture}.` +
        (near.length > 0 ? ` Did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : ""),
      "Check the spelling, or add the suite or component that has it to the sources.",
    );
  }
  if (root.version !== undefined && universe.get(root.name, root.version) === undefined) {
    const real = universe.candidates(root.name);
    throw new CairnError(
      ErrorCode.NO_SUCH_PACKAGE,
      `There is no version ${root.version} of "${root.name}" in the configured archives; ` +
        (real.length > 0 ? `available: ${versionsOf(real)}.` : `it is a virtual package, provided by ${[...new Set(universe.providers(root.name).map((p) => p.pkg.name))].join(", ")}.`),
      "Pin one of the available versions, or add the archive (e.g. a snapshot) that still has this one.",
    );
  }
}

/** A versioned dependency is met only by a versioned Provides that satisfies it. */
function provideHolds(p: Provider, r: Relation): boolean {
  if (r.op === undefined) return true;
  return p.version !== undefined && satisfies(p.version, r.op, r.version);
}

function rank(p: PackageRecord): number {
  return PRIORITY_RANK[p.priority ?? ""] ?? 5;
}

function versionsOf(list: PackageRecord[]): string {
  return [...new Set(list.map((c) => c.version))].join(", ");
}

function label(p: PackageRecord | undefined): string {
  return p === undefined ? "the requested packages" : `${p.name} ${p.version}`;
}

function rootLabel(r: Root): string {
  return r.version === undefined ? r.name : `${r.name} ${r.version}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export { checkResolution, conflictBetween, matchesPackage };
