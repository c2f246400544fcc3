// Two layer tars entry by entry: every header field a tar carries (type, mode, owner, names, mtime,
// size, link target, PAX records), the content's sha256, and the order — what makes two builds of
// one layer differ when their digests do.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CairnError, ErrorCode } from "../errors.js";

export interface TarRecord {
  /** Position in the tar, from 0. */
  index: number;
  /** As in the header, without a leading `./` or a trailing `/`. */
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  /** PAX records other than those that only carry a long path, link or size. */
  pax?: Record<string, string>;
  /** sha256 (hex) of the content, for regular files. */
  sha256?: string;
}

/** Every entry of a layer tar; a tar that cannot be read is a BAD_REFERENCE (the image given is damaged). */
export async function readTarRecords(tar: Readable): Promise<TarRecord[]> {
  try {
    return await readRecords(tar);
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw new CairnError(ErrorCode.BAD_REFERENCE, `A layer of the image is not a readable tar: ${(e as Error)?.message ?? String(e)}.`,
      "The image tar is damaged: build or save it again.", { cause: e });
  }
}

async function readRecords(tar: Readable): Promise<TarRecord[]> {
  const tarStream = await import("tar-stream");
  const extract = tarStream.extract();
  const feeding = pipeline(tar, extract);
  feeding.catch(() => {});
  const out: TarRecord[] = [];
  for await (const item of extract) {
    const h = item.header;
    const type = h.type ?? "file";
    let sha256: string | undefined;
    if (type === "file" || type === "contiguous-file") {
      const hash = createHash("sha256");
      for await (const c of item as unknown as AsyncIterable<Buffer>) hash.update(c);
      sha256 = hash.digest("hex");
    } else {
      item.resume();
    }
    const pax = Object.fromEntries(Object.entries((h as { pax?: Record<string, string> }).pax ?? {}).filter(([k]) => !["path", "linkpath", "size"].includes(k)));
    out.push({
      index: out.length, path: h.name.replace(/^\.\//, "").replace(/\/+$/, "") || ".", type,
      mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, uname: h.uname ?? "", gname: h.gname ?? "",
      mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0, size: h.size ?? 0,
      ...(h.linkname ? { linkname: h.linkname } : {}), ...(Object.keys(pax).length ? { pax } : {}), ...(sha256 ? { sha256 } : {}),
    });
  }
  await feeding;
  return out;
}

export type EntryField = "type" | "content" | "size" | "mode" | "owner" | "owner names" | "mtime" | "link target" | "pax" | "position";

export interface EntryDifference {
  path: string;
  change: "only in A" | "only in B" | "differs";
  /** For "differs": each field that differs, with both values as text. */
  fields: { field: EntryField; a: string; b: string }[];
}

/**
 * Entries of A and B that differ, in A's order (then B's extra entries). When both tars hold the
 * same entries with the same fields, the first entry out of place is reported as "position".
 */
export function compareTarRecords(a: TarRecord[], b: TarRecord[]): EntryDifference[] {
  const inB = new Map(b.map((r) => [r.path, r]));
  const inA = new Set(a.map((r) => r.path));
  const out: EntryDifference[] = [];
  for (const ra of a) {
    const rb = inB.get(ra.path);
    if (!rb) {
      out.push({ path: ra.path, change: "only in A", fields: [] });
      continue;
    }
    const fields = fieldDifferences(ra, rb);
    if (fields.length) out.push({ path: ra.path, change: "differs", fields });
  }
  for (const rb of b) if (!inA.has(rb.path)) out.push({ path: rb.path, change: "only in B", fields: [] });
  if (!out.length) {
    const i = a.findIndex((r, k) => b[k]?.path !== r.path);
    if (i >= 0) out.push({ path: a[i]!.path, change: "differs", fields: [{ field: "position", a: `#${i}`, b: `#${inB.get(a[i]!.path)!.index}` }] });
  }
  return out;
}

function fieldDifferences(a: TarRecord, b: TarRecord): EntryDifference["fields"] {
  const out: EntryDifference["fields"] = [];
  const add = (field: EntryField, x: string, y: string) => {
    if (x !== y) out.push({ field, a: x, b: y });
  };
  add("type", a.type, b.type);
  if (a.sha256 && b.sha256) add("content", `sha256:${a.sha256.slice(0, 12)}…`, `sha256:${b.sha256.slice(0, 12)}…`);
  add("size", String(a.size), String(b.size));
  add("mode", octal(a.mode), octal(b.mode));
  add("owner", `${a.uid}:${a.gid}`, `${b.uid}:${b.gid}`);
  add("owner names", `${a.uname}:${a.gname}`, `${b.uname}:${b.gname}`);
  add("mtime", String(a.mtime), String(b.mtime));
  add("link target", a.linkname ?? "", b.linkname ?? "");
  add("pax", JSON.stringify(a.pax ?? {}), JSON.stringify(b.pax ?? {}));
  return out;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
