// The examples' cairn.lock files against the mirror, which drops superseded versions at every
// point release. `--update` (npm run relock-examples) locks every example afresh: the command to
// run and commit when they go stale. `--repair` (what `npm test` runs before the real tier) looks
// up each pinned .deb the test cache lacks in the sources' indexes, and when some are gone moves just those
// packages (`cairn lock --update PKG…`) in this checkout, saying so — so that no test depends on
// a version staying on the mirror, and the note says what to commit.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadUniverse } from "../src/debian/archive.js";
import { httpFetcher } from "../src/debian/http.js";
import type { LockFile } from "../src/debian/lockfile.js";
import type { Universe } from "../src/debian/universe.js";
import type { DebianSetSpec } from "../src/define/spec.js";
import { silentReporter } from "../src/report.js";
import { Store } from "../src/store/store.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CAIRN = join(ROOT, "bin/cairn.js");
const mode = process.argv[2];
if (mode !== "--update" && mode !== "--repair") {
  process.stderr.write("usage: tsx scripts/examples-locks.ts --update | --repair\n");
  process.exit(2);
}
const cache = resolve(process.env["CAIRN_TEST_CACHE"] || join(tmpdir(), "cairn-test-cache"));
const examples = readdirSync(join(ROOT, "examples")).filter((d) => existsSync(join(ROOT, "examples", d, "cairn.lock"))).sort();

function cairn(args: string[]): void {
  const r = spawnSync(process.execPath, [CAIRN, ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write(`examples-locks: cairn ${args.join(" ")} failed (exit ${r.status})\n`);
    process.exit(1);
  }
}

// The sources' indexes, read as cairn reads them (verified, cached in the test cache): a pinned
// version the index no longer lists is gone from the pool, or soon will be.
const store = new Store(join(cache, "examples-locks"));
const ctx = { store, fetcher: httpFetcher(), now: new Date(), offline: false, aptDir: process.env["CAIRN_APT_DIR"] ?? "/etc/apt", reporter: silentReporter };
const universes = new Map<string, Promise<Universe>>();

function universeOf(sources: unknown, architecture: string): Promise<Universe> {
  const id = JSON.stringify([sources, architecture]);
  if (!universes.has(id)) {
    const sets: DebianSetSpec[] = (sources as { host?: boolean; suite?: string | null; sources?: DebianSetSpec["sources"] }[]).map((s) => ({
      kind: "debian-set", architecture, checkValidUntil: true, ...(s.sources ? { sources: s.sources } : {}), ...(s.suite ? { suite: s.suite } : {}),
    }));
    universes.set(id, loadUniverse(sets, ctx).then((u) => u.universe));
  }
  return universes.get(id)!;
}

async function gone(lock: LockFile): Promise<string[]> {
  const names = new Set<string>();
  for (const image of Object.values(lock.images)) {
    const universe = await universeOf(image.request.sources, image.request.architecture);
    for (const key of image.packages) {
      const p = lock.packages[key];
      if (!p || existsSync(join(cache, "blobs", "sha256", p.sha256))) continue;
      if (universe.get(p.name, p.version)?.sha256 !== p.sha256) names.add(p.name);
    }
  }
  return [...names].sort();
}

for (const name of examples) {
  const def = join(ROOT, "examples", name, "image.ts");
  if (mode === "--update") {
    cairn(["lock", def, "--no-changelog", "-q"]);
    continue;
  }
  const lock = JSON.parse(await readFile(join(ROOT, "examples", name, "cairn.lock"), "utf8")) as LockFile;

  let missing: string[];
  try {
    missing = await gone(lock);
  } catch (e) {
    // A mirror that cannot be read now is the tests' to report, not this check's.
    process.stderr.write(`examples-locks: could not check examples/${name}/cairn.lock against the sources: ${(e as Error).message}\n`);
    continue;
  }

  if (!missing.length) continue;
  process.stderr.write(`examples-locks: examples/${name}/cairn.lock pins versions the mirror no longer serves (${missing.join(", ")}); moving just those for this run. Run \`npm run relock-examples\` and commit the locks.\n`);
  cairn(["lock", def, "--update", ...missing, "--no-changelog"]);
}
