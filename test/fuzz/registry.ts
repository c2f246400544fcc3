// Registry text: image references, WWW-Authenticate challenges, Retry-After, error bodies.
// References parse or reject with BAD_REFERENCE and read back the same from their full form;
// the header readers never throw and stay within their documented results.
import fc from "fast-check";
import { ErrorCode } from "../../src/errors.js";
import { parseChallenges, registryErrorText, retryAfterMs } from "../../src/transports/registry/challenge.js";
import { formatReference, parseReference } from "../../src/transports/registry/reference.js";
import { rejected, typed, type FuzzProperty } from "./harness.js";

const REF_PIECES = ["docker.io", "localhost", "127.0.0.1", ":5000", "[::1]", "/", ":", "@", "sha256:", "a".repeat(64), "0f".repeat(32), "library", "redis", "Team", "a_b", "a__b", "a--b", ".", "-", "latest", "7.2", " ", "é"];
const refText = fc.array(fc.oneof(fc.constantFrom(...REF_PIECES), fc.string({ maxLength: 3 })), { maxLength: 10 }).map((a) => a.join(""));

const token = fc.stringMatching(/^[A-Za-z][\w-]{0,8}$/);
const challenge = fc.record({
  scheme: token,
  params: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[\w-]{1,8}$/), fc.string({ maxLength: 12 })), { maxLength: 4, selector: ([k]) => k.toLowerCase() }),
});
const quote = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const formatChallenge = (c: { scheme: string; params: [string, string][] }) =>
  c.params.length ? `${c.scheme} ${c.params.map(([k, v]) => `${k}=${quote(v)}`).join(",")}` : c.scheme;
const HEADER_PIECES = ["Bearer", "Basic", " ", ",", "=", '"', "\\", "realm", "service", "scope", "https://a/token", "error=\"insufficient_scope\""];
const headerText = fc.array(fc.oneof(fc.constantFrom(...HEADER_PIECES), fc.string({ maxLength: 3 })), { maxLength: 14 }).map((a) => a.join(""));

const json = fc.oneof(fc.jsonValue(), fc.record({ errors: fc.oneof(fc.jsonValue(), fc.array(fc.record({ code: fc.jsonValue(), message: fc.jsonValue() }, { requiredKeys: [] }))) }));

export const properties: FuzzProperty[] = [
  {
    parser: "registry/reference",
    name: "parseReference returns or throws BAD_REFERENCE; a parsed reference reads back from formatReference",
    property: () =>
      fc.property(fc.oneof(fc.string(), refText), (text) => {
        const r = typed([ErrorCode.BAD_REFERENCE], () => parseReference(text));
        if (r === rejected) return;
        const back = parseReference(formatReference(r));
        if (JSON.stringify(back) !== JSON.stringify(r)) throw new Error(`${JSON.stringify(text)} → ${formatReference(r)} → ${JSON.stringify(back)}`);
      }),
  },
  {
    parser: "registry/challenge",
    name: "parseChallenges of any header never throws; schemes and keys come lowercased",
    property: () =>
      fc.property(fc.oneof(fc.string(), headerText), (h) =>
        parseChallenges(h).every((c) => c.scheme === c.scheme.toLowerCase() && Object.entries(c.params).every(([k, v]) => k === k.toLowerCase() && typeof v === "string")),
      ),
  },
  {
    parser: "registry/challenge",
    name: "formatted challenges (quoted values with escapes) parse back",
    property: () =>
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 3 }), (cs) => {
        const got = parseChallenges(cs.map(formatChallenge).join(", "));
        const want = cs.map((c) => ({ scheme: c.scheme.toLowerCase(), params: Object.fromEntries(c.params.map(([k, v]) => [k.toLowerCase(), v])) }));
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(got)}`);
      }),
  },
  {
    parser: "registry/challenge",
    name: "retryAfterMs is undefined or a wait within [0, cap]",
    property: () =>
      fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())), fc.integer({ min: 0, max: 2 ** 40 }), fc.nat(120_000), (v, now, cap) => {
        const ms = retryAfterMs(v, now, cap);
        return ms === undefined || (Number.isFinite(ms) && ms >= 0 && ms <= cap);
      }),
  },
  {
    parser: "registry/challenge",
    name: "registryErrorText of any body is a short string, and names a well-formed error's code",
    property: () =>
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), json.map((j) => Buffer.from(JSON.stringify(j) ?? ""))), fc.stringMatching(/^[A-Z_]{1,12}$/), (body, code) => {
        const t = registryErrorText(body);
        const named = registryErrorText(Buffer.from(JSON.stringify({ errors: [{ code, message: "m" }] })));
        return typeof t === "string" && t.length <= 300 && named === `${code}: m`;
      }),
  },
];
