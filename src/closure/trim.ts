// What a container does not need from a package: documentation, manuals, translations and
// packaging metadata. Copyright files stay (licences travel with the binaries), and so do the
// locales asked for. Paths are image paths after the /usr merge.
import type { TrimOptions } from "../define/spec.js";

export type { TrimOptions };


const GCONV_MODULE = /^usr\/lib\/[^/]+\/gconv\/[^/]+\.so$/;

/** Whether `path` (an image path, no leading "/") is left out under `o`. Directories are kept. */
export function isTrimmed(path: string, o: TrimOptions): boolean {
  if (o.charsets && GCONV_MODULE.test(path)) return true;
  if (!path.startsWith("usr/share/")) return false;
  const rest = path.slice(10);
  const slash = rest.indexOf("/");
  if (slash < 0) return false;
  const top = rest.slice(0, slash);
  switch (top) {
    case "doc": {
      if (!o.docs) return false;
      const file = rest.slice(slash + 1);
      // usr/share/doc/<pkg>/copyright stays; so does the package's doc directory itself.
      return !(file.endsWith("/copyright") && file.split("/").length === 2);
    }
    case "doc-base":
      return o.docs;
    case "man":
      return o.man;
    case "info":
      return o.info;
    case "lintian":
    case "bug":
      return o.packaging;
    case "locale": {
      if (o.locales === "all") return false;
      const lang = rest.slice(slash + 1).split("/")[0]!;
      // Files directly in /usr/share/locale (locale.alias) are not catalogs.
      if (!rest.slice(slash + 1).includes("/")) return false;
      return !o.locales.some((l) => lang === l || lang.startsWith(`${l}_`) || lang.startsWith(`${l}.`) || lang.startsWith(`${l}@`));
    }
    default:
      return false;
  }
}

/** The entries that stay, with directories emptied by trimming dropped too. */
export function trimEntries<E extends { path: string; type: string }>(entries: E[], o: TrimOptions): E[] {
  const kept = entries.filter((e) => e.type === "dir" || !isTrimmed(e.path, o));
  // A trimmed-away directory (e.g. usr/share/man/man1) only stays if something is left in it.
  const used = new Set<string>();
  for (const e of kept) {
    if (e.type === "dir") continue;
    for (let i = e.path.lastIndexOf("/"); i > 0; i = e.path.lastIndexOf("/", i - 1)) used.add(e.path.slice(0, i));
  }
  return kept.filter((e) => e.type !== "dir" || used.has(e.path) || !insideTrimmedArea(e.path, o));
}

/** Whether files below directory `dir` would be trimmed (so the directory is only kept if non-empty). */
function insideTrimmedArea(dir: string, o: TrimOptions): boolean {
  return isTrimmed(`${dir}/_/_`, o);
}
