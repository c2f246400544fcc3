// Relation fields (Depends, Provides): parse or reject with BAD_CONTROL; formatRelations of a
// parsed set parses back to the same set; a generated set survives format then parse.
import fc from "fast-check";
import { ErrorCode } from "../../src/errors.js";
import { formatRelations, parseProvides, parseRelations } from "../../src/debian/relations.js";
import type { Relation, RelationSet } from "../../src/debian/types.js";
import { debianVersion } from "./version.js";
import { rejected, typed, type FuzzProperty } from "./harness.js";

const lower = "abcz019";
const name = fc
  .tuple(fc.constantFrom(...lower.split("")), fc.array(fc.constantFrom(..."az09+.-".split("")), { maxLength: 6 }))
  .map(([h, t]) => h + t.join(""));
const arch = fc.constantFrom("any", "amd64", "arm64", "native");
const op = fc.constantFrom("<<", "<=", "=", ">=", ">>" as const);
const relation: fc.Arbitrary<Relation> = fc
  .record({ name, arch: fc.option(arch, { nil: undefined }), cons: fc.option(fc.tuple(op, debianVersion), { nil: undefined }) })
  .map(({ name, arch, cons }) => ({ name, ...(arch ? { arch } : {}), ...(cons ? { op: cons[0], version: cons[1] } : {}) }));
const relationSet: fc.Arbitrary<RelationSet> = fc.array(fc.array(relation, { minLength: 1, maxLength: 3 }), { maxLength: 4 });

const PIECES = ["libc6", "a", "B", ":any", ":", " ", ",", "|", "(", ")", ">=", "<<", "=", ">", "<", "1.0-1", "~", "[amd64]", "<!nocheck>", "[", "]", "\n ", "\t"];
/** Text made of relation syntax, shuffled: mostly almost-valid fields. */
export const relationText: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 16 }).map((a) => a.join("")),
  relationSet.map(formatRelations),
);

export const properties: FuzzProperty[] = [
  {
    parser: "debian/relations",
    name: "parseRelations and parseProvides of any text return or throw BAD_CONTROL",
    property: () =>
      fc.property(fc.oneof(fc.string(), relationText), (text) => {
        typed([ErrorCode.BAD_CONTROL], () => parseRelations(text, "Depends field"));
        typed([ErrorCode.BAD_CONTROL], () => parseProvides(text));
      }),
  },
  {
    parser: "debian/relations",
    name: "a parsed field formats and parses back to the same relations",
    property: () =>
      fc.property(relationText, (text) => {
        const set = typed([ErrorCode.BAD_CONTROL], () => parseRelations(text));
        if (set === rejected) return;
        const again = parseRelations(formatRelations(set));
        if (JSON.stringify(again) !== JSON.stringify(set)) throw new Error(`${JSON.stringify(text)} → ${JSON.stringify(set)} → ${JSON.stringify(again)}`);
      }),
  },
  {
    parser: "debian/relations",
    name: "a generated relation set survives formatRelations then parseRelations",
    property: () =>
      fc.property(relationSet, (set) => JSON.stringify(parseRelations(formatRelations(set))) === JSON.stringify(set)),
  },
  {
    parser: "debian/relations",
    name: "parseProvides takes = versions and rejects other operators",
    property: () =>
      fc.property(relationSet, (set) => {
        const usesOther = set.some((g) => g.some((r) => r.op !== undefined && r.op !== "="));
        const r = typed([ErrorCode.BAD_CONTROL], () => parseProvides(formatRelations(set)));
        return usesOther ? r === rejected : r !== rejected && r.length === set.flat().length;
      }),
  },
];
