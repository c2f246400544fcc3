// The host's apt configuration: which archives to use and which keys sign them.
// Parsing is pure (parseListFile, parseSourcesFile, selectSources); readAptSources does the disk.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import { loadKeyring, loadKeyrings, type Key } from "./release.js";

export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
  /** A keyring path (or several, space separated), or an inline armored key block. */
  signedBy?: string;
  architectures?: string[];
  /** "file:line", for messages. */
  origin: string;
  /** Suites taken from the host's mirror for a release it does not list: skipped when the mirror lacks them. */
  optionalSuites?: string[];
}

/** apt's own fallback when a source has no Signed-By. */
export const DEBIAN_ARCHIVE_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** One-line format (`sources.list`, `*.list`): `deb [opt=val ...] URI SUITE [COMPONENT...]`. */
export function parseListFile(text: string, name: string): AptSource[] {
  const out: AptSource[] = [];
  text.split("\n").forEach((raw, i) => {
    const origin = `${name}:${i + 1}`;
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const m = /^(\S+)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(line)!;
    const [, type, optText, rest] = m;
    if (type === "deb-src") return;
    if (type !== "deb") throw badSources(origin, `unknown type "${type}" (expected deb or deb-src)`);
    const words = rest.split(/\s+/).filter(Boolean);
    if (words.length < 2) throw badSources(origin, "a deb line needs at least a URI and a suite");
    const [uri, suite, ...components] = words;
    if (suite.endsWith("/")) return; // flat repositories are not supported; apt users rarely have them for Debian
    if (components.length === 0) throw badSources(origin, `suite "${suite}" has no components (e.g. main)`);
    const src: AptSource = { uris: [uri], suites: [suite], components, origin };
    for (const opt of (optText ?? "").split(/\s+/).filter(Boolean)) {
      const eq = opt.indexOf("=");
      if (eq < 0) throw badSources(origin, `option "${opt}" has no value`);
      const key = opt.slice(0, eq).toLowerCase();
      const value = opt.slice(eq + 1);
      if (key === "signed-by") src.signedBy = value.split(",").join(" ");
      else if (key === "arch") src.architectures = value.split(",").filter(Boolean);
    }
    out.push(src);
  });
  return out;
}

/** deb822 format (`*.sources`): paragraphs of Types/URIs/Suites/Components/Signed-By/... */
export function parseSourcesFile(text: string, name: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of deb822Paragraphs(text, name)) {
    const origin = `${name}:${para.line}`;
    const f = para.fields;
    if ((f["enabled"] ?? "yes").trim().toLowerCase() === "no") continue;
    const types = words(f["types"]);
    if (types.length === 0) throw badSources(origin, "the paragraph has no Types field");
    if (!types.includes("deb")) continue;
    const uris = words(f["uris"]);
    const suites = words(f["suites"]);
    const components = words(f["components"]);
    if (uris.length === 0) throw badSources(origin, "the paragraph has no URIs field");
    if (suites.length === 0) throw badSources(origin, "the paragraph has no Suites field");
    if (suites.some((s) => s.endsWith("/"))) continue; // flat repository: not supported
    if (components.length === 0) throw badSources(origin, "the paragraph has no Components field");
    const src: AptSource = { uris, suites, components, origin };
    const signedBy = f["signed-by"];
    if (signedBy !== undefined && signedBy.trim()) src.signedBy = signedBy.includes("-----BEGIN") ? signedBy.trim() : words(signedBy).join(" ");
    const arch = words(f["architectures"]);
    if (arch.length) src.architectures = arch;
    out.push(src);
  }
  return out;
}

interface RawParagraph {
  line: number;
  /** lower-cased field name → value; continuation lines joined with "\n", " ." lines made empty. */
  fields: Record<string, string>;
}

// apt's deb822 reader: `#` lines are comments anywhere (they do not end a paragraph); a
// continuation line is one starting with a space or tab; a lone "." stands for an empty line
// (so armored keys can be written inline).
function deb822Paragraphs(text: string, name: string): RawParagraph[] {
  const paras: RawParagraph[] = [];
  let cur: RawParagraph | undefined;
  let last: string | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("#")) return;
    if (line.trim() === "") {
      cur = undefined;
      last = undefined;
      return;
    }
    if (/^[ \t]/.test(line)) {
      if (!cur || last === undefined) throw badSources(`${name}:${i + 1}`, "a continuation line comes before any field");
      const v = line.trim() === "." ? "" : line.trim();
      cur.fields[last] = cur.fields[last] ? `${cur.fields[last]}\n${v}` : v;
      return;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw badSources(`${name}:${i + 1}`, `"${line}" is not a "Field: value" line`);
    if (!cur) {
      cur = { line: i + 1, fields: {} };
      paras.push(cur);
    }
    last = line.slice(0, colon).trim().toLowerCase();
    cur.fields[last] = line.slice(colon + 1).trim();
  });
  return paras;
}

function words(v: string | undefined): string[] {
  return (v ?? "").split(/\s+/).filter(Boolean);
}

function badSources(where: string, what: string): CairnError {
  return new CairnError(
    ErrorCode.BAD_SOURCES,
    `Cannot read the apt source at ${where}: ${what}.`,
    "Fix or disable that entry (see sources.list(5)), or give cairn the archive explicitly in the definition.",
  );
}

/** Every `deb` source the host's apt uses, in apt's order: sources.list, then sources.list.d sorted. */
export async function readAptSources(etcApt = "/etc/apt"): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const main = path.join(etcApt, "sources.list");
  const text = await readIfExists(main);
  if (text !== undefined) out.push(...parseListFile(text, main));
  const dir = path.join(etcApt, "sources.list.d");
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  for (const n of names) {
    // apt ignores any other extension (".disabled", ".save", ".dpkg-old", ...), and so do we.
    const isList = n.endsWith(".list");
    if (!isList && !n.endsWith(".sources")) continue;
    const file = path.join(dir, n);
    const body = await readIfExists(file);
    if (body === undefined) continue;
    out.push(...(isList ? parseListFile(body, file) : parseSourcesFile(body, file)));
  }
  return out;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return undefined;
    throw e;
  }
}

/**
 * Keep what belongs to `suite`: the suite itself and its companions (`bookworm-updates`,
 * `bookworm-security`). Without a suite, every source. Nothing left is an error that lists what
 * the host has.
 */
export function selectSources(all: AptSource[], suite?: string): AptSource[] {
  const picked = suite === undefined
    ? all
    : all
        .map((s) => ({ ...s, suites: s.suites.filter((x) => x === suite || x.startsWith(`${suite}-`)) }))
        .filter((s) => s.suites.length > 0);
  if (picked.length > 0) return picked;
  const derived = suite === undefined ? [] : otherRelease(all, suite);
  if (derived.length > 0) return derived;
  const have = [...new Set(all.flatMap((s) => s.suites))].sort();
  throw new CairnError(
    ErrorCode.NO_SOURCES,
    suite === undefined
      ? "The host's apt configuration has no enabled `deb` sources."
      : `No apt source on this host serves suite "${suite}"; the host has ${have.length ? have.map((s) => `"${s}"`).join(", ") : "no enabled deb sources"}.`,
    "Ask for one of the host's suites, or give the archive explicitly in the definition (its URI, suite and components), e.g. when building for another Debian release than the host's.",
  );
}

/**
 * A release the host does not list, from the host's own mirror: each source that serves the host's
 * release (`bookworm`, `bookworm-updates`, `bookworm-security`) serves `suite` and its companions
 * the same way — same URIs, components and keys — as apt's sources would after an upgrade. The
 * companions are optional: `sid` has none, and a mirror may lack one.
 */
function otherRelease(all: AptSource[], suite: string): AptSource[] {
  if (suite.includes("-") || !/^[a-z][a-z0-9]*$/.test(suite)) return [];
  const out: AptSource[] = [];
  for (const s of all) {
    const suites: string[] = [];
    for (const x of s.suites) {
      const m = /^([a-z][a-z0-9]*)(-updates|-security)?$/.exec(x);
      // Only the suites of a Debian release and its two companions; a vendor's suite is no guide. A
      // release is known by its companions on the host, or by being served from a `…/debian` archive.
      const release = m?.[1];
      const isRelease = (r: string) => all.some((a) => a.suites.includes(`${r}-updates`) || a.suites.includes(`${r}-security`) || (a.suites.includes(r) && a.uris.some((u) => /\/debian\/?$/.test(u))));
      if (!release || !all.some((a) => a.suites.includes(release)) || !isRelease(release)) continue;
      const mapped = `${suite}${m[2] ?? ""}`;
      if (!suites.includes(mapped)) suites.push(mapped);
    }
    if (suites.length) out.push({ ...s, suites, optionalSuites: suites.filter((x) => x !== suite), origin: `${s.origin} (for ${suite})` });
  }
  // The release itself must come from somewhere: companions alone are not a release.
  return out.some((s) => s.suites.includes(suite)) ? out : [];
}

/**
 * Keyrings for a source without Signed-By, as apt would use them: the Debian archive keyring plus
 * every `.gpg` / `.asc` file in trusted.gpg.d (sorted, so the result does not depend on readdir).
 */
export async function defaultKeyringPaths(etcApt = "/etc/apt", archiveKeyring = DEBIAN_ARCHIVE_KEYRING): Promise<string[]> {
  const out: string[] = [];
  try {
    await fs.access(archiveKeyring);
    out.push(archiveKeyring);
  } catch {
    // absent: trusted.gpg.d may still hold the keys
  }
  const dir = path.join(etcApt, "trusted.gpg.d");
  try {
    for (const n of (await fs.readdir(dir)).sort()) if (n.endsWith(".gpg") || n.endsWith(".asc")) out.push(path.join(dir, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return out;
}

/** The keys that may sign a source's Release: its Signed-By, else apt's defaults. */
export async function keysForSource(source: AptSource, etcApt = "/etc/apt", archiveKeyring = DEBIAN_ARCHIVE_KEYRING): Promise<Key[]> {
  if (source.signedBy) return loadKeyring(source.signedBy);
  const paths = await defaultKeyringPaths(etcApt, archiveKeyring);
  if (paths.length === 0) {
    throw new CairnError(
      ErrorCode.KEY_NOT_FOUND,
      `The apt source at ${source.origin} has no Signed-By, and there is no default keyring (${archiveKeyring}, ${path.join(etcApt, "trusted.gpg.d")}).`,
      "Install debian-archive-keyring (`apt-get install debian-archive-keyring`), or give the source a Signed-By keyring.",
    );
  }
  return loadKeyrings(paths);
}
