// Sources from outside Debian, pinned before anything uses them: a fetchurl() without its sha256
// gets the one cairn.lock holds (or the first fetch's, written there), and a derivation's Python
// requirements become a list of exact versions and file hashes — the user's own file when it
// pins every hash, else what cairn.lock holds for the same request, else pip's resolution against
// the index, written there. The image spec comes back with all of it filled in, so every later
// stage (fetching, cache keys, the derivation itself) sees only pinned sources.
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { ContentSpec, DerivationSpec, FetchedSpec, ImageSpec, TextSpec } from "../define/spec.js";
import type { LockedFetch, LockedRequirements, LockedSources } from "../debian/lockfile.js";
import type { Resolution } from "../debian/resolution.js";
import { fetchCall, locationOf, pythonRequirementOf, withMarks } from "../define/call-site.js";
import { normalName, parseRequirements, pinnedFromReport, requirementsText, type Requirement } from "../define/python-requirements.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import { userEntries } from "../fs/assemble.js";
import { runOnce } from "../steps/derivation.js";
import type { Tools } from "../steps/context.js";
import type { BuildContext } from "./context.js";

export interface PinOptions {
  locked: LockedSources;
  frozen?: boolean;
  lockLabel: string;
  definitionDir: string;
  /** The packages a derivation runs with (its resolved environment). */
  toolsOf: (d: DerivationSpec) => Tools;
}

/** The spec with every source pinned, and the pins it used (to be written to cairn.lock). */
export async function pinSources(spec: ImageSpec, o: PinOptions, ctx: BuildContext): Promise<{ spec: ImageSpec; pinned: LockedSources }> {
  const pinned: Required<LockedSources> = { fetchurl: {}, pip: {} };
  const done = new Map<ContentSpec, ContentSpec>();
  const pin = async (c: ContentSpec): Promise<ContentSpec> => {
    const seen = done.get(c);
    if (seen) return seen;
    let out: ContentSpec = c;
    if (c.kind === "fetched" && c.sha256 === undefined) {
      const p = await pinFetch(c, o, ctx);
      pinned.fetchurl[c.url] = p;
      out = withMarks(c, { ...c, sha256: p.sha256, pinnedBy: "lock" as const });
    } else if (c.kind === "derivation") {
      const inputs = await Promise.all(c.inputs.map(pin));
      let d: DerivationSpec = inputs.some((x, k) => x !== c.inputs[k]) ? withMarks(c, { ...c, inputs }) : c;
      if (d.pip) {
        const { text, locked } = await pinRequirements(d, o, ctx);
        if (locked) pinned.pip[d.name] = locked;
        const file: TextSpec = { kind: "text", destination: "/src/pinned-requirements.txt", text };
        d = withMarks(d, { ...d, inputs: [...d.inputs, file] });
      }
      out = d;
    }
    done.set(c, out);
    return out;
  };
  const contents = [];
  for (const c of spec.contents) contents.push(await pin(c));
  const changed = contents.some((c, k) => c !== spec.contents[k]);
  const used: LockedSources = {
    ...(Object.keys(pinned.fetchurl).length ? { fetchurl: pinned.fetchurl } : {}),
    ...(Object.keys(pinned.pip).length ? { pip: pinned.pip } : {}),
  };
  return { spec: changed ? withMarks(spec, { ...spec, contents }) : spec, pinned: used };
}

async function pinFetch(c: FetchedSpec, o: PinOptions, ctx: BuildContext): Promise<LockedFetch> {
  const where = locationOf(c);
  const at = where ? `${where}: ` : "";
  const held = o.locked.fetchurl?.[c.url];
  if (held && /^[0-9a-f]{64}$/.test(held.sha256)) return held;
  if (o.frozen) {
    throw new CairnError(ErrorCode.LOCK_DRIFT, `${at}${fetchCall(c)} has no sha256, and ${o.lockLabel} pins none (--frozen).`, "Build once without --frozen to pin it in cairn.lock and commit that, or give the sha256 in the definition.", { data: { ...(where ? { path: where } : {}), subject: c.url } });
  }
  if (ctx.offline) throw new CairnError(ErrorCode.OFFLINE_MISSING, `${at}${fetchCall(c)}: --offline, and it is not pinned yet.`, "Build once without --offline to fetch it and pin its sha256 in cairn.lock.");
  ctx.reporter.info(`cairn: fetching ${c.url} (no sha256 yet: the one it has now goes into cairn.lock)`);
  const { body } = await ctx.fetcher.stream(c.url, `${fetchCall(c)}`);
  const { hex, size } = await ctx.store.writeBlobStream(body, undefined, c.url);
  ctx.reporter.info(`cairn: pinned ${c.url} at sha256 ${hex}`);
  return { sha256: hex, size };
}

/** A line cairn.lock may hold for pip: nothing but a name, its exact version and file hashes. */
const PINNED_LINE = /^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.!+_-]+( --hash=sha256:[0-9a-f]{64})+$/;

/** The requirements file pip installs, and the lock entry when it came from a resolution. */
async function pinRequirements(d: DerivationSpec, o: PinOptions, ctx: BuildContext): Promise<{ text: string; locked?: LockedRequirements }> {
  const req = d.pip!;
  const [entry] = await userEntries({ contents: [req.file] } as ImageSpec, o.definitionDir, ctx.store);
  const source = path.resolve(o.definitionDir, req.file.source);
  if (!entry || entry.type !== "file" || entry.content?.kind !== "path") {
    throw new CairnError(ErrorCode.DEFINITION_INVALID, `${d.name}: requirements ${source} is not a file.`, "Give the path of a requirements.txt, uv.lock, pylock.toml or pyproject.toml.");
  }
  const file = path.relative(process.cwd(), source) || source;
  let parsed;
  try {
    parsed = parseRequirements(await fs.readFile(entry.content.path, "utf8"), req.format, file);
  } catch (e) {
    if (isCairnError(e)) throw new CairnError(e.code, e.message.replace(/^Invalid definition: /, ""), e.hint, { data: { path: file } });
    throw e;
  }
  // What Debian provides (the application's dependencies) is not asked of the index.
  const debian = new Set(req.debian.map(normalName));
  const fromDebian = parsed.requirements.filter((r) => debian.has(normalName(r.name)));
  if (fromDebian.length) ctx.reporter.info(`cairn: ${d.name}: ${fromDebian.map((r) => r.name).join(", ")} from Debian (the application's dependencies), not from the index`);
  const wanted = { ...parsed, requirements: parsed.requirements.filter((r) => !debian.has(normalName(r.name))) };
  if (!wanted.requirements.length) {
    throw new CairnError(ErrorCode.DEFINITION_INVALID, `${d.name}: ${file} asks nothing of the index (every requirement is one of the application's Debian dependencies).`, "Leave out requirements, or take the names Debian should not provide out of dependencies.");
  }
  if (parsed.pinned) return { text: requirementsText(wanted) };

  const request = createHash("sha256").update(JSON.stringify({ options: wanted.options, lines: wanted.requirements.map((r) => [r.line, r.hashes]), debian: [...debian].sort() })).digest("hex");
  const held = o.locked.pip?.[d.name];
  if (held?.request === request) {
    const bad = Array.isArray(held.requirements) ? held.requirements.find((l) => typeof l !== "string" || !PINNED_LINE.test(l)) : "(not a list)";
    if (bad !== undefined) throw new CairnError(ErrorCode.LOCK_INVALID, `${o.lockLabel}: sources.pip["${d.name}"] holds ${JSON.stringify(bad)}, which is not a pinned requirement (name==version --hash=sha256:…).`, `Restore cairn.lock from version control, or delete that entry and build again to resolve it anew.`);
  }
  if (held?.request === request) return { text: [...wanted.options, ...held.requirements].map((l) => `${l}\n`).join(""), locked: held };
  if (o.frozen) {
    throw new CairnError(ErrorCode.LOCK_DRIFT, `${d.name}: ${file} ${held ? "changed since" : "is not pinned in"} ${o.lockLabel} (--frozen), and not every requirement has its version and hash in the file.`, "Build once without --frozen to resolve it and pin each package in cairn.lock, and commit that.", { data: { path: file } });
  }
  if (ctx.offline) throw new CairnError(ErrorCode.OFFLINE_MISSING, `${d.name}: ${file} is not pinned yet, and --offline keeps pip from asking the index.`, "Build once without --offline to resolve it and pin each package in cairn.lock.");
  ctx.reporter.info(`cairn: ${d.name}: resolving ${wanted.requirements.length} requirement${wanted.requirements.length > 1 ? "s" : ""} of ${file} with pip against the index (once: cairn.lock keeps the versions and hashes)`);
  const resolver: DerivationSpec = {
    kind: "derivation", name: `${d.name}-resolve`, network: true,
    inputs: [...d.inputs.filter((i) => i.kind === "debian-package"), { kind: "text", destination: "/src/requirements.in", text: requirementsText(wanted) }],
    build: [
      'if [ "${SOURCE_DATE_EPOCH:-0}" -lt 315532800 ]; then export SOURCE_DATE_EPOCH=315532800; fi',
      // Not --target: Debian's packages count as installed, so pip asks the index only for the rest.
      "python3 -m pip install --dry-run --quiet --report /out/report.json --break-system-packages --prefer-binary --no-build-isolation --no-cache-dir --disable-pip-version-check -r /src/requirements.in",
      "",
    ].join("\n"),
  };
  let pinnedList: Requirement[];
  try {
    pinnedList = await runOnce(resolver, o.toolsOf(d), o.definitionDir, ctx, async (out) => pinnedFromReport(JSON.parse(await fs.readFile(path.join(out, "report.json"), "utf8")), `${d.name}: ${file}`));
  } catch (e) {
    if (isCairnError(e)) throw e;
    throw new CairnError(ErrorCode.STEP_FAILED, (e as Error).message, "Check the index (PIP_INDEX_URL) serves these packages with their sha256 (#sha256= on each link).", { cause: e, data: { path: file } });
  }
  if (!pinnedList.length) {
    throw new CairnError(ErrorCode.DEFINITION_INVALID, `${d.name}: pip found every requirement of ${file} already installed (Debian's packages meet them), so nothing comes from the index.`, "Name them in dependencies instead (Debian's), or leave out requirements.");
  }
  const asked = new Map(wanted.requirements.map((r) => [normalName(r.name), r.line]));
  ctx.reporter.info(`cairn: ${d.name}: pinned ${pinnedList.map((p) => { const a = asked.get(normalName(p.name)); return a && a !== p.line ? `${p.line} (for ${a})` : p.line; }).join(", ")}`);
  const locked: LockedRequirements = { request, requirements: pinnedList.map((p) => [p.line, ...p.hashes.map((h) => `--hash=${h}`)].join(" ")) };
  return { text: [...wanted.options, ...locked.requirements].map((l) => `${l}\n`).join(""), locked };
}

/**
 * Debian packages that stand for a Python requirement with a version ("humanize==4.9.0"): when
 * Debian's version does not meet it, the build says which version the image gets instead.
 */
export function notePythonVersions(contents: readonly ContentSpec[], resolution: Resolution, info: (text: string) => void): void {
  const seen = new Set<string>();
  const walk = (cs: readonly ContentSpec[]) => {
    for (const c of cs) {
      if (c.kind === "derivation") walk(c.inputs);
      if (c.kind !== "debian-package") continue;
      const asked = pythonRequirementOf(c);
      if (!asked || seen.has(c.name)) continue;
      seen.add(c.name);
      const p = [...resolution.packages.values()].find((x) => x.name === c.name);
      if (!p) continue;
      const upstream = debianUpstream(p.version);
      if (!meets(upstream, asked)) info(`cairn: note: ${asked} was asked; the image has Debian's ${c.name} ${p.version} (version ${upstream}). To get the version asked, install it from an index (requirements).`);
    }
  };
  walk(contents);
}

/** A Debian version's upstream part: no epoch, no Debian revision, no +dfsg/~ suffix. */
export function debianUpstream(version: string): string {
  return version.replace(/^\d+:/, "").replace(/-[^-]*$/, "").replace(/[+~].*$/, "");
}

/** Whether a version meets a requirement's specifiers (==, !=, >=, <=, >, <, ~=, ==X.*), by release numbers; markers and extras are not judged. */
export function meets(version: string, requirement: string): boolean {
  const spec = requirement.replace(/^\s*[A-Za-z0-9._-]+\s*(\[[^\]]*\])?/, "").split(";")[0]!.trim().replace(/^\(|\)$/g, "");
  if (!spec) return true;
  const nums = (v: string) => v.split(".").map((x) => Number.parseInt(x, 10)).map((n) => (Number.isNaN(n) ? 0 : n));
  const cmp = (a: string, b: string) => {
    const x = nums(a), y = nums(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
    return 0;
  };
  return spec.split(",").every((clause) => {
    const m = /^\s*(===|==|!=|>=|<=|~=|>|<)\s*([^\s]+)\s*$/.exec(clause);
    if (!m) return true;
    const [, op, v] = m as unknown as [string, string, string];
    if (v.endsWith(".*")) {
      const prefix = nums(v.slice(0, -2));
      const same = prefix.every((n, i) => nums(version)[i] === n);
      return op === "!=" ? !same : same;
    }
    const c = cmp(version, v);
    switch (op) {
      case "==": case "===": return c === 0;
      case "!=": return c !== 0;
      case ">=": return c >= 0;
      case "<=": return c <= 0;
      case ">": return c > 0;
      case "<": return c < 0;
      default: { // ~=: at least v, and the same release but for its last number
        const p = nums(v).slice(0, -1);
        return c >= 0 && p.every((n, i) => nums(version)[i] === n);
      }
    }
  });
}
