// The edits the bench makes to copies of a definition or a Dockerfile to force each phase: a new
// label changes no layer (warm), a new small file changes one (application change). Plain string
// rewriting of the examples' source, so the bench measures the definition as a user writes it.

/** A marker that a definition's source must contain for the bench to edit it. */
function expectOnce(src: string, re: RegExp, what: string, file: string): RegExpExecArray {
  const m = re.exec(src);
  if (!m) throw new Error(`bench: cannot find ${what} in ${file}; the bench edits a copy of it there, so keep that shape or update bench/variants.ts`);
  return m;
}

/**
 * Where `re` first matches in the export `attr` (from `export const attr =` to the next export),
 * so that a file of several images gets the edit in the one the bench builds. An export that only
 * calls a function (redis's `redisImage(…)`) has no match of its own: then the file's only match is
 * used, and more than one is refused rather than guessed.
 */
function findFor(src: string, re: RegExp, what: string, file: string, attr?: string): RegExpExecArray {
  const start = attr ? new RegExp(`^export const ${attr.replace(/[$]/g, "\\$&")}\\b\\s*(?::[^=]*)?=`, "m").exec(src) : null;
  if (start) {
    const next = src.indexOf("\nexport ", start.index + 1);
    const region = src.slice(start.index, next < 0 ? src.length : next);
    const m = re.exec(region);
    if (m) {
      m.index += start.index;
      return m;
    }
  }
  const all = [...src.matchAll(new RegExp(re.source, `${re.flags}g`))];
  if (attr && all.length > 1) throw new Error(`bench: ${file} has ${all.length} places with ${what} and none in \`export const ${attr}\`; the bench cannot tell which one builds "${attr}" (update bench/variants.ts)`);
  return expectOnce(src, re, what, file);
}

/** The definition with `Labels: { "bench.run": value }` added to the image's config (no layer changes). */
export function definitionWithLabel(src: string, value: string, file = "the definition", attr?: string): string {
  const m = findFor(src, /config:\s*\{/, "`config: {`", file, attr);
  const at = m.index + m[0].length;
  return `${src.slice(0, at)} Labels: { "bench.run": ${JSON.stringify(value)} },${src.slice(at)}`;
}

/** The definition with `text(path, content)` as the first of the image's contents (one new small layer). */
export function definitionWithText(src: string, path: string, content: string, file = "the definition", attr?: string): string {
  const imp = expectOnce(src, /import\s*\{([^}]*)\}\s*from\s*"(cairn(?:-build)?)"/, "`import { … } from \"cairn-build\"`", file);
  const names = imp[1].split(",").map((s) => s.trim()).filter(Boolean);
  let out = src;
  if (!names.includes("text")) {
    out = `${src.slice(0, imp.index)}import { ${[...names, "text"].join(", ")} } from "${imp[2]}"${src.slice(imp.index + imp[0].length)}`;
  }
  const c = findFor(out, /contents:\s*\[/, "`contents: [`", file, attr);
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

/**
 * The Dockerfile with apt's lists and .debs bind-mounted into each `RUN … apt-get install` from the
 * image `from` (holding /lists and /cache): BuildKit's form of podman's `build -v`. The mounts are
 * rw so that apt can take its locks and write its caches; BuildKit throws those writes away.
 */
export function dockerfileWithAptMounts(src: string, from: string): string {
  const mounts = [`--mount=type=bind,from=${from},source=/lists,target=/var/lib/apt/lists,rw`, `--mount=type=bind,from=${from},source=/cache,target=/var/cache/apt,rw`];
  let n = 0;
  const out = src.replace(/^RUN (?=.*\bapt-get install\b)/gm, () => (n++, `RUN ${mounts.join(" ")} `));
  if (!n) throw new Error("bench: the Dockerfile has no `RUN … apt-get install` line to give apt's downloads to");
  return out;
}
