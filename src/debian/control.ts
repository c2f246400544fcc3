// deb822 paragraphs (Packages indexes, Release files, .deb control files, dpkg's status file).
// A Packages index is ~50 MB and ~63k paragraphs, so the parser walks the text once with indexOf
// and slices, without splitting it into a line array or using regular expressions per line.
import { CairnError, ErrorCode } from "../errors.js";
import type { Paragraph } from "./types.js";

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;

/**
 * Parse deb822 text into paragraphs. Field values: the first line trimmed, then "\n" + each
 * continuation line verbatim (leading space included). Comment lines (`#`) are skipped; lines of
 * only spaces and tabs separate paragraphs. `origin` names the input in error messages. With
 * `only`, other fields (and their continuation lines) are skipped unsliced: a Packages index's
 * Descriptions and Maintainers are most of its bytes, and nothing the resolver reads.
 */
export function parseParagraphs(text: string, origin = "control data", only?: ReadonlySet<string>, firstLine = 1): Paragraph[] {
  const out: Paragraph[] = [];
  let current: Paragraph | undefined;
  let lastField: string | undefined;
  let skipping = false;
  let pos = 0;
  let lineNo = firstLine - 1;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = len;
    const next = end + 1;
    if (end > pos && text.charCodeAt(end - 1) === CR) end--;
    lineNo++;
    const first = text.charCodeAt(pos);
    if (end === pos || ((first === SPACE || first === TAB) && isBlank(text, pos, end))) {
      current = undefined;
      lastField = undefined;
      skipping = false;
    } else if (first === SPACE || first === TAB) {
      if (current === undefined || (lastField === undefined && !skipping)) {
        throw bad(origin, lineNo, "a continuation line (starting with a space) has no field before it");
      }
      if (lastField !== undefined) current[lastField] += "\n" + text.slice(pos, end);
    } else if (first === HASH) {
      // comment: skipped, and does not end the paragraph
    } else {
      const colon = text.indexOf(":", pos);
      if (colon < 0 || colon >= end) throw bad(origin, lineNo, `"${text.slice(pos, Math.min(end, pos + 60))}" is not a "Field: value" line`);
      const name = text.slice(pos, colon);
      if (current === undefined) {
        current = {};
        out.push(current);
      }
      if (only !== undefined && !only.has(name)) {
        skipping = true;
        lastField = undefined;
        pos = next;
        continue;
      }
      skipping = false;
      if (current[name] !== undefined && Object.prototype.hasOwnProperty.call(current, name)) {
        throw bad(origin, lineNo, `the field "${name}" appears twice in one paragraph`);
      }
      let vs = colon + 1;
      while (vs < end && (text.charCodeAt(vs) === SPACE || text.charCodeAt(vs) === TAB)) vs++;
      let ve = end;
      while (ve > vs && (text.charCodeAt(ve - 1) === SPACE || text.charCodeAt(ve - 1) === TAB)) ve--;
      const value = text.slice(vs, ve);
      if (name === "__proto__") Object.defineProperty(current, name, { value, enumerable: true, writable: true, configurable: true });
      else current[name] = value;
      lastField = name;
    }
    pos = next;
  }
  return out;
}

/**
 * parseParagraphs over text that arrives in pieces (a Packages index as it is decompressed),
 * keeping only the `only` fields. Each run of whole paragraphs is parsed, then copied through
 * JSON: the values are then strings of their own instead of slices that would keep every piece
 * of the text alive — the kept fields are a small part of an index.
 */
export async function parseParagraphChunks(chunks: AsyncIterable<Uint8Array>, origin: string, only: ReadonlySet<string>): Promise<Paragraph[]> {
  const out: Paragraph[] = [];
  let rest = "";
  let line = 1;
  const parse = (text: string) => {
    for (const p of JSON.parse(JSON.stringify(parseParagraphs(text, origin, only, line))) as Paragraph[]) out.push(p);
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) line++;
  };
  for await (const chunk of chunks) {
    // latin1: one byte a character; the fields kept are ASCII, and UTF-8 never hides "\n" or ":" in a character.
    const text = rest + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    // An empty line always ends a paragraph: cut after the last one, keep the rest for later.
    const cut = text.lastIndexOf("\n\n");
    if (cut < 0) {
      rest = text;
      continue;
    }
    parse(text.slice(0, cut + 1));
    rest = text.slice(cut + 1);
  }
  parse(rest);
  return out;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== CR && c !== NL) return false;
  }
  return true;
}

function bad(origin: string, line: number, why: string): CairnError {
  return new CairnError(
    ErrorCode.BAD_CONTROL,
    `Cannot parse ${origin} at line ${line}: ${why}.`,
    "The file is not valid deb822 text; if it was downloaded, clear the cache entry and fetch it again.",
  );
}

/** One paragraph as deb822 text, ending in "\n" (join paragraphs with "\n" for a file). */
export function formatParagraph(p: Paragraph): string {
  let s = "";
  for (const name of Object.keys(p)) {
    const value = p[name]!;
    // A value that starts on the next line (`Conffiles:` then indented lines) has no space after `:`.
    s += value === "" || value.charCodeAt(0) === NL ? `${name}:${value}\n` : `${name}: ${value}\n`;
  }
  return s;
}

/** A field's value by case-insensitive name (deb822 field names are case-insensitive). */
export function field(p: Paragraph, name: string): string | undefined {
  const exact = p[name];
  if (exact !== undefined && Object.prototype.hasOwnProperty.call(p, name)) return exact;
  const lower = name.toLowerCase();
  for (const k of Object.keys(p)) if (k.toLowerCase() === lower) return p[k];
  return undefined;
}
