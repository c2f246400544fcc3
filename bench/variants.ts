// The edits the bench makes to copies of a definition or a Dockerfile to force each phase: a new
// label changes no layer (warm), a new small file changes one (application change). Plain string
// rewriting of the examples' source, so the bench measures the definition as a user writes it.

/** A marker that a definition's source must contain for the bench to edit it. */
function expectOnce(src: string, re: RegExp, what: string, file: string): RegExpExecArray {
  const m = re.exec(src);
  if (!m) throw new Error(`bench: cannot find ${what} in ${file}; the bench edits a copy of it there, so keep that shape or update bench/variants.ts`);
  return m;
}

/** The definition with `Labels: { "bench.run": value }` added to the image's config (no layer changes). */
export function definitionWithLabel(src: string, value: string, file = "the definition"): string {
  const m = expectOnce(src, /config:\s*\{/, "`config: {`", file);
  const at = m.index + m[0].length;
  return `${src.slice(0, at)} Labels: { "bench.run": ${JSON.stringify(value)} },${src.slice(at)}`;
}

/** The definition with `text(path, content)` as the first of the image's contents (one new small layer). */
export function definitionWithText(src: string, path: string, content: string, file = "the definition"): string {
  const imp = expectOnce(src, /import\s*\{([^}]*)\}\s*from\s*"(cairn(?:-build)?)"/, "`import { … } from \"cairn-build\"`", file);
  const names = imp[1].split(",").map((s) => s.trim()).filter(Boolean);
  let out = src;
  if (!names.includes("text")) {
    out = `${src.slice(0, imp.index)}import { ${[...names, "text"].join(", ")} } from "${imp[2]}"${src.slice(imp.index + imp[0].length)}`;
  }
  const c = expectOnce(out, /contents:\s*\[/, "`contents: [`", file);
  const at = c.index + c[0].length;
  return `${out.slice(0, at)}text(${JSON.stringify(path)}, ${JSON.stringify(content)}), ${out.slice(at)}`;
}

/** The Dockerfile with a final `LABEL bench.run=value` (only the config changes, as with cairn's label). */
export function dockerfileWithLabel(src: string, value: string): string {
  return `${src.replace(/\n*$/, "\n")}LABEL bench.run=${JSON.stringify(value)}\n`;
}

/** The Dockerfile with a final `COPY name path` (the file is written beside it). */
export function dockerfileWithCopy(src: string, name: string, path: string): string {
  return `${src.replace(/\n*$/, "\n")}COPY ${name} ${path}\n`;
}

/** An application source with a comment line appended: new bytes, same behaviour. */
export function sourceWithComment(src: string, value: string): string {
  return `${src.replace(/\n*$/, "\n")}# bench change ${value}\n`;
}
