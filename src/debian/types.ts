// The debian stage's vocabulary (yarn berry's, for Debian):
//   Relation  — a descriptor: a name and an optional version constraint, `libc6 (>= 2.36)`
//   Locator   — an exact package: name, version, architecture
//   PackageRecord — a locator with everything its index paragraph says

/** One deb822 paragraph: field name (as written) → value. Continuation lines are kept as
 *  written after the first line, joined with "\n" (so they round-trip into dpkg's status file). */
export type Paragraph = Record<string, string>;

export type VersionOp = "<<" | "<=" | "=" | ">=" | ">>";

export interface Relation {
  name: string;
  /** `:any`, `:native` or an architecture, when given. */
  arch?: string;
  op?: VersionOp;
  version?: string;
}

/** A dependency field: an AND of ORs (`a | b, c`). */
export type RelationSet = Relation[][];

export interface Provide {
  name: string;
  /** Only `=` versions are allowed in Provides. */
  version?: string;
}

export interface Locator {
  name: string;
  version: string;
  architecture: string;
}

/** Which archive a package came from, without naming the mirror host (lockfiles stay portable). */
export interface RepositoryId {
  suite: string;
  component: string;
}

export interface PackageRecord extends Locator {
  depends: RelationSet;
  preDepends: RelationSet;
  provides: Provide[];
  conflicts: RelationSet;
  breaks: RelationSet;
  replaces: RelationSet;
  essential: boolean;
  priority?: string;
  multiArch?: string;
  /** Path of the .deb inside the archive (`pool/main/r/redis/...deb`). */
  filename: string;
  size: number;
  sha256: string;
  repository: RepositoryId;
}

export function locatorKey(l: Locator): string {
  return `${l.name} ${l.version} ${l.architecture}`;
}

/** The distribution a suite's Release file names, for /etc/os-release. */
export interface Distribution {
  /** Release file's Origin, e.g. "Debian". */
  origin: string;
  /** e.g. "bookworm". */
  codename: string;
  /** e.g. "12.11"; may be absent for testing suites. */
  version?: string;
}
