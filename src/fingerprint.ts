// cairn's own code is an input of every build, as the builder is in Nix: cached images made by
// another version of cairn are not reused. The fingerprint is the hash of the sources that shape
// an image's bytes; the code that only reads images (inspect), writes them out or pushes them
// (transports), loads definitions (load) and the command line are left out, so an edit there keeps every cached layer.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CAIRN_ROOT } from "./location.js";

/** The folders of src/ whose code decides what goes into an image. */
export const IMAGE_SHAPING = ["build", "closure", "debian", "define", "fs", "image", "sandbox", "steps", "store"] as const;

const cached = new Map<string, string>();

export function cairnFingerprint(folders: readonly string[] = IMAGE_SHAPING): string {
  const key = folders.join("\0");
  // Not import.meta.url: in the bundle this code sits in dist/, whose parent is the whole repository.
  if (!cached.has(key)) cached.set(key, fingerprintOf(path.join(CAIRN_ROOT, "src"), folders));
  return cached.get(key)!;
}

/** The hash of every non-test .ts file under the given folders of `src` (default: the image-shaping ones). */
export function fingerprintOf(src: string, folders: readonly string[] = IMAGE_SHAPING): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.name.endsWith(".ts") && !name.name.endsWith(".test.ts") && !name.name.endsWith(".test-helper.ts")) {
        h.update(path.relative(src, p)).update("\0").update(readFileSync(p)).update("\0");
      }
    }
  };
  for (const folder of folders) walk(path.join(src, folder));
  return h.digest("hex");
}
