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

export function tooBig(debPath: string, origin: DebOrigin | undefined, why: string): CairnError {
  return new CairnError(
    ErrorCode.DEB_TOO_BIG,
    `${capital(describeDeb(debPath, origin))} is malformed, so cairn refuses it: ${why}.`,
    origin ? archiveHint(origin) : "Replace the file with a well-formed .deb (dpkg-deb --build makes one).",
  );
}

function archiveHint(o: DebOrigin): string {
  // The blob matched the signed index's sha256: fetching it again gives the same bytes.
  return `The archive serves it as signed, so fetching again will not help: leave ${o.name} out (or pin another version) and tell the archive's maintainers.`;
}

/** The unpacked-size bound for a control record's Installed-Size (KiB), and how to say it. */
export function sizeLimit(control: string, limits: DebLimits): { bytes: number; what: string } {
  const m = /^Installed-Size:[ \t]*(\d+)[ \t]*$/im.exec(control);
  if (!m) return { bytes: limits.sizeWithoutInstalledSize, what: `the ${fmt(limits.sizeWithoutInstalledSize)} allowed a package without Installed-Size` };
  const kib = Number(m[1]);
  const bytes = kib * 1024 * limits.sizeFactor + limits.sizeSlack;
  return { bytes, what: `the ${fmt(bytes)} its Installed-Size of ${kib} KiB allows` };
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
