// The bounds a .deb is unpacked within, and the errors that name the package. A package comes from
// an archive cairn trusts for its signature, not for its shape: a small .deb can still expand to
// gigabytes or hold millions of entries, so each is refused at a named limit, early.
import { Transform, type TransformCallback } from "node:stream";
import { CairnError, ErrorCode } from "../errors.js";

/** Which package a .deb is, for errors: the lock entry it was fetched for. */
export interface DebOrigin {
  name: string;
  version: string;
  /** Path of the .deb in its archive (the Packages index's Filename). */
  filename?: string;
  /** The full URL it was fetched from, if known; preferred over filename. */
  url?: string;
}

export interface DebLimits {
  /** Uncompressed bytes of control.tar: real ones are a few KB. */
  maxControlBytes: number;
  /** Entries in data.tar. */
  maxEntries: number;
  /** Unpacked bytes allowed: Installed-Size (KiB) × factor + slack. */
  sizeFactor: number;
  sizeSlack: number;
  /** Unpacked bytes allowed when the control record has no Installed-Size. */
  sizeWithoutInstalledSize: number;
}

const MiB = 1 << 20;
export const DEFAULT_LIMITS: DebLimits = {
  maxControlBytes: 16 * MiB,
  // Debian's largest packages (fonts, TeX, documentation) hold under 10^5 entries.
  maxEntries: 250_000,
  // Installed-Size is dpkg's estimate (sizes rounded up to KiB): honest packages stay well inside.
  sizeFactor: 2,
  sizeSlack: 64 * MiB,
  sizeWithoutInstalledSize: 16 * 1024 * MiB,
};

/** The package as a user knows it: "hello 1.0-1 (http://…/pool/…/hello_1.0-1_amd64.deb)", or the file. */
export function describeDeb(debPath: string, origin?: DebOrigin): string {
  if (!origin) return debPath;
  const where = origin.url ?? origin.filename;
  return `the package ${origin.name} ${origin.version}${where ? ` (${where})` : ""}`;
}

export function badDeb(debPath: string, origin: DebOrigin | undefined, why: string, cause?: unknown): CairnError {
  return new CairnError(
    ErrorCode.BAD_DEB,
    origin
      ? `${capital(describeDeb(debPath, origin))} is malformed, so cairn refuses it: ${why}.`
      : `${debPath} is not a valid .deb: ${why}.`,
    origin ? archiveHint(origin) : "Replace the file with a well-formed .deb (dpkg-deb --build makes one).",
    { cause },
  );
}

/** A limit was passed; `limit` names the --limit that would raise it. */
export function tooBig(debPath: string, origin: DebOrigin | undefined, why: string, limit: LimitName, limits: DebLimits): CairnError {
  const what = capital(describeDeb(debPath, origin));
  // Over a bound the user lowered: their setting, not the package, is what to look at.
  if (limits[LIMIT_FIELDS[limit]] !== DEFAULT_LIMITS[LIMIT_FIELDS[limit]]) {
    return new CairnError(
      ErrorCode.DEB_TOO_BIG,
      `${what} is over the bound --limit ${limit}=${limitValue(limit, limits)} sets: ${why}.`,
      `Raise --limit ${limit} (the default is ${formatLimit(limit, DEFAULT_LIMITS)}), or leave it out.`,
    );
  }
  const raise = `If you trust the package and it is this big, raise the bound with --limit ${limit}=… (default ${formatLimit(limit, DEFAULT_LIMITS)}).`;
  return new CairnError(
    ErrorCode.DEB_TOO_BIG,
    `${what} is malformed, so cairn refuses it: ${why}.`,
    `${origin ? archiveHint(origin) : "Replace the file with a well-formed .deb (dpkg-deb --build makes one)."} ${raise}`,
  );
}

/** The names --limit takes, each for one field of DebLimits. */
const LIMIT_FIELDS = {
  "deb-control-size": "maxControlBytes",
  "deb-entries": "maxEntries",
  "deb-size-factor": "sizeFactor",
  "deb-size-slack": "sizeSlack",
  "deb-size-unknown": "sizeWithoutInstalledSize",
} as const satisfies Record<string, keyof DebLimits>;
export type LimitName = keyof typeof LIMIT_FIELDS;
const SIZES: ReadonlySet<LimitName> = new Set(["deb-control-size", "deb-size-slack", "deb-size-unknown"]);

function formatLimit(name: LimitName, limits: DebLimits): string {
  const v = limits[LIMIT_FIELDS[name]];
  return SIZES.has(name) ? fmt(v) : String(v);
}

/** The value as --limit takes it back: "16MiB", "1000B", "250000". */
function limitValue(name: LimitName, limits: DebLimits): string {
  return formatLimit(name, limits).replace(/ bytes$/, "B").replace(" ", "");
}

/** `limits` with one `NAME=VALUE` of --limit applied (sizes take KiB, MiB, GiB). */
export function withLimit(limits: DebLimits, spec: string): DebLimits {
  const names = Object.keys(LIMIT_FIELDS).join(", ");
  const m = /^([a-z-]+)=(.+)$/.exec(spec.trim());
  const name = m?.[1] as LimitName | undefined;
  if (!m || !name || !(name in LIMIT_FIELDS)) {
    throw new CairnError(ErrorCode.USAGE, `--limit takes NAME=VALUE, not ${JSON.stringify(spec)}.`, `The names: ${names}; e.g. --limit deb-entries=500000 or --limit deb-control-size=64MiB.`);
  }
  const value = SIZES.has(name) ? parseSize(m[2]!) : Number(m[2]);
  if (value === undefined || !Number.isFinite(value) || value <= 0 || (!SIZES.has(name) && name !== "deb-size-factor" && !Number.isInteger(value))) {
    throw new CairnError(ErrorCode.USAGE, `--limit ${name} must be ${SIZES.has(name) ? "a size such as 64MiB or 2GiB" : "a positive number"}, not ${JSON.stringify(m[2])}.`, `e.g. --limit ${name}=${limitValue(name, DEFAULT_LIMITS)}`);
  }
  return { ...limits, [LIMIT_FIELDS[name]]: value };
}

function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { b: 1, kib: 1024, mib: MiB, gib: 1024 * MiB }[(m[2] ?? "B").toLowerCase() as "b"];
  return Math.round(Number(m[1]) * unit);
}

function archiveHint(o: DebOrigin): string {
  // The blob matched the signed index's sha256: fetching it again gives the same bytes.
  return `The archive serves it as signed, so fetching again will not help: leave ${o.name} out (or pin another version) and tell the archive's maintainers.`;
}

/** The unpacked-size bound for a control record's Installed-Size (KiB), and how to say it. */
export function sizeLimit(control: string, limits: DebLimits): { bytes: number; what: string; limit: LimitName } {
  const m = /^Installed-Size:[ \t]*(\d+)[ \t]*$/im.exec(control);
  if (!m) return { bytes: limits.sizeWithoutInstalledSize, what: `the ${fmt(limits.sizeWithoutInstalledSize)} allowed a package without Installed-Size`, limit: "deb-size-unknown" };
  const kib = Number(m[1]);
  const bytes = kib * 1024 * limits.sizeFactor + limits.sizeSlack;
  return { bytes, what: `the ${fmt(bytes)} its Installed-Size of ${kib} KiB allows`, limit: "deb-size-factor" };
}

/** Passes bytes through until more than `max` went by, then fails with `over()`. */
export function capBytes(max: number, over: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max) return done(over());
      done(null, chunk);
    },
  });
}

export function fmt(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${+(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
