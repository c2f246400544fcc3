// Debian version numbers, compared as Debian Policy 5.6.12 says (and `dpkg --compare-versions` does):
// [epoch:]upstream[-revision]; within upstream and revision, non-digit runs compare with `~` before
// everything (even the end), letters before other characters; digit runs compare as numbers.
import { CairnError, ErrorCode } from "../errors.js";
import type { VersionOp } from "./types.js";

export interface ParsedVersion {
  epoch: number;
  upstream: string;
  /** "" when the version has no `-revision` (compares equal to "0"). */
  revision: string;
}

const UPSTREAM_RE = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION_RE = /^[A-Za-z0-9.+~]+$/;

/** Split and validate a version; throws a CairnError naming what is wrong with it. */
export function parseVersion(v: string): ParsedVersion {
  const bad = (why: string): never => {
    throw new CairnError(
      ErrorCode.DEFINITION_INVALID,
      `"${v}" is not a valid Debian version: ${why}.`,
      "Debian versions look like [epoch:]upstream[-revision], e.g. 5:7.0.15-1~deb12u1.",
    );
  };
  const s = v.trim();
  if (s === "") bad("it is empty");
  if (/\s/.test(s)) bad("it contains whitespace");
  const colon = s.indexOf(":");
  let epoch = 0;
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) bad(`the epoch "${e}" is not a number`);
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch)) bad("the epoch is too large");
  }
  const rest = s.slice(colon + 1);
  const dash = rest.lastIndexOf("-");
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : "";
  if (upstream === "") bad("the upstream version is empty");
  if (dash >= 0 && revision === "") bad("the revision after the last '-' is empty");
  if (!UPSTREAM_RE.test(upstream)) {
    bad(/^[0-9]/.test(upstream) ? `the upstream version "${upstream}" has an invalid character` : `the upstream version "${upstream}" does not start with a digit`);
  }
  if (revision !== "" && !REVISION_RE.test(revision)) bad(`the revision "${revision}" has an invalid character`);
  return { epoch, upstream, revision };
}

/** <0, 0 or >0 as a sorts before, equal to, or after b. Does not validate (index data is trusted). */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const ca = a.indexOf(":");
  const cb = b.indexOf(":");
  const ea = ca >= 0 ? a.slice(0, ca) : "0";
  const eb = cb >= 0 ? b.slice(0, cb) : "0";
  const byEpoch = compareDigits(ea, 0, ea.length, eb, 0, eb.length);
  if (byEpoch !== 0) return byEpoch;
  const ra = a.slice(ca + 1);
  const rb = b.slice(cb + 1);
  const da = ra.lastIndexOf("-");
  const db = rb.lastIndexOf("-");
  const byUpstream = compareFragment(da >= 0 ? ra.slice(0, da) : ra, db >= 0 ? rb.slice(0, db) : rb);
  if (byUpstream !== 0) return byUpstream;
  return compareFragment(da >= 0 ? ra.slice(da + 1) : "", db >= 0 ? rb.slice(db + 1) : "");
}

const TILDE = 126;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Sort weight of one character in a non-digit run; NaN (end of string) weighs 0. */
function weight(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (c === TILDE) return -1;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  return c + 256;
}

/** dpkg's verrevcmp: alternate non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const wa = weight(a.charCodeAt(i));
      const wb = weight(b.charCodeAt(j));
      if (wa !== wb) return wa - wb;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const d = compareDigits(a, si, i, b, sj, j);
    if (d !== 0) return d;
  }
  return 0;
}

/** Compare two digit runs as numbers of any length (no overflow): strip zeros, then length, then text. */
function compareDigits(a: string, ai: number, ae: number, b: string, bi: number, be: number): number {
  while (ai < ae && a.charCodeAt(ai) === 48) ai++;
  while (bi < be && b.charCodeAt(bi) === 48) bi++;
  if (ae - ai !== be - bi) return ae - ai - (be - bi);
  for (; ai < ae; ai++, bi++) {
    const d = a.charCodeAt(ai) - b.charCodeAt(bi);
    if (d !== 0) return d;
  }
  return 0;
}

/** Does `version` satisfy `op ref`? No operator means any version does. */
export function satisfies(version: string, op: VersionOp | undefined, ref: string | undefined): boolean {
  if (op === undefined || ref === undefined) return true;
  const c = compareVersions(version, ref);
  switch (op) {
    case "<<":
      return c < 0;
    case "<=":
      return c <= 0;
    case "=":
      return c === 0;
    case ">=":
      return c >= 0;
    case ">>":
      return c > 0;
  }
}
