// What build steps and derivations need from the outside world.
import type { FsEntry } from "../fs/types.js";
import type { Reporter } from "../report.js";
import type { RemoteStore } from "../store/remote.js";
import type { Store } from "../store/store.js";

export interface StepContext {
  store: Store;
  reporter: Reporter;
  /** Seconds since 1970 for every file time and the config's `created` (SOURCE_DATE_EPOCH or 0). */
  epoch: number;
  /** A store on a registry (`--store`): read before doing work, and written to with `--store-push`. */
  remote?: RemoteStore;
}

/** The tools a step or derivation runs with, made by the build from its locked environment. */
export interface Tools {
  /** The tool packages' sha256s: part of the step's cache key. */
  hashes: string[];
  /** Their Debian architecture: a step for another CPU than the host's runs under qemu-user. */
  architecture: string;
  /** The tools' files (packages unpacked and assembled), made when the step really runs. */
  entries(): Promise<FsEntry[]>;
}
