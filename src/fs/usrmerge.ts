// Merged /usr: Debian 12 packages still ship /bin, /sbin, /lib*, which a merged system reaches
// through symlinks. cairn makes the links and moves package paths under usr/, so no layer ever
// holds a real /bin directory that would shadow the link.

/** The top-level directories that are links into usr/ on a merged-/usr system. */
export const MERGED_DIRS = ["bin", "lib", "lib32", "lib64", "libo32", "libx32", "sbin"] as const;

const merged = new Set<string>(MERGED_DIRS);

/** `bin/bash` → `usr/bin/bash`; `bin` itself → `usr/bin`; other paths unchanged. */
export function mergedUsrPath(path: string): string {
  const slash = path.indexOf("/");
  const top = slash < 0 ? path : path.slice(0, slash);
  return merged.has(top) ? `usr/${path}` : path;
}

/** The links an image needs for the merged directories it actually uses (`bin -> usr/bin`). */
export function mergedUsrLinks(paths: Iterable<string>): { path: string; target: string }[] {
  const used = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith("usr/")) continue;
    const top = p.slice(4).split("/")[0]!;
    if (merged.has(top)) used.add(top);
  }
  // bin, sbin and lib are always there on Debian; scripts expect /bin/sh's directory to exist.
  for (const d of ["bin", "sbin", "lib"]) used.add(d);
  return [...used].sort().map((d) => ({ path: d, target: `usr/${d}` }));
}
