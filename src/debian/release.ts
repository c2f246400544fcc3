// Signed Release files: the one place trust enters. InRelease (clear-signed) or Release +
// Release.gpg (detached) are verified with openpgp.js against the source's keyring; fields are
// read only from the verified text; Valid-Until is checked here because openpgp knows nothing of it.
import * as fs from "node:fs/promises";
import type * as OpenPGP from "openpgp";
import { CairnError, ErrorCode } from "../errors.js";

export type Key = OpenPGP.Key;

// openpgp.js takes ~60 ms to load; only builds that verify an index (not locked ones) need it.
const pgp = () => import("openpgp");

export interface ReleaseFile {
  sha256: string;
  size: number;
}

export interface Release {
  origin?: string;
  label?: string;
  /** `Suite`, or `Codename` when the file has no Suite. */
  suite: string;
  codename?: string;
  version?: string;
  date?: Date;
  validUntil?: Date;
  acquireByHash: boolean;
  architectures: string[];
  components: string[];
  /** Path relative to dists/<suite>/ (e.g. `main/binary-amd64/Packages.xz`) → its SHA256 and size. */
  files: Map<string, ReleaseFile>;
}

const BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE = "-----END PGP SIGNATURE-----";

// A mirror's clock a little ahead of ours would make a fresh signature look "from the future",
// which openpgp rejects; judge keys a little later than now to allow for that skew.
const CLOCK_SKEW_MS = 15 * 60 * 1000;
const judgeAt = (now: Date) => new Date(now.getTime() + CLOCK_SKEW_MS);

const KEYRING_HINT =
  "If this is a Debian archive, install or update the keyring (`apt-get install debian-archive-keyring`); otherwise point the source's Signed-By at the keyring that signs it. If the keys are right, the mirror may be serving damaged or forged files: try another mirror.";

/**
 * Keys from a keyring file (binary, as in /usr/share/keyrings, or armored `.asc`), several such
 * paths separated by spaces, or an inline armored key block (deb822 Signed-By).
 */
export async function loadKeyring(pathOrArmored: string): Promise<Key[]> {
  if (pathOrArmored.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
    return readKeyData(new TextEncoder().encode(pathOrArmored), "the inline Signed-By key");
  }
  const paths = pathOrArmored.split(/[\s,]+/).filter(Boolean);
  if (paths.length === 0) throw new CairnError(ErrorCode.KEY_NOT_FOUND, "No keyring was given (the Signed-By value is empty).", "Give Signed-By a keyring path.");
  const keys: Key[] = [];
  for (const p of paths) {
    if (/^[0-9A-Fa-f]{16,40}!?$/.test(p)) {
      throw new CairnError(
        ErrorCode.KEY_NOT_FOUND,
        `Signed-By names a key fingerprint (${p}), not a keyring file; cairn cannot look fingerprints up.`,
        "Point Signed-By at the keyring file (.gpg or .asc) that holds that key.",
      );
    }
    let data: Buffer;
    try {
      data = await fs.readFile(p);
    } catch (e) {
      throw new CairnError(
        ErrorCode.KEY_NOT_FOUND,
        `The keyring ${p} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
        p.includes("debian-archive-keyring") ? "Install it: `apt-get install debian-archive-keyring`." : "Install the package that ships it, or fix the Signed-By path in the apt source.",
        { cause: e },
      );
    }
    keys.push(...(await readKeyData(data, p)));
  }
  return keys;
}

/** Keys from several keyrings (e.g. apt's defaults); each one must be readable. */
export async function loadKeyrings(paths: string[]): Promise<Key[]> {
  const all: Key[] = [];
  for (const p of paths) all.push(...(await loadKeyring(p)));
  return all;
}

async function readKeyData(data: Uint8Array, what: string): Promise<Key[]> {
  const text = new TextDecoder().decode(data.subarray(0, 64));
  try {
    // Binary keyrings hold several keys back to back; readKeys reads them all, and keys with
    // expired or revoked subkeys still load (validity is judged per signature at verify time).
    return text.trimStart().startsWith("-----BEGIN")
      ? await (await pgp()).readKeys({ armoredKeys: new TextDecoder().decode(data) })
      : await (await pgp()).readKeys({ binaryKeys: data });
  } catch (e) {
    throw new CairnError(
      ErrorCode.KEY_NOT_FOUND,
      `${what} holds no usable OpenPGP public keys (${(e as Error).message}).`,
      "Check that the file is an OpenPGP keyring (`gpg --show-keys FILE`).",
      { cause: e },
    );
  }
}

async function asKeys(keys: Key[] | Uint8Array, what: string): Promise<Key[]> {
  return keys instanceof Uint8Array ? readKeyData(keys, `the keyring for ${what}`) : keys;
}

/**
 * Check a clear-signed InRelease and return the signed text (the only part to parse).
 * `what` names the file for messages (its URL). `now` is the time keys are judged at
 * (plus a few minutes of allowed clock skew).
 */
export async function verifyInRelease(inReleaseText: string, keys: Key[] | Uint8Array, what: string, now = new Date()): Promise<string> {
  const bad = (why: string, cause?: unknown) =>
    new CairnError(ErrorCode.BAD_SIGNATURE, `The signature of ${what} does not check out: ${why}.`, KEYRING_HINT, { cause });
  checkOnlySignedBlock(inReleaseText, bad);
  let message: OpenPGP.CleartextMessage;
  try {
    message = await (await pgp()).readCleartextMessage({ cleartextMessage: inReleaseText });
  } catch (e) {
    throw bad(`it is not a valid clear-signed message (${(e as Error).message})`, e);
  }
  const verificationKeys = await asKeys(keys, what);
  try {
    const result = await (await pgp()).verify({ message, verificationKeys, expectSigned: true, date: judgeAt(now) });
    return result.data;
  } catch (e) {
    throw bad(await describeFailure(message.getSigningKeyIDs(), verificationKeys, e), e);
  }
}

/** Check Release against its detached signature (Release.gpg, armored or binary); returns Release's text. */
export async function verifyDetached(releaseBytes: Uint8Array, signature: Uint8Array, keys: Key[] | Uint8Array, what: string, now = new Date()): Promise<string> {
  const bad = (why: string, cause?: unknown) =>
    new CairnError(ErrorCode.BAD_SIGNATURE, `The signature of ${what} does not check out: ${why}.`, KEYRING_HINT, { cause });
  let sig: OpenPGP.Signature;
  try {
    const head = new TextDecoder().decode(signature.subarray(0, 64)).trimStart();
    sig = head.startsWith("-----BEGIN")
      ? await (await pgp()).readSignature({ armoredSignature: new TextDecoder().decode(signature) })
      : await (await pgp()).readSignature({ binarySignature: signature });
  } catch (e) {
    throw bad(`Release.gpg is not an OpenPGP signature (${(e as Error).message})`, e);
  }
  const verificationKeys = await asKeys(keys, what);
  const message = await (await pgp()).createMessage({ binary: releaseBytes });
  try {
    await (await pgp()).verify({ message, signature: sig, verificationKeys, expectSigned: true, date: judgeAt(now), format: "binary" });
  } catch (e) {
    throw bad(await describeFailure(sig.getSigningKeyIDs(), verificationKeys, e), e);
  }
  return new TextDecoder().decode(releaseBytes);
}

// openpgp.js parses a clear-signed block out of whatever surrounds it, so text before or after
// would never be covered by the signature. apt's rule: nothing but whitespace outside the block.
function checkOnlySignedBlock(text: string, bad: (why: string) => CairnError): void {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).map((l) => l.trimEnd());
  const nonBlank = lines.map((l, i) => [l, i] as const).filter(([l]) => l.trim() !== "");
  if (nonBlank.length === 0) throw bad("the file is empty");
  if (nonBlank[0][0] !== BEGIN_SIGNED) throw bad(`it does not start with "${BEGIN_SIGNED}" (unsigned text before the signed block)`);
  if (nonBlank[nonBlank.length - 1][0] !== END_SIGNATURE) throw bad(`it does not end with "${END_SIGNATURE}" (unsigned text after the signature)`);
  // Inside the signed text a line starting with "-" is dash-escaped ("- -----..."), so these
  // markers can only appear as real armor lines: exactly one of each.
  for (const marker of [BEGIN_SIGNED, BEGIN_SIGNATURE, END_SIGNATURE]) {
    const n = lines.filter((l) => l === marker).length;
    if (n !== 1) throw bad(`it has ${n} "${marker}" lines, expected one signed block`);
  }
}

async function describeFailure(signingIds: OpenPGP.KeyID[], keys: Key[], e: unknown): Promise<string> {
  const known = new Set<string>();
  for (const k of keys) for (const id of k.getKeyIDs()) known.add(id.toHex());
  // A damaged signature packet can name no issuer at all.
  const ids = signingIds.filter((id) => id !== undefined).map((id) => id.toHex());
  if (ids.length > 0 && !ids.some((id) => known.has(id))) {
    return `it is signed by key${ids.length > 1 ? "s" : ""} ${ids.join(", ")}, none of which is in the keyring used (${keys.length} keys)`;
  }
  const msg = (e as Error).message ?? String(e);
  return `no signature verified (${msg.replace(/^Error verifying signed message: /, "")})`;
}

/** The fields of a (verified) Release text. */
export function parseRelease(text: string, what = "the Release file"): Release {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      if (fields.size > 0) break; // one paragraph only
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (last === undefined) throw malformed(what, "a continuation line comes before any field");
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed(what, `"${line.slice(0, 80)}" is not a "Field: value" line`);
    last = line.slice(0, colon).toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  const suite = fields.get("suite") ?? fields.get("codename");
  if (!suite) throw malformed(what, "it has neither Suite nor Codename");
  // apt stopped trusting MD5 and SHA1 years ago: an archive that lists only those is refused by name.
  if (!fields.has("sha256") && (fields.has("md5sum") || fields.has("sha1"))) {
    throw malformed(what, `it lists its indexes with ${["md5sum", "sha1"].filter((k) => fields.has(k)).map((k) => (k === "md5sum" ? "MD5Sum" : "SHA1")).join(" and ")} only, and cairn (like apt) needs SHA256 sums`);
  }
  const files = new Map<string, ReleaseFile>();
  for (const l of (fields.get("sha256") ?? "").split("\n")) {
    if (!l.trim()) continue;
    const m = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(l.trim());
    if (!m) throw malformed(what, `the SHA256 line "${l.trim().slice(0, 120)}" is not "<sha256> <size> <path>"`);
    files.set(m[3], { sha256: m[1], size: Number(m[2]) });
  }
  const list = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
  return {
    origin: fields.get("origin"),
    label: fields.get("label"),
    suite,
    codename: fields.get("codename"),
    version: fields.get("version"),
    date: parseDate(fields.get("date"), "Date", what),
    validUntil: parseDate(fields.get("valid-until"), "Valid-Until", what),
    acquireByHash: (fields.get("acquire-by-hash") ?? "").toLowerCase() === "yes",
    architectures: list("architectures"),
    components: list("components"),
    files,
  };
}

function parseDate(v: string | undefined, field: string, what: string): Date | undefined {
  if (v === undefined) return undefined;
  // RFC 2822 dates ("Sat, 11 Jul 2026 10:16:37 UTC"); V8 reads "UTC" and "+0000" alike.
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw malformed(what, `its ${field} "${v}" is not a date`);
  return d;
}

function malformed(what: string, why: string): CairnError {
  return new CairnError(
    ErrorCode.INDEX_MISSING,
    `${what} is malformed: ${why}.`,
    "The URI may not point at a Debian archive, or the mirror is broken: check the apt source's URI and suite, or try another mirror.",
  );
}

/** Refuse a Release past its Valid-Until (a stale mirror, or old metadata replayed to hide fixes). */
export function checkValidUntil(release: Release, now: Date, what: string): void {
  if (!release.validUntil || now.getTime() <= release.validUntil.getTime()) return;
  throw new CairnError(
    ErrorCode.RELEASE_EXPIRED,
    `${what} expired: its Valid-Until is ${release.validUntil.toISOString()}, and it is now ${now.toISOString()}.`,
    "The mirror is out of date, or is replaying old metadata: try again later or use another mirror. For a pinned snapshot archive, where old metadata is the point, set `checkValidUntil: false` for that source.",
  );
}
