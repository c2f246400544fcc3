// Release files: parseRelease reads any text into a Release or rejects with INDEX_MISSING, and
// reads generated fields back; verifyInRelease rejects garbage and damaged clear-signed files
// with BAD_SIGNATURE, and whatever it accepts is the text that was signed (nothing unsigned slips in).
import fc from "fast-check";
import * as openpgp from "openpgp";
import { ErrorCode } from "../../src/errors.js";
import { parseRelease, verifyDetached, verifyInRelease, type Key } from "../../src/debian/release.js";
import { rejected, typed, typedAsync, type FuzzProperty } from "./harness.js";

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const relPath = fc.stringMatching(/^[a-z0-9/._-]{1,30}$/);
const word = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
const releaseFields = fc.record({
  suite: word,
  codename: fc.option(word, { nil: undefined }),
  date: fc.option(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), { nil: undefined }),
  architectures: fc.uniqueArray(word, { maxLength: 4 }),
  files: fc.uniqueArray(fc.tuple(hex64, fc.nat(), relPath), { maxLength: 5, selector: ([, , p]) => p }),
});
type ReleaseFields = typeof releaseFields extends fc.Arbitrary<infer T> ? T : never;
const formatRelease = (r: ReleaseFields) =>
  [
    `Suite: ${r.suite}`,
    ...(r.codename ? [`Codename: ${r.codename}`] : []),
    ...(r.date ? [`Date: ${r.date.toUTCString()}`] : []),
    `Architectures: ${r.architectures.join(" ")}`,
    "SHA256:",
    ...r.files.map(([h, n, p]) => ` ${h} ${String(n).padStart(9)} ${p}`),
  ].join("\n") + "\n";

const PIECES = ["Suite:", "Codename:", "SHA256:", "MD5Sum:", "SHA1:", "Date:", "Valid-Until:", " ", "\n", "\n ", ":", "a".repeat(64), "12", "main/binary-amd64/Packages", "Sat, 11 Jul 2026 10:16:37 UTC", "\r\n", "x"];
const releaseish = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 30 }).map((a) => a.join(""));

const RELEASE = "Origin: Fuzz\nSuite: stable\nCodename: bookworm\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nArchitectures: amd64\nComponents: main\nSHA256:\n " + "5".repeat(64) + " 12 main/binary-amd64/Packages\n";
const NOW = new Date();
let signing: Promise<{ keys: Key[]; signed: string; detached: Uint8Array }> | undefined;
/** One throwaway key and one clear-signed Release per process (key generation takes a while). */
function signed() {
  signing ??= (async () => {
    // Made a day ago, so it is valid at NOW whatever the clock says.
    const k = await openpgp.generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "fuzz" }], format: "object", date: new Date(NOW.getTime() - 86_400_000) });
    const text = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: RELEASE }), signingKeys: k.privateKey, date: new Date(NOW.getTime() - 3_600_000) });
    const detached = await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(RELEASE) }), signingKeys: k.privateKey, detached: true, format: "binary", date: new Date(NOW.getTime() - 3_600_000) });
    return { keys: [k.publicKey as Key], signed: text, detached: detached as Uint8Array };
  })();
  return signing;
}

/** Line-level damage to the signed file: drop, repeat, replace or add lines, or overwrite characters. */
const edit = fc.oneof(
  fc.record({ op: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("repeat" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("Suite: evil", "-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----", "- -----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA256", "", " ")) }),
  fc.record({ op: fc.constant("char" as const), at: fc.nat(), col: fc.nat(), c: fc.oneof(fc.constantFrom(" ", "\t", "A", "=", "-", "\r"), fc.string({ minLength: 1, maxLength: 1 })) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;
function damage(text: string, edits: Edit[]): string {
  const lines = text.split("\n");
  for (const e of edits) {
    const at = e.at % (lines.length + 1);
    if (e.op === "drop") lines.splice(at, 1);
    else if (e.op === "repeat" && at < lines.length) lines.splice(at, 0, lines[at]!);
    else if (e.op === "insert") lines.splice(at, 0, e.text);
    else if (e.op === "char" && at < lines.length) {
      const l = lines[at]!;
      const col = e.col % (l.length + 1);
      lines[at] = l.slice(0, col) + e.c + l.slice(col + 1);
    }
  }
  return lines.join("\n");
}
const trimLines = (s: string) => s.split(/\r?\n/).map((l) => l.trimEnd()).join("\n").trimEnd();

export const properties: FuzzProperty[] = [
  {
    parser: "debian/release",
    name: "parseRelease of any text returns a Release or throws INDEX_MISSING",
    property: () =>
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), releaseish), (text) => {
        const r = typed([ErrorCode.INDEX_MISSING], () => parseRelease(text));
        if (r !== rejected && !r.suite) throw new Error("a Release without a suite");
      }),
  },
  {
    parser: "debian/release",
    name: "parseRelease reads generated fields back",
    property: () =>
      fc.property(releaseFields, (f) => {
        const r = parseRelease(formatRelease(f));
        const files = [...r.files].map(([p, x]) => [x.sha256, x.size, p]);
        return r.suite === f.suite && r.codename === f.codename && r.date?.getTime() === (f.date ? Math.floor(f.date.getTime() / 1000) * 1000 : undefined) &&
          JSON.stringify(r.architectures) === JSON.stringify(f.architectures) && JSON.stringify(files) === JSON.stringify(f.files);
      }),
  },
  {
    parser: "debian/release",
    name: "verifyInRelease of garbage throws BAD_SIGNATURE",
    property: () =>
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), releaseish, fc.string().map((s) => `-----BEGIN PGP SIGNED MESSAGE-----\n${s}\n-----BEGIN PGP SIGNATURE-----\n${s}\n-----END PGP SIGNATURE-----\n`)), async (text) => {
        const { keys } = await signed();
        const r = await typedAsync([ErrorCode.BAD_SIGNATURE], () => verifyInRelease(text, keys, "fuzz InRelease", NOW));
        if (r !== rejected) throw new Error("garbage verified");
      }),
  },
  {
    parser: "debian/release",
    name: "verifyDetached with a garbage or damaged Release.gpg throws BAD_SIGNATURE",
    property: () =>
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(`-----BEGIN PGP SIGNATURE-----\n\n${s}\n-----END PGP SIGNATURE-----\n`)), fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), async (sig) => {
        const { keys, detached } = await signed();
        // A tuple is one byte of the real signature overwritten; anything else is garbage.
        const bytes = Array.isArray(sig) ? Uint8Array.from(detached, (b, i) => (i === sig[0] % detached.length ? sig[1] : b)) : sig;
        const r = await typedAsync([ErrorCode.BAD_SIGNATURE], () => verifyDetached(new TextEncoder().encode(RELEASE), bytes, keys, "fuzz Release", NOW));
        if (r !== rejected && (!Array.isArray(sig) || r !== RELEASE)) throw new Error("a garbage signature verified");
      }),
  },
  {
    parser: "debian/release",
    name: "an InRelease with only blank lines and trailing spaces added verifies to the signed text",
    property: () =>
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "\t", "  ")), { maxLength: 4 }), fc.constantFrom("", "\n", "\n\n"), async (spaces, around) => {
        const { keys, signed: text } = await signed();
        const lines = text.split("\n");
        for (const [at, sp] of spaces) lines[at % lines.length] += sp;
        const got = await verifyInRelease(around + lines.join("\n") + around, keys, "fuzz InRelease", NOW);
        if (trimLines(got) !== trimLines(RELEASE)) throw new Error(`verified to other text: ${JSON.stringify(got)}`);
      }),
  },
  {
    parser: "debian/release",
    name: "a damaged InRelease is rejected with BAD_SIGNATURE, or yields exactly the signed text",
    property: () =>
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const { keys, signed: text } = await signed();
        const r = await typedAsync([ErrorCode.BAD_SIGNATURE], () => verifyInRelease(damage(text, edits), keys, "fuzz InRelease", NOW));
        if (r !== rejected && trimLines(r) !== trimLines(RELEASE)) throw new Error(`accepted other text: ${JSON.stringify(r)}`);
      }),
  },
];
