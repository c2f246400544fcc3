// What changed between two versions of a package, from its Debian changelog
// (usr/share/doc/NAME/changelog.Debian.gz in the newer .deb): the entries after the old version up
// to the new one, and the CVE ids they name — what a reviewer of a re-lock wants to read.
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { FILES_DIR, type UnpackedPackage } from "./deb.js";
import { compareVersions } from "./version.js";

export interface ChangelogEntry {
  version: string;
  /** The entry's lines between its heading and its trailer, trimmed of the common indent. */
  changes: string[];
  /** The trailer's date, as written. */
  date?: string;
}

/** Every entry of a changelog's text, newest first, as the file has them. */
export function parseChangelog(text: string): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  let current: ChangelogEntry | undefined;
  for (const line of text.split("\n")) {
    const head = /^\S+ \(([^()\s]+)\) [^;]*;/.exec(line);
    if (head) {
      current = { version: head[1]!, changes: [] };
      entries.push(current);
      continue;
    }
    if (!current) continue;
    const trailer = /^ -- .*?>\s+(.+)$/.exec(line);
    if (trailer) {
      current.date = trailer[1]!.trim();
      current = undefined;
      continue;
    }
    if (line.trim()) current.changes.push(line.replace(/^\s{2}/, "").trimEnd());
  }
  return entries;
}

/** The entries newer than `from`, up to and including `to`. */
export function entriesBetween(entries: readonly ChangelogEntry[], from: string, to: string): ChangelogEntry[] {
  return entries.filter((e) => {
    try {
      return compareVersions(e.version, from) > 0 && compareVersions(e.version, to) <= 0;
    } catch {
      return false; // a heading whose version does not parse says nothing about these two
    }
  });
}

/** The CVE ids the entries name, sorted, each once. */
export function cveIds(entries: readonly ChangelogEntry[]): string[] {
  const ids = new Set<string>();
  for (const e of entries) for (const l of e.changes) for (const m of l.matchAll(/CVE-\d{4}-\d{4,7}/g)) ids.add(m[0]);
  return [...ids].sort();
}

/**
 * A package's changelog from its unpacked files; when its doc folder is a link to a sibling's (as
 * dh_installdocs --link-doc makes), from the sibling among `others`. Undefined when none is there.
 */
export async function readChangelog(pkg: UnpackedPackage, others: readonly UnpackedPackage[]): Promise<ChangelogEntry[] | undefined> {
  const doc = `usr/share/doc/${pkg.locked.name}`;
  const link = pkg.manifest.entries.find((e) => e.path === doc && e.type === "symlink");
  const owner = link?.linkname ? others.find((o) => o.locked.name === path.posix.basename(link.linkname!)) ?? pkg : pkg;
  for (const name of ["changelog.Debian.gz", "changelog.gz"]) {
    const entry = owner.manifest.entries.find((e) => e.path === `usr/share/doc/${owner.locked.name}/${name}` && e.type === "file");
    if (!entry) continue;
    try {
      return parseChangelog(gunzipSync(await readFile(path.join(owner.dir, FILES_DIR, entry.path))).toString("utf8"));
    } catch {
      return undefined; // a changelog that does not read is no reason to fail a re-lock
    }
  }
  return undefined;
}
