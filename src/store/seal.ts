// What the cache says about itself ("these inputs made this layer", "this tree holds these files")
// is trusted only when sealed with a key kept outside the cache: whoever can write a shared cache
// directory cannot forge a record without the key. Blobs need no seal, they are named by their hash.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";

export interface Sealer {
  seal(text: string): string;
  opens(seal: string, text: string): boolean;
}

export function sealerFor(key: Uint8Array): Sealer {
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("hex");
  return {
    seal: mac,
    opens(seal, text) {
      const want = Buffer.from(mac(text), "hex");
      const got = Buffer.from(seal, "hex");
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}

/** For stores made without a key (unit tests, throwaway caches): records are sealed, but not secretly. */
export const UNKEYED: Sealer = sealerFor(Buffer.from("cairn: no cache key"));

/** Where this user's cache key is kept when CAIRN_CACHE_KEY is not set. */
export function cacheKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CONFIG_HOME"];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".config"), "cairn", "cache-key");
}

/**
 * The key: CAIRN_CACHE_KEY (a secret shared by the machines that share a cache), else this user's
 * key file, made with 32 random bytes the first time.
 */
export function loadCacheKey(env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const given = env["CAIRN_CACHE_KEY"];
  if (given !== undefined) {
    if (given.length < 16) {
      throw new CairnError(
        ErrorCode.USAGE,
        `CAIRN_CACHE_KEY is ${given.length} characters long; a cache key must be at least 16.`,
        "Set it to a long random secret, e.g. the output of `openssl rand -hex 32`, the same on every machine that shares the cache.",
      );
    }
    return Buffer.from(given, "utf8");
  }
  const file = cacheKeyFile(env);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(tmp, randomBytes(32).toString("hex"), { mode: 0o600 });
  // Two first runs at once: the first rename wins, and both read the winner's key back.
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return fs.readFileSync(file);
}
