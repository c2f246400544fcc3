// The OCI image config: what the container runs and which layers (by diffID) make its root
// filesystem. Its bytes are a pure function of the inputs — canonical JSON, a fixed `created` —
// because its digest is the image ID and feeds the manifest digest.
import { DEFAULT_PATH } from "../closure/programs.js";
import { canonicalJson } from "../store/store.js";
import type { ContainerConfig, DiffId } from "./types.js";

export interface HistoryEntry {
  created_by?: string;
  comment?: string;
  /** True for an entry that made no layer (e.g. setting Env); it then has no diffID. */
  empty_layer?: boolean;
}

export interface ConfigArgs {
  config: ContainerConfig;
  /** diffIDs of the layers, bottom first. */
  diffIds: DiffId[];
  /** RFC 3339 time stamped on the image and every history entry. */
  created: string;
  /** GOARCH spelling: amd64, arm64, … */
  architecture: string;
  os: string;
  /** One entry per layer (plus any empty_layer entries); default: one bare entry per layer. */
  history?: HistoryEntry[];
}

/** Debian's images set this PATH; a user's Env adds to it rather than replacing it. */

export function buildConfig(args: ConfigArgs): Buffer {
  if (!RFC3339.test(args.created)) {
    throw new Error(`buildConfig: created must be an RFC 3339 time such as 1970-01-01T00:00:00Z, got ${JSON.stringify(args.created)}`);
  }
  const history = (args.history ?? args.diffIds.map((): HistoryEntry => ({}))).map((h) => ({ ...h, created: args.created }));
  const layered = history.filter((h) => !h.empty_layer).length;
  if (layered !== args.diffIds.length) {
    throw new Error(`buildConfig: ${layered} history entries make layers but there are ${args.diffIds.length} diffIDs`);
  }
  const image = {
    architecture: args.architecture,
    os: args.os,
    created: args.created,
    config: pruneEmpty(args.config),
    rootfs: { type: "layers", diff_ids: args.diffIds },
    history,
  };
  return Buffer.from(canonicalJson(image), "utf8");
}

/**
 * The image's Env: the defaults first (unless the user sets the same variable), then the user's
 * entries in their order. A variable's name is what comes before the first `=`.
 */
export function defaultEnv(env: string[] | undefined): string[] {
  const user = env ?? [];
  const userNames = new Set(user.map(envName));
  return [...[DEFAULT_PATH].filter((d) => !userNames.has(envName(d))), ...user];
}

function envName(entry: string): string {
  const i = entry.indexOf("=");
  return i < 0 ? entry : entry.slice(0, i);
}

// Leaving out empty keys keeps `{}` and `{Env: []}` from giving two different image IDs.
function pruneEmpty(config: ContainerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
