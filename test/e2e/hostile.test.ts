// Hostile packages served by a properly signed archive: a control.tar that expands to gigabytes,
// a data.tar with more entries than any real package, one far bigger than its Installed-Size, one
// writing through its own symlink. The real cairn executable must refuse each with exit code 1 and
// one error naming the package, its version and where it came from — within bounded memory.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_LIMITS } from "../../src/debian/deb.js";
import { writeHandMadeDeb, type TarItem } from "../../src/debian/hostile-debs.test-helper.js";
import { CAIRN_BIN, cairn, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { makeRepo, type PkgSpec, type Repo } from "../support/signed-repo.js";

let repo: Repo;
let work: string;
let cache: string;

const GiB = 2 ** 30;
const control = (name: string, extra = "") => `Package: ${name}\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: cairn tests <tests@cairn.invalid>\n${extra}Description: hostile\n`;

function* links(n: number): Generator<TarItem> {
  for (let i = 0; i < n; i++) yield { name: `./usr/share/many/l${i}`, type: "symlink", linkname: "target" };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "cairn-hostile-"));
  // A private cache: these blobs are nobody else's business.
  cache = join(work, "cache");
  const debs: [string, Parameters<typeof writeHandMadeDeb>[1]][] = [
    ["control-bomb", { control: control("control-bomb"), controlExtra: [{ name: "./bomb", zeros: 3 * GiB }], data: [] }],
    ["many-entries", { control: control("many-entries"), data: links(DEFAULT_LIMITS.maxEntries + 1) }],
    ["oversized", { control: control("oversized", "Installed-Size: 4\n"), data: [{ name: "./usr/share/oversized/blob", zeros: 100 * 2 ** 20 }] }],
    ["through-link", { control: control("through-link"), data: [{ name: "./etc/x", type: "symlink", linkname: "/tmp" }, { name: "./etc/x/evil", content: "escaped\n" }] }],
  ];
  const packages: PkgSpec[] = [];
  for (const [name, deb] of debs) {
    const file = join(work, `${name}.deb`);
    await writeHandMadeDeb(file, deb);
    packages.push({ name, version: "1.0-1", deb: file });
  }
  repo = await makeRepo({ packages });
});

after(async () => {
  await repo?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const definition = (pkg: string) => `import { buildImage, debian } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
export const x = buildImage({ name: "x", contents: [pkgs(${JSON.stringify(pkg)})] });
`;

/** Build the one-package image; returns stderr and the peak RSS (KiB) GNU time measured. */
async function buildRefused(pkg: string, code: string, why: RegExp): Promise<{ stderr: string; maxRssKiB?: number }> {
  const dir = await project({ "image.ts": definition(pkg) });
  const timed = existsSync("/usr/bin/time");
  const r = timed
    ? await command("/usr/bin/time", ["-v", process.execPath, CAIRN_BIN, "build", "--cache-dir", cache, "--no-typecheck"], { cwd: dir, allowFail: true, timeoutMs: 300_000 })
    : await cairn(["build", "--cache-dir", cache, "--no-typecheck"], { cwd: dir });
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}\n${r.stderr}`);
  const line = r.stderr.split("\n").find((l) => l.includes("error[")) ?? "";
  assert.match(line, new RegExp(`error\\[${code}\\]`), r.stderr);
  // Named as the user would fetch it: the archive's URL, not the cache's file.
  const url = repo.url + repo.debs.find((d) => d.name === pkg)!.filename;
  assert.ok(line.includes(`The package ${pkg} 1.0-1 (${url}) is malformed`), line);
  assert.match(line, why);
  assert.doesNotMatch(r.stderr, /delete/i, "no advice to delete a cached file: the archive serves these bytes");
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  assert.equal(existsSync(join(dir, "result")), false);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  if (rss) process.stderr.write(`# ${pkg} build: peak RSS ${(Number(rss) / 1024).toFixed(0)} MiB\n`);
  return { stderr: r.stderr, maxRssKiB: rss ? Number(rss) : undefined };
}

describe("hostile packages are refused, bounded and named", () => {
  test("a 3 GiB control.tar in a 3 MB .deb: refused at 16 MiB, memory stays small", async () => {
    const { maxRssKiB } = await buildRefused("control-bomb", "CAIRN_E111", /control\.tar\.gz expands to more than 16 MiB/);
    if (maxRssKiB !== undefined) {
      assert.ok(maxRssKiB < 600 * 1024, `peak RSS ${maxRssKiB} KiB`);
    }
  });

  test("more data.tar entries than the limit", async () => {
    await buildRefused("many-entries", "CAIRN_E111", new RegExp(`data\\.tar\\.gz holds more than ${DEFAULT_LIMITS.maxEntries} entries`));
  });

  test("a data.tar far bigger than its Installed-Size", async () => {
    await buildRefused("oversized", "CAIRN_E111", /unpacks to more than the 64 MiB its Installed-Size of 4 KiB allows \(at "\.\/usr\/share\/oversized\/blob"\)/);
  });

  test("a file beneath the package's own symlink", async () => {
    await buildRefused("through-link", "CAIRN_E108", /"etc\/x\/evil" lies beneath "etc\/x", a symlink in the same package/);
  });
});
