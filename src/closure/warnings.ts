// Problems in Debian's own packages that do not stop a build, said once per missing thing rather
// than once per file: a Python image has a dozen modules with `#!/usr/bin/env python3` that no one
// runs as scripts, and twelve lines about them would hide the one that matters.

export interface ClosureWarning {
  /** Image path of the file, no leading "/". */
  file: string;
  /** The package that ships it. */
  pkg: string;
  /** What it needs: `library libfoo.so.1`, `interpreter /usr/bin/env`. */
  what: string;
  /** Whether something in the image runs the file (Cmd, Entrypoint, a wrapper, through `#!`). */
  run: boolean;
}

/** One line per file, for `Selection.warnings` (inspect commands show them all). */
export function warningLine(w: ClosureWarning): string {
  return `/${w.file} (${w.pkg}) needs ${w.what}, which none of the packages it depends on ships`;
}

/** One line per missing thing: how many files need it and which packages ship them. Sorted. */
export function groupWarnings(ws: ClosureWarning[]): string[] {
  const byWhat = new Map<string, ClosureWarning[]>();
  for (const w of ws) byWhat.set(w.what, [...(byWhat.get(w.what) ?? []), w]);
  return [...byWhat.keys()].sort().map((what) => {
    const list = byWhat.get(what)!;
    const files = [...new Set(list.map((w) => w.file))].sort();
    const pkgs = [...new Set(list.map((w) => w.pkg))].sort();
    const which = files.length === 1 ? `/${files[0]} (${pkgs[0]})` : `${files.length} files in ${pkgs.join(", ")} (/${files[0]}, …)`;
    return `${which} ${files.length === 1 ? "needs" : "need"} ${what}, which is not in the image`;
  });
}
