// What the Debian stage needs from the outside world, read once at the edge (the CLI) and passed in.
import type { Reporter } from "../report.js";
import type { Store } from "../store/store.js";
import type { DebLimits } from "./deb-limits.js";
import type { Fetcher } from "./http.js";
import type { LockedPackage } from "./lockfile.js";

/** A place a locked .deb may be had from, by its sha256: tried in order, the first with those bytes wins. */
export interface DebSource {
  /** How it is named in errors: "the mirror (URL)", "the registry store REF". */
  describe(p: LockedPackage): string;
  /** The bytes, or undefined when the place does not have them. Other failures throw. */
  open(p: LockedPackage): Promise<AsyncIterable<Uint8Array> | undefined>;
}

export interface DebianContext {
  store: Store;
  fetcher: Fetcher;
  /** Judge Release validity at this time. */
  now: Date;
  /** Use only what the cache holds. */
  offline: boolean;
  /** The host's apt configuration folder (normally /etc/apt). */
  aptDir: string;
  reporter: Reporter;
  /** The bounds a package is unpacked within (default DEFAULT_LIMITS), from --limit. */
  debLimits?: DebLimits;
  /** Places tried before the mirror for a .deb the store lacks (a registry store). */
  debSources?: DebSource[];
}
