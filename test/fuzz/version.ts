// Debian versions: parseVersion takes what dpkg takes, compareVersions orders as dpkg does, and
// is a total order (antisymmetric, transitive) that never throws, whatever the strings.
import fc from "fast-check";
import { ErrorCode } from "../../src/errors.js";
import { compareVersions, parseVersion } from "../../src/debian/version.js";
import { dpkgCompare, dpkgValid } from "./dpkg-oracle.js";
import { rejected, typed, type FuzzProperty } from "./harness.js";

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

// Few distinct characters, so generated pairs often share prefixes and tie in interesting ways.
const DIGITS = "0123456789".split("");
const OTHER = ["a", "b", "z", "A", "Z", ".", "+", "~"];
const run = (chars: string[], max: number) => fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: max }).map((a) => a.join(""));
const fragment = (extra: string[]) => fc.array(fc.oneof(run(DIGITS, 3), run([...OTHER, ...extra], 2)), { minLength: 1, maxLength: 5 }).map((a) => a.join(""));

/** [epoch:]upstream[-revision] as Policy 5.6.12 allows: `-` in upstream only with a revision, `:` only with an epoch. */
export const debianVersion: fc.Arbitrary<string> = fc
  .record({
    epoch: fc.option(fc.oneof(fc.integer({ min: 0, max: 12 }).map(String), fc.constantFrom("00", "01", "007")), { nil: undefined }),
    revision: fc.option(fragment([]), { nil: undefined }),
    head: run(DIGITS, 3),
  })
  .chain(({ epoch, revision, head }) =>
    fragment([...(revision !== undefined ? ["-"] : []), ...(epoch !== undefined ? [":"] : [])]).map(
      (rest) => `${epoch !== undefined ? `${epoch}:` : ""}${head}${rest}${revision !== undefined ? `-${revision}` : ""}`,
    ),
  );

/** Pairs that are often near each other: one version and a small edit of it. */
const versionPair: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(debianVersion, debianVersion),
  debianVersion.chain((a) =>
    fc.constantFrom("~", "+", ".0", "0", "a", "-1", "~~").map((s) => [a, a.includes("-") && s === "-1" ? a + "1" : a + s] as [string, string]),
  ),
  debianVersion.map((a) => [a, a.includes(":") ? a : `0:${a}`] as [string, string]),
);

/** Almost a version: one character of a valid one replaced by anything printable (tabs and newlines aside, which the oracle's lines use). */
const nearVersion: fc.Arbitrary<string> = fc
  .tuple(debianVersion, fc.nat(), fc.oneof(fc.constantFrom(" ", "_", "-", ":", "!", "é", "", "@", "/"), fc.string({ maxLength: 2 })))
  .map(([v, i, c]) => {
    const at = i % (v.length + 1);
    return (v.slice(0, at) + c + v.slice(at + 1)).replace(/[\t\n\r]/g, "");
  });

const BATCH = 250;

export const properties: FuzzProperty[] = [
  {
    parser: "debian/version",
    name: "compareVersions agrees with dpkg --compare-versions (batches of pairs)",
    casesPerRun: BATCH,
    runsScale: 1 / BATCH,
    property: () =>
      fc.asyncProperty(fc.array(versionPair, { minLength: BATCH, maxLength: BATCH }), async (pairs) => {
        const want = await dpkgCompare(pairs);
        pairs.forEach(([a, b], i) => {
          const got = sign(compareVersions(a, b));
          if (got !== want[i]) throw new Error(`compareVersions(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${got}, dpkg says ${want[i]}`);
        });
      }),
  },
  {
    parser: "debian/version",
    name: "parseVersion accepts exactly what dpkg accepts without complaint (batches)",
    casesPerRun: BATCH,
    runsScale: 1 / BATCH,
    property: () =>
      fc.asyncProperty(fc.array(fc.oneof(debianVersion, nearVersion), { minLength: BATCH, maxLength: BATCH }), async (versions) => {
        const want = await dpkgValid(versions);
        versions.forEach((v, i) => {
          const got = typed([ErrorCode.DEFINITION_INVALID], () => parseVersion(v)) !== rejected;
          // dpkg reads the epoch with strtol, so "+0:1" and "-0:1" pass there; Policy's epoch is
          // an unsigned integer and parseVersion holds to that (the one deviation, on purpose).
          if (!got && want[i] && /^\s*[+-][0-9]*:/.test(v)) return;
          if (got !== want[i]) throw new Error(`parseVersion(${JSON.stringify(v)}) ${got ? "accepts" : "rejects"} it, dpkg ${want[i] ? "accepts" : "rejects"} it`);
        });
      }),
  },
  {
    parser: "debian/version",
    name: "parseVersion of a valid version splits it back into its parts",
    property: () =>
      fc.property(debianVersion, (v) => {
        const p = parseVersion(v);
        const back = `${v.includes(":") ? `${v.slice(0, v.indexOf(":"))}:` : ""}${p.upstream}${p.revision ? `-${p.revision}` : ""}`;
        return back === v && p.epoch === (v.includes(":") ? Number(v.slice(0, v.indexOf(":"))) : 0);
      }),
  },
  {
    parser: "debian/version",
    name: "parseVersion of any string returns or throws DEFINITION_INVALID",
    property: () =>
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), nearVersion), (v) => {
        typed([ErrorCode.DEFINITION_INVALID], () => parseVersion(v));
      }),
  },
  {
    parser: "debian/version",
    name: "compareVersions on any strings: never throws, reflexive, antisymmetric",
    property: () =>
      fc.property(fc.oneof(fc.tuple(fc.string(), fc.string()), fc.tuple(nearVersion, nearVersion), versionPair), ([a, b]) => {
        const ab = compareVersions(a, b);
        return Number.isFinite(ab) && compareVersions(a, a) === 0 && sign(ab) === -sign(compareVersions(b, a));
      }),
  },
  {
    parser: "debian/version",
    name: "compareVersions is transitive on valid versions",
    property: () =>
      fc.property(debianVersion, debianVersion, debianVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareVersions);
        return compareVersions(x!, y!) <= 0 && compareVersions(y!, z!) <= 0 && compareVersions(x!, z!) <= 0;
      }),
  },
];
