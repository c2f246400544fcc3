// One download cache for the real and e2e tiers, shared by every test file and kept between runs:
// cairn's store is content-addressed and writes by temp file + rename, so test files running side
// by side may build into it at once, and a package is downloaded once per machine instead of once
// per test file. Tests about a cold or fresh cache (reproducibility from two fresh caches,
// downloads or --offline on an empty cache, a corrupted cache) keep a private one of their own.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The shared cache folder: $CAIRN_TEST_CACHE, or cairn-test-cache in the temp folder; made if missing. */
export function sharedCache(): string {
  const dir = resolve(process.env["CAIRN_TEST_CACHE"] || join(tmpdir(), "cairn-test-cache"));
  mkdirSync(dir, { recursive: true });
  return dir;
}
