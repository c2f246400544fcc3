// `cairn lock` and `cairn outdated`: every image of a definition resolved anew (all packages, or
// the named ones and what they need), and what that changes said for people — per image, the
// packages added, removed and changed with both versions, and for each changed one the entries of
// its Debian changelog between the two, with the CVE ids they name. `outdated` writes nothing and
// exits 1 when something would change, for CI; `--json` is for bots.
import * as path from "node:path";
import { environmentsOf, resolveEnvironments } from "../build/environment.js";
import { packageRequest, resolveImage } from "../build/resolve.js";
import { lockNameFor, lockSuffixFor, parsePlatformFlag, specFor } from "../build/platforms.js";
import { architecturesOf } from "../define/platform.js";
import type { BuildContext } from "../build/context.js";
import { cveIds, entriesBetween, readChangelog, type ChangelogEntry } from "../debian/changelog.js";
import { fetchPackages, unpackPackage } from "../debian/fetch.js";
import { lockOf, pinsFrom, readLock, writeLock } from "../debian/lockfile.js";
import { expandPythonProjects } from "../build/python-project.js";
import { lockChanges, type LockChanges, type Resolution } from "../debian/resolution.js";
import type { DebianSetSpec, ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import { loadDefinition, pickImage } from "../load/definition.js";
import { derivationsOf } from "../steps/derivation.js";
import { lockPathFor, makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface LockCommandOptions {
  file: string;
  attr?: string;
  /** Update only these packages (and what they need); default: everything. */
  update?: string[];
  /** Print the changes as JSON on stdout. */
  json?: boolean;
  /** Leave out the changelog entries (they need the new .debs). */
  noChangelog?: boolean;
  global: GlobalOptions;
}

export interface PackageChange {
  name: string;
  from: string;
  to: string;
  /** The changelog's entries after `from` up to `to`, newest first; absent when the package has no changelog. */
  changelog?: ChangelogEntry[];
  cves: string[];
}

export interface ImageChanges {
  /** The image's name in cairn.lock. */
  image: string;
  added: LockChanges["added"];
  removed: LockChanges["removed"];
  changed: PackageChange[];
}

/** Resolves anew and writes cairn.lock; prints what changed. */
export async function lockCommand(o: LockCommandOptions, ctx = makeContext(o.global)): Promise<ImageChanges[]> {
  const r = await relock(o, ctx);
  print(r.changes, o.json);
  const written = await writeLock(r.lockPath, lockOf(r.lock, r.resolutions));
  ctx.reporter.info(written ? `cairn: wrote ${r.lockPath}` : `cairn: ${r.lockPath} is up to date`);
  return r.changes;
}

/** What `cairn lock` would change, printed; nothing written. Exit code 1 when something is outdated. */
export async function outdatedCommand(o: LockCommandOptions, ctx = makeContext(o.global)): Promise<number> {
  const r = await relock(o, ctx);
  print(r.changes, o.json);
  if (!o.json) ctx.reporter.info(r.changes.length ? `cairn: ${r.changes.length} image${r.changes.length > 1 ? "s" : ""} of ${r.lockPath} would change; \`cairn lock${o.update?.length ? ` --update ${o.update.join(" ")}` : ""}\` takes them` : `cairn: ${r.lockPath} is up to date`);
  return r.changes.length ? 1 : 0;
}

async function relock(o: LockCommandOptions, ctx: BuildContext) {
  const def = await loadDefinition(o.file, { store: ctx.store, typecheck: o.global.typecheck, reporter: ctx.reporter });
  const names = o.attr ? [pickImage(def, o.attr).name] : [...def.images.keys()];
  const lockPath = lockPathFor(def.file);
  const lock = await readLock(lockPath);
  const pins = pinsFrom(lock);
  const update = o.update?.length ? new Set(o.update) : true;
  const options = { update, lockLabel: lockPath, definitionDir: path.dirname(def.file) };
  const resolutions = new Map<string, Resolution>();
  const setsOf = new Map<string, DebianSetSpec[]>();
  const lockOne = async (given: ImageSpec, name: string, lockSuffix = "") => {
    const spec = expandPythonProjects(given, path.dirname(def.file), (t) => ctx.reporter.info(`cairn: note: ${t}`));
    resolutions.set(name, await resolveImage(spec, name, pins.get(name), ctx, options));
    setsOf.set(name, packageRequest(spec).sets);
    // The packages its build steps and derivations run with are locked beside it, and a base it builds.
    const envs = await resolveEnvironments(spec, name, derivationsOf(spec.contents), pins, ctx, options, lockSuffix);
    for (const e of environmentsOf(envs)) {
      resolutions.set(e.lockName, e.resolution);
      setsOf.set(e.lockName, packageRequest(e.spec).sets);
    }
    if (spec.fromImage?.kind === "image") await lockOne(spec.fromImage, `${name}^base`, lockSuffix);
  };
  // Each platform's closure is locked apart, under the name its build uses.
  const asked = o.global.platform ? parsePlatformFlag(o.global.platform) : undefined;
  for (const name of names) {
    const spec = def.images.get(name)!;
    const archs = asked ?? architecturesOf(spec);
    for (const arch of archs) {
      await lockOne(specFor(spec, arch, archs), lockNameFor(name, spec, arch), lockSuffixFor(spec, arch));
    }
  }
  if (update instanceof Set) {
    const all = [...resolutions.values(), ...pins.values()].flatMap((r) => [...r.packages.values()].map((p) => p.name));
    const unknown = [...update].filter((n) => !all.includes(n));
    if (unknown.length) {
      throw new CairnError(ErrorCode.USAGE, `cairn lock --update: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} in none of the images of ${lockPath}.`, "Name packages the images have (`cairn graph` lists them), or leave out --update to take the newest of everything.");
    }
  }
  const changes: ImageChanges[] = [];
  for (const [image, r] of resolutions) {
    const c = lockChanges(pins.get(image), r);
    if (!c.added.length && !c.removed.length && !c.changed.length) continue;
    const changed = o.noChangelog ? c.changed.map((p) => ({ ...p, cves: [] })) : await withChangelogs(c.changed, r, setsOf.get(image) ?? [], ctx);
    changes.push({ image, added: c.added, removed: c.removed, changed });
  }
  return { lockPath, lock, resolutions, changes };
}

/** Each changed package's changelog entries, read from its new .deb (fetched into the cache, as the next build needs it). */
async function withChangelogs(changed: LockChanges["changed"], r: Resolution, sets: DebianSetSpec[], ctx: BuildContext): Promise<PackageChange[]> {
  const byName = new Map([...r.packages.values()].map((p) => [p.name, p]));
  const wanted = changed.map((c) => byName.get(c.name)!).filter(Boolean);
  if (!wanted.length) return [];
  await fetchPackages(wanted, sets, ctx, r.archiveDates);
  const unpacked = await Promise.all(wanted.map((p) => unpackPackage(p, ctx)));
  // A doc folder linked to a sibling's (redis-server → redis-tools) needs the sibling too.
  const siblings = [...r.packages.values()].filter((p) => unpacked.some((u) => u.manifest.entries.some((e) => e.path === `usr/share/doc/${u.locked.name}` && e.type === "symlink" && path.posix.basename(e.linkname ?? "") === p.name)));
  if (siblings.length) await fetchPackages(siblings, sets, ctx, r.archiveDates);
  const others = [...unpacked, ...(await Promise.all(siblings.map((p) => unpackPackage(p, ctx))))];
  const out: PackageChange[] = [];
  for (const [i, c] of changed.entries()) {
    const entries = unpacked[i] ? await readChangelog(unpacked[i]!, others) : undefined;
    const between = entries ? entriesBetween(entries, c.from, c.to) : undefined;
    out.push({ ...c, ...(between ? { changelog: between } : {}), cves: between ? cveIds(between) : [] });
  }
  return out;
}

function print(changes: ImageChanges[], json?: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ images: changes }, null, 2) + "\n");
    return;
  }
  for (const c of changes) process.stdout.write(formatChanges(c));
}

const MAX_LINES = 12;

/** One image's changes for people: `~` changed (with the changelog between), `+` added, `-` removed. */
export function formatChanges(c: ImageChanges): string {
  const lines = [`${c.image}:`];
  for (const p of c.changed) {
    lines.push(`  ~ ${p.name} ${p.from} → ${p.to}${p.cves.length ? `  (fixes ${p.cves.join(", ")})` : ""}`);
    if (!p.changelog) continue;
    let shown = 0;
    for (const e of p.changelog) {
      if (shown >= MAX_LINES) break;
      lines.push(`      ${e.version}${e.date ? ` (${e.date})` : ""}`);
      for (const l of e.changes) {
        if (shown++ >= MAX_LINES) break;
        lines.push(`        ${l}`);
      }
    }
    const total = p.changelog.reduce((n, e) => n + e.changes.length, 0);
    if (total > MAX_LINES) lines.push(`        … ${total - MAX_LINES} more lines (usr/share/doc/${p.name}/changelog.Debian.gz)`);
  }
  for (const p of c.added) lines.push(`  + ${p.name} ${p.version}`);
  for (const p of c.removed) lines.push(`  - ${p.name} ${p.version}`);
  return lines.join("\n") + "\n";
}
