// The project's cairn.config.json: settings a team shares through the repository instead of every
// command line (today, the registry store). Found in the current folder or the nearest folder
// above it; paths in it are relative to its own folder. Flags win over the environment, which
// wins over this file.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import type { StoreOptions } from "./main.js";

export const CONFIG_FILE = "cairn.config.json";

export interface ProjectConfig {
  /** Where it was read from. */
  file?: string;
  store?: StoreOptions;
}

/** The nearest cairn.config.json at or above `from`, checked; an empty config when there is none. */
export function loadProjectConfig(from: string = process.cwd()): ProjectConfig {
  let dir = path.resolve(from);
  for (;;) {
    const file = path.join(dir, CONFIG_FILE);
    if (existsSync(file)) return parseConfig(readFileSync(file, "utf8"), file);
    const up = path.dirname(dir);
    if (up === dir) return {};
    dir = up;
  }
}

export function parseConfig(text: string, file: string): ProjectConfig {
  const bad = (why: string): never => {
    throw new CairnError(ErrorCode.USAGE, `${file}: ${why}.`, `Fix it; it may hold { "store": { "ref": "HOST/REPO", "push": false, "key": "FILE", "trust": ["FILE.pub"] } }.`, { data: { path: file } });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (!isObject(json)) return bad("not a JSON object");
  for (const k of Object.keys(json)) if (k !== "store") bad(`"${k}" is not a setting cairn knows (known: store)`);
  if (json["store"] === undefined) return { file };
  const s = json["store"];
  if (!isObject(s)) return bad(`"store" must be an object`);
  for (const k of Object.keys(s)) if (!["ref", "push", "key", "trust"].includes(k)) bad(`"store.${k}" is not a setting cairn knows (known: ref, push, key, trust)`);
  const str = (k: string) => (s[k] === undefined ? undefined : typeof s[k] === "string" && s[k] ? (s[k] as string) : bad(`"store.${k}" must be a non-empty string`));
  const rel = (p: string) => path.resolve(path.dirname(file), p);
  const ref = str("ref");
  const key = str("key");
  if (s["push"] !== undefined && typeof s["push"] !== "boolean") bad(`"store.push" must be true or false`);
  if (s["trust"] !== undefined && !(Array.isArray(s["trust"]) && s["trust"].every((t) => typeof t === "string" && t))) bad(`"store.trust" must be a list of public key files`);
  return {
    file,
    store: {
      ...(ref ? { ref } : {}),
      ...(s["push"] !== undefined ? { push: s["push"] as boolean } : {}),
      ...(key ? { key: rel(key) } : {}),
      ...(s["trust"] ? { trust: (s["trust"] as string[]).map(rel) } : {}),
    },
  };
}
