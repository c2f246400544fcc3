// A Python application's own dependencies, read from its pyproject.toml when the build asks (the
// definition only names the folder): each becomes Debian's python3-* package, marked with the
// version it asked for, and a lock file of an index beside it that nobody gave is said to be unread.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { homeOf, locationOf, withMarks } from "../define/call-site.js";
import { parsePyproject } from "../define/pyproject.js";
import { debianPythonName, marked } from "../define/python.js";
import type { ContentSpec, DebianPackageSpec, ImageSpec, PythonProjectSpec } from "../define/spec.js";
import { CairnError, isCairnError } from "../errors.js";

/** Files that pin Python packages from an index: one beside pyproject.toml that is not given as requirements is said to be unread. */
const INDEX_LOCKS = ["requirements.txt", "uv.lock", "pylock.toml", "poetry.lock", "Pipfile.lock"];

/** The spec with each python-project replaced by its Debian packages (a base it builds is expanded when it is built). */
export function expandPythonProjects(spec: ImageSpec, definitionDir: string, note: (text: string) => void): ImageSpec {
  const expand = (cs: readonly ContentSpec[]): ContentSpec[] | undefined => {
    let changed = false;
    const out = cs.flatMap((c): ContentSpec[] => {
      if (c.kind === "python-project") { changed = true; return projectPackages(c, definitionDir, note); }
      if (c.kind === "derivation") {
        const inputs = expand(c.inputs);
        if (inputs) { changed = true; return [withMarks(c, { ...c, inputs })]; }
      }
      return [c];
    });
    return changed ? out : undefined;
  };
  const contents = expand(spec.contents);
  return contents ? withMarks(spec, { ...spec, contents }) : spec;
}

function projectPackages(c: PythonProjectSpec, definitionDir: string, note: (text: string) => void): DebianPackageSpec[] {
  const dir = path.resolve(homeOf(c) ?? definitionDir, c.source);
  const shown = path.relative(process.cwd(), dir) || ".";
  const locks = INDEX_LOCKS.filter((f) => existsSync(path.join(dir, f)) && f !== c.requirements);
  if (locks.length) {
    const first = locks.find((f) => f !== "poetry.lock" && f !== "Pipfile.lock");
    note(`${c.at}: ${locks.map((f) => path.join(shown, f)).join(", ")} ${locks.length > 1 ? "are" : "is"} not read: the dependencies are Debian's python3-* packages, from pyproject.toml's [project].dependencies${first ? `; to install from an index, give requirements: "${path.join(shown, first)}"` : " (give requirements: a requirements.txt, uv.lock or pylock.toml to install from an index)"}`);
  }
  const file = path.join(dir, "pyproject.toml");
  if (!existsSync(file)) return [];
  const where = locationOf(c);
  try {
    const deps = parsePyproject(readFileSync(file, "utf8"), path.relative(process.cwd(), file) || file).dependencies;
    return deps.map((d, k) => marked({ kind: "debian-package", name: debianPythonName(d.trim().split(/[\s<>=!~;[(]/)[0]!, `${file} [project].dependencies[${k}]`), set: c.set }, d));
  } catch (e) {
    if (isCairnError(e) && where) throw new CairnError(e.code, `${where}: ${c.at}: ${e.message.replace(/^Invalid definition: /, "")}`, e.hint, { cause: e });
    throw e;
  }
}
