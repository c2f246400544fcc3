// What every step of a build needs from the outside world, read once at the edge (the CLI) and
// passed in: the store, the network, the clock, the epoch, and where to report progress.
import type { DebLimits } from "../debian/deb-limits.js";
import type { Fetcher } from "../debian/http.js";
import type { RegistryAccess } from "../registry/credentials.js";
import type { Store } from "../store/store.js";

export interface Reporter {
  /** A note for people on stderr (progress, what was done); `-q` silences it. */
  info(message: string): void;
  /** Something the user should look at; printed even with `-q`. Printed as `cairn: warning: …`. */
  warn(message: string): void;
  /** A progress bar for a long step; returns a handle to advance and finish it. */
  progress(title: string, total: number, unit: "bytes" | "items"): Progress;
}

export interface Progress {
  advance(by: number): void;
  done(): void;
}

export interface BuildContext {
  store: Store;
  fetcher: Fetcher;
  /** Judge Release validity at this time. */
  now: Date;
  /** Seconds since 1970 for every file time and the config's `created` (SOURCE_DATE_EPOCH or 0). */
  epoch: number;
  /** Use only what the cache holds. */
  offline: boolean;
  /** The host's apt configuration folder (normally /etc/apt). */
  aptDir: string;
  reporter: Reporter;
  /** Credentials and TLS settings for a registry base images are pulled from, looked up at the edge; anonymous when absent. */
  registryAccess?: (registry: string) => Promise<RegistryAccess>;
  /** The bounds a package is unpacked within (default DEFAULT_LIMITS), from --limit. */
  debLimits?: DebLimits;
}

export const silentReporter: Reporter = {
  info() {},
  warn() {},
  progress: () => ({ advance() {}, done() {} }),
};
