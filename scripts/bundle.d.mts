// Types for scripts/bundle.mjs (plain JavaScript: it runs before any TypeScript tooling is loaded).
export interface BundleStamp {
  format: number;
  /** [path relative to the root, sha256, "inode:size:ctime:mtime"] of every source compiled into the bundle. */
  sources: [string, string, string][];
}
export interface BundleLocation {
  /** The folder holding src/ (default: this repository). */
  root?: string;
  /** Where the bundle goes (default: ROOT/dist). */
  outdir?: string;
}
export const ENTRIES: Record<"cli" | "api", string>;
export function bundle(where?: BundleLocation): Promise<BundleStamp>;
export function freshBundle(where?: BundleLocation): string | undefined;
