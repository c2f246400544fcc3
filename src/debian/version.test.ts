import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareVersions, parseVersion, satisfies } from "./version.js";
import { isCairnError } from "../errors.js";

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

test("parseVersion splits epoch, upstream and revision", () => {
  assert.deepEqual(parseVersion("5:7.0.15-1~deb12u1"), { epoch: 5, upstream: "7.0.15", revision: "1~deb12u1" });
  assert.deepEqual(parseVersion("2.36"), { epoch: 0, upstream: "2.36", revision: "" });
  // The revision is after the *last* hyphen; upstream may hold hyphens and colons (with an epoch).
  assert.deepEqual(parseVersion("1:2.0-rc1-3"), { epoch: 1, upstream: "2.0-rc1", revision: "3" });
  assert.deepEqual(parseVersion("1:2:3-4"), { epoch: 1, upstream: "2:3", revision: "4" });
});

test("parseVersion rejects invalid versions with a CairnError naming them", () => {
  for (const bad of ["", "a1.0", "1.0-", "x:1.0", "1:", "1.0 beta", "1.0_2", "1.0-a_b", "-1"]) {
    assert.throws(
      () => parseVersion(bad),
      (e: unknown) => isCairnError(e) && e.message.includes(`"${bad}"`),
      `expected ${JSON.stringify(bad)} to be rejected`,
    );
  }
});

test("compareVersions: hand-checked cases from Policy 5.6.12", () => {
  const lt: [string, string][] = [
    ["1.0~rc1", "1.0"],
    ["1.0~~", "1.0~"],
    ["1.0~", "1.0"],
    ["1.0", "1.0a"],
    ["1.0a", "1.0+"], // letters sort before non-letters
    ["1.0", "1.0.1"],
    ["1.9", "1.10"],
    ["1:1.0", "2:0.1"],
    ["9.9", "1:0.1"],
    ["5:7.0.15-1", "5:7.0.15-1+deb12u1"],
    ["5:7.0.15-1~deb12u1", "5:7.0.15-1"],
    ["2.36-9", "2.36-9+deb12u4"],
    ["1.0-1", "1.0-1.1"],
    ["18446744073709551615", "18446744073709551616"], // digit runs longer than any int
  ];
  for (const [a, b] of lt) {
    assert.ok(compareVersions(a, b) < 0, `${a} < ${b}`);
    assert.ok(compareVersions(b, a) > 0, `${b} > ${a}`);
  }
  for (const [a, b] of [["1.0", "1.0-0"], ["0:1.0", "1.0"], ["1.001", "1.1"], ["1.0-00", "1.0"]]) {
    assert.equal(compareVersions(a!, b!), 0, `${a} = ${b}`);
  }
});

test("satisfies applies each operator", () => {
  assert.equal(satisfies("2.36-9", ">=", "2.36"), true);
  assert.equal(satisfies("2.35", ">=", "2.36"), false);
  assert.equal(satisfies("2.36", ">>", "2.36"), false);
  assert.equal(satisfies("2.36.1", ">>", "2.36"), true);
  assert.equal(satisfies("2.36~rc", "<<", "2.36"), true);
  assert.equal(satisfies("2.36", "<=", "2.36"), true);
  assert.equal(satisfies("0:2.36", "=", "2.36"), true);
  assert.equal(satisfies("2.36", "=", "2.36-1"), false);
  assert.equal(satisfies("anything", undefined, undefined), true);
});

// A small deterministic generator (mulberry32) so failures are reproducible.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatePairs(n: number): [string, string][] {
  const r = rng(20261121);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const frag = (first: boolean): string => {
    const parts = [String(Math.floor(r() * 12))];
    const len = Math.floor(r() * 4);
    for (let i = 0; i < len; i++) {
      parts.push(pick([".", "~", "+", "", ".", "~~"]), pick(["", "a", "b", "rc", "Z", "deb", "0", "00", "1", "10", "9"]));
      if (r() < 0.5) parts.push(String(Math.floor(r() * 20)));
    }
    const s = parts.join("");
    return first ? s : s.replace(/^[^A-Za-z0-9]+/, "") || "0";
  };
  const version = (): string => {
    let v = frag(true);
    if (r() < 0.25) v = `${pick(["0", "1", "2", "5", "10"])}:${v}`;
    if (r() < 0.6) v = `${v}-${frag(false)}${r() < 0.3 ? pick(["~deb12u1", "+deb12u4", "+b1", "~bpo12+1"]) : ""}`;
    return v;
  };
  const mutate = (v: string): string =>
    pick([
      () => `${v}~`,
      () => `${v}+b1`,
      () => `${v}a`,
      () => `${v}.0`,
      () => v.replace(/\d+/, (d) => String(Number(d) + 1)),
      () => v.replace(/~/, "+"),
      () => (v.includes(":") ? v.replace(/^\d+:/, "") : `1:${v}`),
      () => (v.includes("-") ? v.replace(/-[^-]*$/, "") : `${v}-0`),
    ])();
  const pairs: [string, string][] = [
    ["5:7.0.15-1~deb12u1", "5:7.0.15-1"],
    ["2.36-9+deb12u4", "2.36-9+deb12u10"],
    ["3.0.11-1~deb12u2", "3.0.15-1~deb12u1"],
    ["1:9.18.28-1~deb12u2", "1:9.18.33-1~deb12u2"],
    ["7.88.1-10+deb12u5", "7.88.1-10+deb12u12"],
    ["252.30-1~deb12u2", "252.38-1~deb12u1"],
    ["1.0~rc1~git1", "1.0~rc1"],
  ];
  while (pairs.length < n) {
    const a = version();
    pairs.push(r() < 0.5 ? [a, mutate(a)] : [a, version()]);
  }
  return pairs;
}

test("compareVersions agrees with dpkg --compare-versions on generated pairs", (t) => {
  const pairs = generatePairs(400);
  const dir = mkdtempSync(join(tmpdir(), "cairn-version-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "pairs"), pairs.map(([a, b]) => `${a} ${b}\n`).join(""));
  // One shell for all pairs: dpkg is still spawned per pair, but node spawns only once.
  const script = `while read -r a b; do
    if dpkg --compare-versions "$a" lt "$b"; then echo -1;
    elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi
  done < "$1"`;
  const r = spawnSync("sh", ["-c", script, "sh", join(dir, "pairs")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", "dpkg warned about a generated version");
  const expected = r.stdout.trim().split("\n").map(Number);
  assert.equal(expected.length, pairs.length);
  const wrong = pairs
    .map(([a, b], i) => ({ a, b, dpkg: expected[i], ours: sign(compareVersions(a, b)) }))
    .filter((x) => x.dpkg !== x.ours);
  assert.deepEqual(wrong, []);
  // The generator must exercise all three outcomes, or the comparison above proves little.
  for (const o of [-1, 0, 1]) assert.ok(expected.filter((x) => x === o).length >= 5, `outcome ${o} too rare`);
});
