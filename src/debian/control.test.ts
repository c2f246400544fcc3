import { test } from "node:test";
import assert from "node:assert/strict";
import { hostPackagesIndex } from "./host-index.test-helper.js";
import { field, formatParagraph, parseParagraphChunks, parseParagraphs } from "./control.js";
import { isCairnError, ErrorCode } from "../errors.js";

const sample = `Package: redis-server
Version: 5:7.0.15-1~deb12u1
Depends: libc6 (>= 2.34), redis-tools (= 5:7.0.15-1~deb12u1)
Description: Persistent key-value database
 with network interface
 .
  indented text stays as written

# a comment between paragraphs
Package: conffiles-example
Conffiles:
 /etc/a.conf 0123
 /etc/b.conf 4567
Empty:
`;

test("parseParagraphs reads fields, continuation lines and skips comments", () => {
  const ps = parseParagraphs(sample);
  assert.equal(ps.length, 2);
  assert.deepEqual(ps[0], {
    Package: "redis-server",
    Version: "5:7.0.15-1~deb12u1",
    Depends: "libc6 (>= 2.34), redis-tools (= 5:7.0.15-1~deb12u1)",
    Description: "Persistent key-value database\n with network interface\n .\n  indented text stays as written",
  });
  assert.deepEqual(ps[1], { Package: "conffiles-example", Conffiles: "\n /etc/a.conf 0123\n /etc/b.conf 4567", Empty: "" });
});

test("parseParagraphs with `only` keeps those fields, skipping the others with their continuation lines", () => {
  const ps = parseParagraphs(sample, "sample", new Set(["Package", "Depends", "Conffiles"]));
  assert.deepEqual(ps, [
    { Package: "redis-server", Depends: "libc6 (>= 2.34), redis-tools (= 5:7.0.15-1~deb12u1)" },
    { Package: "conffiles-example", Conffiles: "\n /etc/a.conf 0123\n /etc/b.conf 4567" },
  ]);
  // A continuation line with no field at all is still an error, skipped fields or not.
  assert.throws(() => parseParagraphs(" stray\nPackage: a\n", "x", new Set(["Package"])), /continuation line/);
});

test("parseParagraphChunks gives what parseParagraphs gives, wherever the pieces are cut, and counts lines across them", async () => {
  const only = new Set(["Package", "Depends", "Conffiles"]);
  const whole = parseParagraphs(sample, "sample", only);
  const bytes = Buffer.from(sample);
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const pieces = async function* () { for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size); };
    assert.deepEqual(await parseParagraphChunks(pieces(), "sample", only), whole, `pieces of ${size}`);
  }
  const bad = Buffer.from("Package: a\n\nPackage: b\n\n\nnot a field\n");
  const halves = async function* () { yield bad.subarray(0, 9); yield bad.subarray(9); };
  await assert.rejects(parseParagraphChunks(halves(), "Packages", only), /Packages at line 6: "not a field" is not/);
});

test("parseParagraphs trims first-line values, accepts CRLF, blank-ish separators and a missing final newline", () => {
  const ps = parseParagraphs("A:  x  \r\nB:\ty\r\n \t \nC: z");
  assert.deepEqual(ps, [{ A: "x", B: "y" }, { C: "z" }]);
  assert.deepEqual(parseParagraphs("\n\n\n"), []);
  assert.deepEqual(parseParagraphs("# only\n# comments\n"), []);
  // A comment inside a paragraph does not split it.
  assert.deepEqual(parseParagraphs("A: 1\n# note\nB: 2\n"), [{ A: "1", B: "2" }]);
});

test("parseParagraphs rejects malformed text with BAD_CONTROL naming the line", () => {
  const cases: [string, RegExp][] = [
    ["A: 1\nno colon here\n", /line 2/],
    [" continuation first\n", /line 1.*continuation/],
    ["A: 1\nA: 2\n", /"A" appears twice/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseParagraphs(text, "test input"),
      (e: unknown) => isCairnError(e) && e.code === ErrorCode.BAD_CONTROL && re.test(e.message) && e.message.includes("test input"),
    );
  }
});

test("formatParagraph round-trips byte for byte on normalised text", () => {
  const normalised = sample.replace(/# a comment between paragraphs\n/, "");
  const ps = parseParagraphs(normalised);
  assert.equal(ps.map(formatParagraph).join("\n"), normalised);
});

test("field looks names up case-insensitively", () => {
  const [p] = parseParagraphs("Package: x\nPre-Depends: libc6\n");
  assert.equal(field(p!, "pre-depends"), "libc6");
  assert.equal(field(p!, "PACKAGE"), "x");
  assert.equal(field(p!, "Depends"), undefined);
  // Inherited object properties are not fields.
  assert.equal(field(p!, "constructor"), undefined);
});

test("parseParagraphs handles the host's full Packages index quickly", (t) => {
  const text = hostPackagesIndex();
  if (text === undefined) return t.skip("no bookworm main Packages index under /var/lib/apt/lists (run apt-get update)");
  const start = performance.now();
  const ps = parseParagraphs(text, "the host Packages index");
  const ms = performance.now() - start;
  t.diagnostic(`parsed ${ps.length} paragraphs from ${(text.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms`);
  const expected = text.match(/^Package: /gm)!.length;
  assert.equal(ps.length, expected);
  assert.ok(ps.every((p) => p.Package && p.Version && p.Architecture), "every paragraph has Package, Version, Architecture");
  // Semantic round-trip over every real paragraph (the index has some trailing spaces, so not bytes).
  // (assert.deepEqual on 63k objects takes seconds; comparing entries directly does not).
  const again = parseParagraphs(ps.map(formatParagraph).join("\n"));
  assert.equal(again.length, ps.length);
  const differing = ps.findIndex((p, i) => {
    const q = again[i]!;
    const keys = Object.keys(p);
    return keys.length !== Object.keys(q).length || keys.some((k) => p[k] !== q[k]);
  });
  assert.equal(differing, -1, `paragraph ${differing} changed in the round-trip`);
});
