// What the Debian stage needs from the outside world, read once at the edge (the CLI) and passed in.
import type { Reporter } from "../report.js";
import type { Store } from "../store/store.js";
import type { DebLimits } from "./deb-limits.js";
import type { Fetcher } from "./http.js";

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
}
