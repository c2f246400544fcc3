// The content-addressed cache. Layout under the cache directory:
//   blobs/sha256/<hex>          any blob by its sha256 (debs, indexes, layer blobs)
//   trees/<key>/                a directory made once from its inputs (unpacked packages)
//   entries/<kind>/<key>.json   "hash of every input -> result" records, sealed (seal.ts)
//   tmp/                        staging for atomic writes
// Every write goes to tmp/ and is renamed into place, so a reader never sees half a file and two
// builds sharing the cache can both write the same thing: the last rename wins with equal bytes.
// Nothing read back is taken on trust: a blob is checked against its name, a record against its seal.
// Using a blob, tree or record sets its mtime, which is what `cairn cache gc` goes by.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { CairnError, ErrorCode } from "../errors.js";
import { UNKEYED, type Sealer } from "./seal.js";

export type Sha256Hex = string;

export function sha256Hex(data: Uint8Array | string): Sha256Hex {
  return createHash("sha256").update(data).digest("hex");
}

/** A key for an entry: the sha256 of a canonical JSON of every input. */
export function inputKey(inputs: unknown): Sha256Hex {
  return sha256Hex(canonicalJson(inputs));
}

/** JSON with object keys sorted, so equal values always give equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The value with every object's keys in sorted order (arrays keep theirs). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

export interface StoreOptions {
  /** Seals the records (default: UNKEYED, for tests and throwaway caches; the CLI passes the user's key). */
  sealer?: Sealer;
  /** Told of each record found unsealed or sealed with another key (then treated as absent). */
  onUntrusted?: (kind: string, key: string) => void;
}

export class Store {
  readonly root: string;
  private readonly sealer: Sealer;
  private readonly onUntrusted: (kind: string, key: string) => void;
  constructor(root: string, options: StoreOptions = {}) {
    this.root = path.resolve(root);
    this.sealer = options.sealer ?? UNKEYED;
    this.onUntrusted = options.onUntrusted ?? (() => {});
  }

  blobPath(hex: Sha256Hex): string {
    return path.join(this.root, "blobs", "sha256", hex);
  }

  async hasBlob(hex: Sha256Hex): Promise<boolean> {
    return markUsed(this.blobPath(hex));
  }

  /** The blob's bytes, checked against its name. */
  async readBlob(hex: Sha256Hex): Promise<Buffer> {
    const data = await fs.readFile(this.blobPath(hex));
    if (sha256Hex(data) !== hex) throw this.damagedBlob(hex);
    return data;
  }

  /** Store bytes; when `expected` is given the bytes must hash to it. Returns the sha256. */
  async writeBlob(data: Uint8Array, expected?: Sha256Hex, what?: string): Promise<Sha256Hex> {
    const hex = sha256Hex(data);
    if (expected && hex !== expected) throw checksumError(what ?? "a blob", expected, hex);
    if (await this.hasBlob(hex)) return hex;
    const tmp = await this.tempPath();
    await fs.writeFile(tmp, data);
    await this.commit(tmp, this.blobPath(hex));
    await this.sealBlobIdentity(hex);
    return hex;
  }

  /** Stream into the store, hashing on the way; verified against `expected` before it lands. */
  async writeBlobStream(input: Readable | AsyncIterable<Uint8Array>, expected?: Sha256Hex, what?: string): Promise<{ hex: Sha256Hex; size: number }> {
    const tmp = await this.tempPath();
    const hash = createHash("sha256");
    let size = 0;
    try {
      await pipeline(
        input,
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
    const hex = hash.digest("hex");
    if (expected && hex !== expected) {
      await fs.rm(tmp, { force: true });
      throw checksumError(what ?? "a download", expected, hex);
    }
    await this.commit(tmp, this.blobPath(hex));
    await this.sealBlobIdentity(hex);
    return { hex, size };
  }

  /** Whether the blob's bytes still hash to its name (a shared cache may have been written by anyone). */
  async blobIntact(hex: Sha256Hex): Promise<boolean> {
    if (await this.blobUntouched(hex)) return true;
    try {
      for await (const _ of this.hashedBlob(hex)) void _;
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Whether the blob is the very file whose bytes were last hashed to its name: its inode, size,
   * mtime and ctime as a sealed record has them. ctime cannot be set back from user space, so any
   * write since shows; the bytes need not be read again (a 40 MB image tar is 0.1 s of hashing).
   */
  private async blobUntouched(hex: Sha256Hex): Promise<boolean> {
    const now = fileIdentity(this.blobPath(hex));
    if (!now) return false;
    const known = await this.getEntry<{ identity: string }>("blob-check", hex, { markUse: false });
    return known?.identity === now;
  }

  /** Seals the blob's identity once its bytes are known to hash to its name (given: as it was before they were read). */
  private async sealBlobIdentity(hex: Sha256Hex, before = fileIdentity(this.blobPath(hex))): Promise<void> {
    if (before && fileIdentity(this.blobPath(hex)) === before) await this.putEntry("blob-check", hex, { identity: before });
  }

  /** Take a damaged blob out, so that it is fetched (or made) again. */
  async dropBlob(hex: Sha256Hex): Promise<void> {
    await fs.rm(this.blobPath(hex), { force: true });
  }

  /** Take a damaged tree out, so that it is made again. */
  async dropTree(key: string): Promise<void> {
    await this.removeAside(this.treePath(key));
  }

  /** A folder of the store removed: moved aside first (atomic for readers), opened up (sandbox roots are read-only), then removed. */
  async removeAside(dir: string): Promise<void> {
    const aside = await this.tempPath();
    if (!(await fs.rename(dir, aside).then(() => true, () => false))) return;
    await makeWritable(aside);
    await fs.rm(aside, { recursive: true, force: true });
  }

  /** The blob's bytes as a stream that fails at its end if they do not hash to its name. */
  openBlob(hex: Sha256Hex): Readable {
    return Readable.from(this.checkedBlob(hex));
  }

  private async *checkedBlob(hex: Sha256Hex): AsyncGenerator<Buffer> {
    if (await this.blobUntouched(hex)) yield* createReadStream(this.blobPath(hex), { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>;
    else yield* this.hashedBlob(hex);
  }

  /** The blob's bytes, hashed on the way: failing at the end if they are not its name's, sealing its identity if they are. */
  private async *hashedBlob(hex: Sha256Hex): AsyncGenerator<Buffer> {
    const file = this.blobPath(hex);
    const before = fileIdentity(file);
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
    if (hash.digest("hex") !== hex) throw this.damagedBlob(hex);
    await this.sealBlobIdentity(hex, before);
  }

  private damagedBlob(hex: Sha256Hex): CairnError {
    return new CairnError(
      ErrorCode.CACHE_DAMAGED,
      `The cache's blob ${this.blobPath(hex)} no longer matches its sha256 ${hex}: it was changed after it was stored.`,
      `Run \`cairn cache verify --repair --cache-dir ${this.root}\` to take out what was changed, then build again.`,
    );
  }

  /** Directory made once per key; `make` fills a fresh staging dir, which is then renamed in. */
  async tree(key: string, make: (dir: string) => Promise<void>): Promise<string> {
    const final = path.join(this.root, "trees", key);
    if (await markUsed(final)) return final;
    const tmp = await this.tempPath();
    await fs.mkdir(tmp, { recursive: true });
    try {
      await make(tmp);
      await fs.mkdir(path.dirname(final), { recursive: true });
      await fs.rename(tmp, final);
    } catch (e) {
      // Another build may have put the same tree in place first: theirs is as good as ours.
      const code = (e as NodeJS.ErrnoException).code;
      await fs.rm(tmp, { recursive: true, force: true });
      if ((code === "ENOTEMPTY" || code === "EEXIST") && (await exists(final))) return final;
      throw e;
    }
    return final;
  }

  treePath(key: string): string {
    return path.join(this.root, "trees", key);
  }

  /**
   * The record, if present and sealed with this store's key; anything else is a cache miss.
   * `markUse: false` for reads that are not a build using it (`cairn cache verify`).
   */
  async getEntry<T>(kind: string, key: string, o: { markUse?: boolean } = {}): Promise<T | undefined> {
    const file = this.entryPath(kind, key);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const opened = this.openRecord(kind, key, text);
    if (opened === undefined) return undefined;
    if (o.markUse !== false) await markUsed(file);
    return opened as T;
  }

  async putEntry(kind: string, key: string, value: unknown): Promise<void> {
    const tmp = await this.tempPath();
    await fs.writeFile(tmp, this.sealRecord(kind, key, value));
    await this.commit(tmp, this.entryPath(kind, key));
  }

  /** A record's file: its seal on the first line, its JSON on the second. */
  private sealRecord(kind: string, key: string, value: unknown): string {
    const json = JSON.stringify(value);
    return `${this.sealer.seal(`${kind}\0${key}\0${json}`)}\n${json}`;
  }

  /** The value of a record's file text, or undefined when damaged or not sealed with this key. */
  openRecord(kind: string, key: string, text: string): unknown {
    const r = this.readRecord(kind, key, text);
    if (r.status === "untrusted") this.onUntrusted(kind, key);
    return r.status === "ok" ? r.value : undefined;
  }

  /** A record's file text read: its value; or "untrusted" (sealed, not with this key, or changed); or "malformed". */
  readRecord(kind: string, key: string, text: string): { status: "ok"; value: unknown } | { status: "untrusted" | "malformed" } {
    const nl = text.indexOf("\n");
    const seal = text.slice(0, nl);
    const json = text.slice(nl + 1);
    // Not even the shape of a sealed record (an earlier cairn's, or damaged).
    if (nl !== 64 || !/^[0-9a-f]{64}$/.test(seal)) return { status: "malformed" };
    if (!this.sealer.opens(seal, `${kind}\0${key}\0${json}`)) return { status: "untrusted" };
    try {
      return { status: "ok", value: JSON.parse(json) };
    } catch {
      return { status: "malformed" };
    }
  }

  entryPath(kind: string, key: string): string {
    return path.join(this.root, "entries", kind, `${key}.json`);
  }

  /** A unique path under tmp/ (not created). */
  async tempPath(): Promise<string> {
    const dir = path.join(this.root, "tmp");
    await fs.mkdir(dir, { recursive: true });
    return path.join(dir, `${process.pid}-${randomBytes(6).toString("hex")}`);
  }

  private async commit(tmp: string, final: string): Promise<void> {
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(tmp, final);
  }
}

function checksumError(what: string, expected: string, actual: string): CairnError {
  return new CairnError(
    ErrorCode.BAD_CHECKSUM,
    `Checksum mismatch for ${what}: expected sha256 ${expected}, got ${actual}. Nothing was stored.`,
    "The mirror served different bytes than its signed index promises. Retry later or use another mirror; if the lock is stale, run `cairn lock` again.",
  );
}

async function makeWritable(dir: string): Promise<void> {
  const st = await fs.lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) await fs.chmod(dir, (st.mode & 0o7777) | 0o700);
  for (const name of await fs.readdir(dir)) await makeWritable(path.join(dir, name));
}

/** Blobs are read a MiB at a time: an image tar's layers in a few dozen reads, not hundreds. */
const READ_CHUNK = 1024 * 1024;

/**
 * A file's identity: device, inode, size, mtime and ctime in nanoseconds (undefined if it is not a
 * file). Unchanged, nothing was written to it since: ctime cannot be set back from user space.
 */
export function fileIdentity(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return st.isFile() ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Marked used at most every few minutes: the mark (mtime) is for `cache gc`, which takes out
 * nothing used within the hour, and each mark moves the file's ctime, which blobUntouched reads.
 */
const MARK_EVERY_MS = 10 * 60 * 1000;

/** Whether p exists; if so its mtime becomes now (at most every MARK_EVERY_MS), the "last used" `cairn cache gc` goes by. */
async function markUsed(p: string): Promise<boolean> {
  const now = new Date();
  const st = await fs.stat(p).catch(() => undefined);
  if (!st) return false;
  const age = now.getTime() - st.mtimeMs;
  if (age >= 0 && age < MARK_EVERY_MS) return true;
  try {
    await fs.utimes(p, now, now);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A cache someone else owns, or one mounted read-only, is still read: only the mark is lost.
    if (code === "EPERM" || code === "EACCES" || code === "EROFS") return exists(p);
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
