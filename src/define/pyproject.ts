// pyproject.toml's [project] table: the distribution's name and its PEP 508 dependencies.
import { parseToml } from "./toml.js";
import { invalid, isNonEmptyString, isStringArray } from "./validate.js";

/** The distribution a PEP 508 requirement names, and what of it cairn does not honour. */
export function requirementName(req: string): { name: string; ignored?: string } {
  const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)$/s.exec(req);
  if (!m) invalid(`requirement ${JSON.stringify(req)}`, "is not a PEP 508 requirement");
  const rest = m[2]!.trim();
  return rest ? { name: m[1]!, ignored: rest } : { name: m[1]! };
}

export interface Pyproject {
  name?: string;
  dependencies: string[];
}

/** `[project]`'s name and dependencies from a pyproject.toml. */
export function parsePyproject(text: string, file = "pyproject.toml"): Pyproject {
  const doc = parseToml(text, file);
  const project = (doc["project"] ?? {}) as Record<string, unknown>;
  const deps = project["dependencies"] ?? [];
  isStringArray(deps, `${file} [project].dependencies`);
  if (project["name"] !== undefined) isNonEmptyString(project["name"], `${file} [project].name`);
  return { ...(typeof project["name"] === "string" ? { name: project["name"] } : {}), dependencies: deps as string[] };
}

