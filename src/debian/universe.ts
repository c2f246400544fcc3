// Every package the configured archives offer for one architecture, indexed by name and by each
// name it Provides. Records are built lazily: a resolution touches a few hundred of ~65k packages,
// so relation fields are parsed only for those.
import type { Paragraph, PackageRecord, Provide, RepositoryId } from "./types.js";
import { parseProvides, parseRelations } from "./relations.js";
import { compareVersions } from "./version.js";

interface Entry {
  paragraph: Paragraph;
  repository: RepositoryId;
  /** Position among all accepted entries: a stable tie-break that keeps the first index first. */
  order: number;
  record?: PackageRecord;
}

interface ProvideEntry {
  entry: Entry;
  version?: string;
}

export interface Provider {
  pkg: PackageRecord;
  /** The version the package provides the name at, when its Provides gives one. */
  version?: string;
}

export interface IndexInput {
  repository: RepositoryId;
  paragraphs: Paragraph[];
}

export class Universe {
  readonly architecture: string;
  private readonly byName = new Map<string, Entry[]>();
  private readonly byProvide = new Map<string, ProvideEntry[]>();
  private readonly sortedNames = new Set<string>();

  private constructor(architecture: string) {
    this.architecture = architecture;
  }

  /** Keeps paragraphs for `architecture` or `all`; a package (name, version, architecture) listed
   *  by several indexes counts once, from the first index that lists it. */
  static fromIndexes(indexes: readonly IndexInput[], architecture: string): Universe {
    const u = new Universe(architecture);
    let order = 0;
    for (const { repository, paragraphs } of indexes) {
      for (const paragraph of paragraphs) {
        const arch = paragraph.Architecture;
        if (arch !== architecture && arch !== "all") continue;
        const name = paragraph.Package;
        const version = paragraph.Version;
        if (name === undefined || version === undefined) continue;
        const entry: Entry = { paragraph, repository, order: order++ };
        const list = u.byName.get(name);
        if (list === undefined) u.byName.set(name, [entry]);
        else if (list.some((e) => e.paragraph.Version === version && e.paragraph.Architecture === arch)) continue;
        else list.push(entry);
        const provides = paragraph.Provides;
        if (provides !== undefined) {
          for (const p of parseProvides(provides)) {
            const pe: ProvideEntry = p.version === undefined ? { entry } : { entry, version: p.version };
            const plist = u.byProvide.get(p.name);
            if (plist === undefined) u.byProvide.set(p.name, [pe]);
            else plist.push(pe);
          }
        }
      }
    }
    return u;
  }

  /** Every version of a real package called `name`, highest first. */
  candidates(name: string): PackageRecord[] {
    return this.entries(name).map((e) => this.record(e));
  }

  /** Every package that Provides `name`, by provider name, then highest version first. */
  providers(name: string): Provider[] {
    const list = this.byProvide.get(name);
    if (list === undefined) return [];
    return [...list]
      .sort((a, b) => {
        const an = a.entry.paragraph.Package!;
        const bn = b.entry.paragraph.Package!;
        if (an !== bn) return an < bn ? -1 : 1;
        return compareVersions(b.entry.paragraph.Version!, a.entry.paragraph.Version!) || a.entry.order - b.entry.order;
      })
      .map((pe) => (pe.version === undefined ? { pkg: this.record(pe.entry) } : { pkg: this.record(pe.entry), version: pe.version }));
  }

  /** Names of real packages, sorted (for suggestions when a name is misspelt). */
  names(): Iterable<string> {
    return [...this.byName.keys()].sort();
  }

  /** Whether `name` is a real package or a name some package provides. */
  has(name: string): boolean {
    return this.byName.has(name) || this.byProvide.has(name);
  }

  /** The package `name` at exactly `version` (compared as Debian versions, so `0:1.0` finds `1.0`). */
  get(name: string, version: string): PackageRecord | undefined {
    const e = this.entries(name).find((x) => compareVersions(x.paragraph.Version!, version) === 0);
    return e === undefined ? undefined : this.record(e);
  }

  private entries(name: string): Entry[] {
    const list = this.byName.get(name);
    if (list === undefined) return [];
    if (!this.sortedNames.has(name)) {
      list.sort((a, b) => compareVersions(b.paragraph.Version!, a.paragraph.Version!) || a.order - b.order);
      this.sortedNames.add(name);
    }
    return list;
  }

  private record(e: Entry): PackageRecord {
    if (e.record === undefined) e.record = toRecord(e.paragraph, e.repository);
    return e.record;
  }
}

/** The index fields a record is made of: parseParagraphs skips the rest of a Packages index. */
export const INDEX_FIELDS: ReadonlySet<string> = new Set([
  "Package", "Version", "Architecture", "Depends", "Pre-Depends", "Provides", "Conflicts", "Breaks", "Replaces",
  "Essential", "Filename", "Size", "SHA256", "Priority", "Multi-Arch",
]);

/** The typed view of one index paragraph. */
export function toRecord(p: Paragraph, repository: RepositoryId): PackageRecord {
  const name = p.Package!;
  const rel = (f: string) => parseRelations(p[f], `${f} field of ${name}`);
  const provides: Provide[] = parseProvides(p.Provides);
  const r: PackageRecord = {
    name,
    version: p.Version!,
    architecture: p.Architecture ?? "",
    depends: rel("Depends"),
    preDepends: rel("Pre-Depends"),
    provides,
    conflicts: rel("Conflicts"),
    breaks: rel("Breaks"),
    replaces: rel("Replaces"),
    essential: p.Essential === "yes",
    filename: p.Filename ?? "",
    size: Number(p.Size ?? 0),
    sha256: p.SHA256 ?? "",
    repository,
  };
  if (p.Priority !== undefined) r.priority = p.Priority;
  if (p["Multi-Arch"] !== undefined) r.multiArch = p["Multi-Arch"];
  return r;
}
