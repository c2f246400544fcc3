// cairn's own code is an input of every build, as the builder is in Nix: cached images made by
// another version of cairn are not reused. The fingerprint is the hash of cairn's sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CAIRN_ROOT } from "../location.js";

let cached: string | undefined;

export function cairnFingerprint(): string {
  if (cached) return cached;
  // Not import.meta.url: in the bundle this code sits in dist/, whose parent is the whole repository.
  const src = path.join(CAIRN_ROOT, "src");
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).map((d) => d).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.name.endsWith(".ts") && !name.name.endsWith(".test.ts")) h.update(path.relative(src, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(src);
  cached = h.digest("hex");
  return cached;
}
