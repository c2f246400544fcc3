import { test } from "node:test";
import assert from "node:assert/strict";
import { formatRelation, formatRelations, parseProvides, parseRelations } from "./relations.js";
import { parseParagraphs } from "./control.js";
import { hostPackagesIndex } from "./host-index.test-helper.js";
import { ErrorCode, isCairnError } from "../errors.js";

test("parseRelations: AND of ORs with versions and architecture qualifiers", () => {
  assert.deepEqual(parseRelations("libc6 (>= 2.36), default-mta | mail-transport-agent, python3:any (>= 3.11~), libfoo:amd64"), [
    [{ name: "libc6", op: ">=", version: "2.36" }],
    [{ name: "default-mta" }, { name: "mail-transport-agent" }],
    [{ name: "python3", arch: "any", op: ">=", version: "3.11~" }],
    [{ name: "libfoo", arch: "amd64" }],
  ]);
});

test("parseRelations tolerates odd spacing, empty entries and every operator", () => {
  assert.deepEqual(parseRelations("  a(<<1) ,b( <= 2 ),, c (= 1:3-4)|d (>=5) , e (>> 6)\n , "), [
    [{ name: "a", op: "<<", version: "1" }],
    [{ name: "b", op: "<=", version: "2" }],
    [{ name: "c", op: "=", version: "1:3-4" }, { name: "d", op: ">=", version: "5" }],
    [{ name: "e", op: ">>", version: "6" }],
  ]);
  assert.deepEqual(parseRelations(undefined), []);
  assert.deepEqual(parseRelations(""), []);
});

test("parseRelations reads legacy < and > as <= and >=", () => {
  assert.deepEqual(parseRelations("a (< 1), b (> 2)"), [[{ name: "a", op: "<=", version: "1" }], [{ name: "b", op: ">=", version: "2" }]]);
});

test("parseRelations drops architecture and build-profile restrictions", () => {
  assert.deepEqual(parseRelations("libseccomp-dev [linux-any] <!nocheck>, gcc (>= 4) [amd64 i386] <!stage1> <cross>"), [
    [{ name: "libseccomp-dev" }],
    [{ name: "gcc", op: ">=", version: "4" }],
  ]);
});

test("parseRelations rejects malformed relations with BAD_CONTROL quoting them", () => {
  for (const bad of ["libc6 (>= )", "libc6 (~ 1)", "(>= 1)", "a b", "libc6 (>= 1"]) {
    assert.throws(
      () => parseRelations(bad, "Depends field"),
      (e: unknown) => isCairnError(e) && e.code === ErrorCode.BAD_CONTROL && e.message.includes("Depends field"),
      bad,
    );
  }
});

test("parseProvides keeps = versions and rejects other operators", () => {
  assert.deepEqual(parseProvides("mail-transport-agent, libfoo-abi (= 1.2), python3.11:any"), [
    { name: "mail-transport-agent" },
    { name: "libfoo-abi", version: "1.2" },
    { name: "python3.11" },
  ]);
  assert.deepEqual(parseProvides(undefined), []);
  assert.throws(() => parseProvides("x (>= 1)"), (e: unknown) => isCairnError(e) && e.message.includes("x (>= 1)"));
});

test("formatRelation and formatRelations write the canonical form back", () => {
  assert.equal(formatRelation({ name: "libc6", op: ">=", version: "2.36" }), "libc6 (>= 2.36)");
  assert.equal(formatRelation({ name: "python3", arch: "any" }), "python3:any");
  const text = "a | b:any (<< 2), c (= 1:1-1)";
  assert.equal(formatRelations(parseRelations(text)), text);
});

test("every relationship field in the host's Packages index parses and round-trips", (t) => {
  const text = hostPackagesIndex();
  if (text === undefined) return t.skip("no bookworm main Packages index under /var/lib/apt/lists (run apt-get update)");
  const fields = ["Depends", "Pre-Depends", "Recommends", "Suggests", "Conflicts", "Breaks", "Replaces", "Enhances", "Provides"];
  let count = 0;
  const odd: string[] = [];
  for (const p of parseParagraphs(text)) {
    for (const f of fields) {
      const v = p[f];
      if (v === undefined) continue;
      const set = parseRelations(v, `${f} field of ${p.Package}`);
      count += set.length;
      // The archive writes relations in canonical form, so formatting gives the field back.
      if (formatRelations(set) !== v) odd.push(`${p.Package} ${f}: ${v}`);
    }
    if (p.Provides !== undefined) parseProvides(p.Provides);
  }
  assert.deepEqual(odd, []);
  assert.ok(count > 100_000, `only ${count} relations found`);
});
