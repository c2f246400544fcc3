// Relationship fields (Depends, Pre-Depends, Conflicts, Breaks, Provides, ...): `,` is AND, `|` is
// OR, `(op version)` constrains, `name:any` / `name:amd64` qualify the architecture. Architecture
// and build-profile restrictions (`[amd64]`, `<!nocheck>`) only occur in source packages and are
// dropped: binary indexes have already applied them.
import { CairnError, ErrorCode } from "../errors.js";
import type { Provide, Relation, RelationSet, VersionOp } from "./types.js";

const ALT_RE =
  /^([A-Za-z0-9][A-Za-z0-9+.-]*)(?::([A-Za-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([A-Za-z0-9][^\s()]*)\s*\))?\s*(?:\[[^\]]*\]\s*)?(?:<[^>]*>\s*)*$/;

/** Parse a relationship field. Undefined or empty text is the empty set (no requirements). */
export function parseRelations(text: string | undefined, fieldName = "relationship field"): RelationSet {
  if (text === undefined) return [];
  const out: RelationSet = [];
  for (const group of text.split(",")) {
    if (group.trim() === "") continue;
    out.push(group.split("|").map((alt) => parseAlternative(alt, text, fieldName)));
  }
  return out;
}

function parseAlternative(alt: string, whole: string, fieldName: string): Relation {
  const m = ALT_RE.exec(alt.trim());
  if (m === null) {
    throw new CairnError(
      ErrorCode.BAD_CONTROL,
      `Cannot parse "${alt.trim()}" in the ${fieldName} "${whole.trim().replace(/\s+/g, " ")}".`,
      "A relation is `name`, `name:arch`, or `name (op version)` with op one of << <= = >= >>.",
    );
  }
  const r: Relation = { name: m[1]!.toLowerCase() };
  if (m[2] !== undefined) r.arch = m[2].toLowerCase();
  if (m[3] !== undefined) {
    r.op = legacyOp(m[3]);
    r.version = m[4]!;
  }
  return r;
}

/** The obsolete `<` and `>` meant `<=` and `>=` (Policy 7.1). */
function legacyOp(op: string): VersionOp {
  if (op === "<") return "<=";
  if (op === ">") return ">=";
  return op as VersionOp;
}

/** Parse a Provides field: names with optional `(= version)`; other operators are not allowed there. */
export function parseProvides(text: string | undefined): Provide[] {
  const out: Provide[] = [];
  for (const group of parseRelations(text, "Provides field")) {
    for (const r of group) {
      if (r.op !== undefined && r.op !== "=") {
        throw new CairnError(
          ErrorCode.BAD_CONTROL,
          `The Provides entry "${formatRelation(r)}" uses "${r.op}"; only "=" versions can be provided.`,
          "Fix the package's control data: Provides takes `name` or `name (= version)`.",
        );
      }
      out.push(r.version === undefined ? { name: r.name } : { name: r.name, version: r.version });
    }
  }
  return out;
}

/** `libc6 (>= 2.36)`, `python3:any`. */
export function formatRelation(r: Relation): string {
  const name = r.arch === undefined ? r.name : `${r.name}:${r.arch}`;
  return r.op === undefined || r.version === undefined ? name : `${name} (${r.op} ${r.version})`;
}

/** A whole field back as text: `a | b (>= 1), c`. */
export function formatRelations(set: RelationSet): string {
  return set.map((group) => group.map(formatRelation).join(" | ")).join(", ");
}
