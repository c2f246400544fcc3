// Python requirements as the files people keep them in: requirements.txt (pip's format),
// pyproject.toml's [project].dependencies, uv.lock and pylock.toml (PEP 751). Each is read into
// requirement lines pip takes, and whether they already pin every file by hash (then pip installs
// them as they are) or must be resolved against the index first (then cairn.lock pins the result).
// Pure: the caller reads the file.
import { parsePyproject } from "./pyproject.js";
import { parseToml } from "./toml.js";
import { invalid } from "./validate.js";

export type RequirementsFormat = "requirements" | "pyproject" | "uv.lock" | "pylock";

export interface Requirement {
  /** The distribution, as written. */
  name: string;
  /** The line pip reads: name, specifier and marker, without hashes. */
  line: string;
  /** `sha256:hex`, as `--hash=` gives them. */
  hashes: string[];
}

export interface Requirements {
  /** pip options the file carries (`--index-url …`, `--extra-index-url …`, `--find-links …`), kept for pip. */
  options: string[];
  requirements: Requirement[];
  /** Every requirement pinned with `==` and at least one hash, dependencies included: installed as given. */
  pinned: boolean;
}

/** The format a file's name says it has: `uv.lock`, `pylock.toml` / `pylock.NAME.toml`, `pyproject.toml`, else pip's. */
export function formatOf(file: string): RequirementsFormat {
  const base = file.split("/").pop()!;
  if (base === "uv.lock") return "uv.lock";
  if (base === "pyproject.toml") return "pyproject";
  if (/^pylock(\.[^.]+)?\.toml$/.test(base)) return "pylock";
  return "requirements";
}

/** PEP 503's normal form of a name: lowercase, runs of `-`, `_`, `.` as one `-`. */
export function normalName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export function parseRequirements(text: string, format: RequirementsFormat, file: string): Requirements {
  switch (format) {
    case "requirements": return parseRequirementsTxt(text, file);
    case "pyproject": {
      const reqs = parsePyproject(text, file).dependencies.map((d) => requirement(d, [], file));
      return { options: [], requirements: reqs, pinned: false };
    }
    case "uv.lock": return parseUvLock(text, file);
    case "pylock": return parsePylock(text, file);
  }
}

/** Options pip honours inside a requirements file that say where packages come from. */
const SOURCE_OPTIONS = ["--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--trusted-host", "--no-index", "--prefer-binary", "--only-binary", "--no-binary", "--pre"];

function parseRequirementsTxt(text: string, file: string): Requirements {
  const options: string[] = [];
  const requirements: Requirement[] = [];
  // Backslash-newline joins lines; the number is the logical line's first physical line.
  const lines: { n: number; text: string }[] = [];
  let pending: { n: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, k) => {
    const cur = pending ? { n: pending.n, text: pending.text + raw } : { n: k + 1, text: raw };
    if (/\\$/.test(cur.text)) pending = { n: cur.n, text: cur.text.slice(0, -1) };
    else { pending = undefined; lines.push(cur); }
  });
  if (pending) lines.push(pending);
  for (const { n, text: raw } of lines) {
    // A comment starts a line or follows whitespace (a URL's #fragment is not one).
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const at = `${file} line ${n}`;
    if (line.startsWith("-")) {
      const opt = line.split(/[\s=]/, 1)[0]!;
      if (SOURCE_OPTIONS.includes(opt)) { options.push(line); continue; }
      if (opt === "-r" || opt === "--requirement" || opt === "-c" || opt === "--constraint") {
        invalid(at, `includes another file (${line}); cairn reads one file — put its lines in this one, or give that file as requirements`);
      }
      if (opt === "-e" || opt === "--editable") invalid(at, `is an editable install (${line}), which an image cannot hold; build the project with py.package({ src }) instead`);
      invalid(at, `has pip option ${opt}, which cairn does not pass on; remove it`);
    }
    const hashes: string[] = [];
    const req = line.replace(/\s--hash[=\s]\s*(\S+)/g, (_, h: string) => {
      if (!/^sha256:[0-9a-f]{64}$/.test(h)) invalid(at, `has --hash=${h}; cairn checks sha256 hashes: --hash=sha256:<64 hex digits>`);
      hashes.push(h);
      return "";
    }).trim();
    if (/\s--?[A-Za-z]/.test(req)) invalid(at, `has an option after the requirement that cairn does not pass on (${req}); only --hash is taken`);
    requirements.push(requirement(req, hashes, at));
  }
  const pinned = requirements.length > 0 && requirements.every((r) => r.hashes.length > 0 && /===?\s*[^\s,;*]+\s*($|;)/.test(r.line.slice(r.name.length)));
  return { options, requirements, pinned };
}

function requirement(line: string, hashes: string[], at: string): Requirement {
  const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(line);
  if (!m) invalid(at, `is not a requirement (${JSON.stringify(line)}): a name, then a version specifier or marker, like "flask>=3" or "pkg==1.0 --hash=sha256:…"`);
  if (/^\s*\S+\s*@/.test(line) || /:\/\//.test(line)) invalid(at, `names a URL (${line.trim()}), not a package of the index; fetch it with fetchurl() and build it with py.package, or publish it to your index`);
  return { name: m[1]!, line: line.trim(), hashes };
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => !!v && typeof v === "object" && !Array.isArray(v);
const tables = (v: unknown): Table[] => (Array.isArray(v) ? v.filter(isTable) : []);
const sha256Of = (v: unknown): string | undefined => {
  const h = typeof v === "string" ? /^sha256:([0-9a-f]{64})$/.exec(v)?.[1] : undefined;
  return h ? `sha256:${h}` : undefined;
};

/**
 * uv.lock: the packages the project needs, from its own entry (`source = { editable | virtual }`)
 * down its dependencies; an edge's marker goes on the line (ANDed down the path, ORed across
 * paths), so pip leaves out what this platform does not need. Dev groups are not followed.
 */
function parseUvLock(text: string, file: string): Requirements {
  const doc = parseToml(text, file);
  const packages = tables(doc["package"]);
  const byName = new Map(packages.map((p) => [normalName(String(p["name"])), p]));
  const own = packages.filter((p) => isTable(p["source"]) && ("editable" in p["source"] || "virtual" in p["source"]));
  if (!own.length) invalid(`${file}`, "has no package for the project itself (source = { editable = \".\" } or { virtual = \".\" }); make it with `uv lock`");
  const markers = new Map<string, Set<string>>();
  const visit = (p: Table, via: string) => {
    for (const dep of tables(p["dependencies"])) {
      const name = normalName(String(dep["name"]));
      const edge = typeof dep["marker"] === "string" ? `(${dep["marker"]})` : "";
      const m = [via, edge].filter(Boolean).join(" and ");
      const seen = markers.get(name);
      if (seen && (seen.has(m) || seen.has(""))) continue;
      markers.set(name, new Set([...(seen ?? []), m]));
      const next = byName.get(name);
      if (!next) invalid(file, `lists ${name} as a dependency of ${String(p["name"])} but has no [[package]] for it; make it again with \`uv lock\``);
      visit(next, m);
    }
  };
  for (const p of own) visit(p, "");
  const requirements: Requirement[] = [];
  for (const [name, ms] of [...markers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = byName.get(name)!;
    const source = p["source"];
    if (!isTable(source) || typeof source["registry"] !== "string") {
      invalid(file, `has ${name} from ${JSON.stringify(source)}, not from an index; cairn installs only an index's packages (build a local one with py.package)`);
    }
    const hashes = [...tables(p["wheels"]), ...(isTable(p["sdist"]) ? [p["sdist"]] : [])].map((f) => sha256Of(f["hash"])).filter((h): h is string => !!h);
    if (!hashes.length) invalid(file, `has no sha256 for ${name} ${String(p["version"])}`);
    const marker = ms.has("") ? "" : [...ms].join(" or ");
    requirements.push({ name: String(p["name"]), line: `${String(p["name"])}==${String(p["version"])}${marker ? ` ; ${marker}` : ""}`, hashes });
  }
  return { options: [], requirements, pinned: true };
}

/** pylock.toml (PEP 751): every package with its own marker and its files' hashes. */
function parsePylock(text: string, file: string): Requirements {
  const doc = parseToml(text, file);
  if (typeof doc["lock-version"] !== "string" || !doc["lock-version"].startsWith("1.")) invalid(`${file} lock-version`, `is ${JSON.stringify(doc["lock-version"])}; cairn reads pylock.toml version 1.x`);
  const requirements: Requirement[] = [];
  for (const p of tables(doc["packages"])) {
    const name = String(p["name"]);
    for (const k of ["vcs", "directory", "archive"]) if (k in p) invalid(file, `has ${name} from a ${k}, not an index; cairn installs only an index's packages (build a local one with py.package)`);
    if (typeof p["version"] !== "string") invalid(file, `has ${name} without a version`);
    const hashOf = (f: Table) => (isTable(f["hashes"]) && typeof f["hashes"]["sha256"] === "string" && /^[0-9a-f]{64}$/.test(f["hashes"]["sha256"]) ? `sha256:${f["hashes"]["sha256"]}` : undefined);
    const hashes = [...tables(p["wheels"]), ...(isTable(p["sdist"]) ? [p["sdist"]] : [])].map(hashOf).filter((h): h is string => !!h);
    if (!hashes.length) invalid(file, `has no sha256 for ${name} ${String(p["version"])}`);
    const marker = typeof p["marker"] === "string" ? ` ; ${p["marker"]}` : "";
    requirements.push({ name, line: `${name}==${p["version"]}${marker}`, hashes });
  }
  if (!requirements.length) invalid(file, "lists no packages");
  return { options: [], requirements, pinned: true };
}

/** The file pip reads: options first, then a requirement a line with its hashes. */
export function requirementsText(r: Pick<Requirements, "options" | "requirements">): string {
  return [...r.options, ...r.requirements.map((q) => [q.line, ...q.hashes.map((h) => `--hash=${h}`)].join(" "))].map((l) => `${l}\n`).join("");
}

/** What pip's `--report` says it would install, as pinned requirements: one file's hash each. */
export function pinnedFromReport(report: unknown, what: string): Requirement[] {
  const items = isTable(report) && Array.isArray(report["install"]) ? report["install"] : undefined;
  if (!items) throw new Error(`${what}: pip's report has no "install" list`);
  return items.filter(isTable).map((item) => {
    const meta = isTable(item["metadata"]) ? item["metadata"] : {};
    const info = isTable(item["download_info"]) ? item["download_info"] : {};
    const name = String(meta["name"]);
    const version = String(meta["version"]);
    const archive = isTable(info["archive_info"]) ? info["archive_info"] : undefined;
    if (!archive) throw new Error(`${what}: ${name} ${version} comes from ${String(info["url"])}, not from an index's file; cairn pins only an index's files`);
    const hashes = isTable(archive["hashes"]) ? archive["hashes"] : {};
    const hex = typeof hashes["sha256"] === "string" ? hashes["sha256"] : typeof archive["hash"] === "string" ? /^sha256=([0-9a-f]{64})$/.exec(archive["hash"])?.[1] : undefined;
    if (!hex) throw new Error(`${what}: the index gave no sha256 for ${name} ${version} (${String(info["url"])}); cairn pins a file by it — use an index that publishes hashes (PEP 503's #sha256= links)`);
    return { name, line: `${name}==${version}`, hashes: [`sha256:${hex}`] };
  }).sort((a, b) => (normalName(a.name) < normalName(b.name) ? -1 : 1));
}
