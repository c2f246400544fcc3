// What every stage of a build needs from the outside world, read once at the edge (the CLI) and
// passed in: the store, the network, the clock, the epoch, and where to report progress. Each
// stage declares the part it uses (DebianContext, StepContext); this is their union.
import type { DebianContext } from "../debian/context.js";
import type { StepContext } from "../steps/context.js";
import type { RegistryAccess } from "../transports/registry/credentials.js";
import type { Compressor } from "../image/compress.js";
import type { Timings } from "../timings.js";

export interface BuildContext extends DebianContext, StepContext {
  /** Credentials and TLS settings for a registry base images are pulled from, looked up at the edge; anonymous when absent. */
  registryAccess?: (registry: string) => Promise<RegistryAccess>;
  /** --compressor: how layers are stored, over what the definition says. */
  compressor?: Compressor;
  /** --timings: each phase's wall and CPU time, printed at the end. */
  timings?: Timings;
}
