// deb822 text (Packages indexes, control files): parseParagraphs returns or rejects with
// BAD_CONTROL, formatParagraph's output reads back as the same paragraphs, and an index read
// into a Universe (Provides, relation fields, version order) rejects only with BAD_CONTROL.
import fc from "fast-check";
import { ErrorCode } from "../../src/errors.js";
import { formatParagraph, parseParagraphs } from "../../src/debian/control.js";
import { Universe } from "../../src/debian/universe.js";
import { compareVersions } from "../../src/debian/version.js";
import type { Paragraph } from "../../src/debian/types.js";
import { relationText } from "./relations.js";
import { debianVersion } from "./version.js";
import { rejected, typed, type FuzzProperty } from "./harness.js";

const PIECES = ["Package", "Version", "Depends", "Provides", "Architecture", "__proto__", "constructor", ":", " ", "\t", "\n", "\r\n", "#", "-", "a", "é", "\u0000"];
/** Text made mostly of deb822's own pieces, so lines are often almost right. */
const deb822ish = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 40 }).map((a) => a.join(""));

const fieldName = fc.oneof(
  fc.constantFrom("Package", "Version", "Depends", "Description", "__proto__", "constructor", "hasOwnProperty", "toString", "X-Tab\tName"),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^[^\s#:][^:\n\r]*$/.test(s)),
);
const noBreak = (s: string) => !/[\n\r]/.test(s);
const firstLine = fc.string({ maxLength: 20 }).filter(noBreak).map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ""));
// A continuation line: leading space or tab, then something that is not only blanks.
const continuation = fc
  .tuple(fc.constantFrom(" ", "\t", "  "), fc.string({ maxLength: 20 }).filter(noBreak))
  .filter(([, s]) => /[^ \t]/.test(s))
  .map(([lead, s]) => lead + s);
const value = fc.tuple(firstLine, fc.array(continuation, { maxLength: 3 })).map(([f, c]) => [f, ...c].join("\n"));
const paragraph: fc.Arbitrary<Paragraph> = fc.uniqueArray(fc.tuple(fieldName, value), { minLength: 1, maxLength: 6, selector: ([k]) => k }).map((kvs) => {
  const p: Paragraph = {};
  for (const [k, v] of kvs) Object.defineProperty(p, k, { value: v, enumerable: true, writable: true, configurable: true });
  return p;
});

/** A Packages paragraph whose fields are near-valid: real names, fuzzed relations and versions. */
const indexParagraph = fc
  .record({
    Package: fc.oneof(fc.constantFrom("a", "b", "libc6"), fc.string({ maxLength: 6 })),
    Version: fc.oneof(debianVersion, fc.string({ maxLength: 6 })),
    Architecture: fc.constantFrom("amd64", "all", "arm64"),
    Provides: relationText,
    Depends: relationText,
    "Pre-Depends": relationText,
    Conflicts: relationText,
  }, { requiredKeys: ["Package", "Version", "Architecture"] })
  .map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.replace(/[\n\r]/g, " ").trim()])));

const plain = (ps: Paragraph[]) => ps.map((p) => Object.entries(p));

export const properties: FuzzProperty[] = [
  {
    parser: "debian/control",
    name: "parseParagraphs of any text returns paragraphs or throws BAD_CONTROL",
    property: () =>
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), deb822ish), (text) => {
        const r = typed([ErrorCode.BAD_CONTROL], () => parseParagraphs(text, "fuzz"));
        if (r !== rejected) for (const p of r) for (const v of Object.values(p)) if (typeof v !== "string") throw new Error(`a field value is ${typeof v}`);
      }),
  },
  {
    parser: "debian/control",
    name: "formatParagraph output parses back to the same paragraphs",
    property: () =>
      fc.property(fc.array(paragraph, { minLength: 1, maxLength: 4 }), fc.constantFrom("\n", "\r\n"), (ps, eol) => {
        const text = ps.map(formatParagraph).join("\n").replace(/\n/g, eol);
        const back = parseParagraphs(text, "fuzz");
        // Continuation lines keep their text; with CRLF line ends only the CR goes.
        const got = JSON.stringify(plain(back));
        const want = JSON.stringify(plain(ps));
        if (got !== want) throw new Error(`read back ${got}, wrote ${want}`);
      }),
  },
  {
    parser: "debian/universe",
    name: "a Packages index of near-valid paragraphs loads, or rejects with BAD_CONTROL",
    property: () =>
      fc.property(fc.array(indexParagraph, { maxLength: 6 }), (ps) => {
        const text = ps.map(formatParagraph).join("\n");
        typed([ErrorCode.BAD_CONTROL], () => {
          const u = Universe.fromIndexes([{ repository: { suite: "s", component: "main" }, paragraphs: parseParagraphs(text, "fuzz") }], "amd64");
          for (const name of u.names()) {
            const list = u.candidates(name);
            for (let i = 1; i < list.length; i++) {
              if (compareVersions(list[i - 1]!.version, list[i]!.version) < 0) throw new Error(`candidates of ${name} are not highest first`);
            }
            u.providers(name);
          }
        });
      }),
  },
];
