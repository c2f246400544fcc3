// Test support: the Packages indexes `apt-get update` left on this host, decompressed with apt's
// own helper (they are often .lz4, which cairn itself never needs to read).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const LISTS = "/var/lib/apt/lists";

export function hostArchitecture(): string {
  return execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
}

/** Every `*_binary-<arch>_Packages*` index on the host, main suite first; [] if there are none. */
export function hostPackagesIndexes(): { file: string; suite: string; component: string; text: string }[] {
  if (!existsSync(LISTS)) return [];
  const arch = hostArchitecture();
  const re = new RegExp(`_dists_([^_]+)_([^_]+)_binary-${arch}_Packages(\\.lz4|\\.gz|\\.xz|\\.zst)?$`);
  const found = readdirSync(LISTS)
    .map((f) => ({ f, m: re.exec(f) }))
    .filter((x) => x.m !== null)
    .map(({ f, m }) => ({ file: `${LISTS}/${f}`, suite: m![1]!, component: m![2]! }))
    .sort((a, b) => a.suite.length - b.suite.length || a.file.localeCompare(b.file));
  return found.map((x) => ({
    ...x,
    text: execFileSync("/usr/lib/apt/apt-helper", ["cat-file", x.file], { encoding: "utf8", maxBuffer: 1 << 30 }),
  }));
}

/** The host's bookworm main index as text, or undefined when apt has none. */
export function hostPackagesIndex(): string | undefined {
  return hostPackagesIndexes().find((x) => x.suite === "bookworm" && x.component === "main")?.text;
}
