// Tar reading (tar-stream, as cairn's readers use it) and cairn's own writer: damaged tars are
// rejected, never crash or hang; GNU long names and PAX paths are read whole; and whatever
// writeTar writes — long and non-ASCII paths, every mode, big ids, symlinks, hardlinks — reads
// back with the same header fields and content.
import fc from "fast-check";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { ErrorCode } from "../../src/errors.js";
import { readTarRecords } from "../../src/inspect/verify-tar.js";
import { sortTarPaths, writeTar, type TarEntry } from "../../src/image/tar.js";
import { mutated, tarArchive, type TarMember } from "./bytes.js";
import { rejected, typedAsync, type FuzzProperty } from "./harness.js";

const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
  fc.constantFrom("x".repeat(60), "y".repeat(99), "é".repeat(30)),
).filter((s) => !s.includes("/") && !s.includes("\0") && s !== "." && s !== "..");
const tarPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((a) => a.join("/"));
const content = fc.uint8Array({ maxLength: 1200 });

const member: fc.Arbitrary<TarMember> = fc.record({
  name: tarPath,
  type: fc.constantFrom("file", "dir", "symlink" as const),
  linkname: tarPath,
  data: content,
  longNames: fc.constantFrom("gnu", "pax" as const),
}).map((m) => (m.type === "symlink" ? m : { ...m, linkname: undefined }));
const handTar = fc.array(member, { maxLength: 4 });

/** readTarRecords, or undefined when it rejected with BAD_REFERENCE (a damaged layer). */
async function readBack(bytes: Uint8Array) {
  const r = await typedAsync([ErrorCode.BAD_REFERENCE], () => readTarRecords(Readable.from([Buffer.from(bytes)])));
  return r === rejected ? undefined : r;
}

const entry: fc.Arbitrary<Omit<TarEntry, "content"> & { data?: Uint8Array }> = fc
  .record({
    path: tarPath,
    type: fc.constantFrom("file", "dir", "symlink" as const),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: fc.oneof(fc.nat(70000), fc.constant(0o7777777 + 1), fc.nat({ max: Number.MAX_SAFE_INTEGER })),
    gid: fc.oneof(fc.nat(70000), fc.constant(0o7777777)),
    mtime: fc.oneof(fc.nat(2 ** 33), fc.constant(0o77777777777 + 1)),
    linkname: tarPath,
    data: content,
  })
  .map((e) => (e.type === "file" ? { ...e, linkname: undefined, size: e.data.length } : e.type === "symlink" ? { ...e, data: undefined } : { ...e, data: undefined, linkname: undefined }));
/** Sorted, unique by path, and no entry beneath a non-directory (as layers are). */
const entries = fc.uniqueArray(entry, { maxLength: 6, selector: (e) => e.path }).map((es) => {
  const sorted = es.sort((a, b) => sortTarPaths(a.path, b.path));
  // A hardlink to the first file, when there is one before it.
  const firstFile = sorted.findIndex((e) => e.type === "file");
  const last = sorted.length - 1;
  if (firstFile >= 0 && last > firstFile && sorted[last]!.type !== "dir") sorted[last] = { ...sorted[last]!, type: "hardlink", linkname: sorted[firstFile]!.path, data: undefined, size: undefined };
  return sorted;
});

async function tarBytes(es: (Omit<TarEntry, "content"> & { data?: Uint8Array })[]): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const full = es.map(({ data, ...e }): TarEntry => (data ? { ...e, content: async function* () { yield data; } } : e));
  for await (const c of writeTar(full)) chunks.push(Uint8Array.from(c));
  return Buffer.concat(chunks);
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const TYPES = { file: "file", dir: "directory", symlink: "symlink", hardlink: "link" } as const;

export const properties: FuzzProperty[] = [
  {
    parser: "tar/read",
    name: "readTarRecords of any or damaged tar bytes reads entries or rejects, never crashes or hangs",
    property: () =>
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 1600 }), mutated(handTar.map(tarArchive))), async (bytes) => {
        await readBack(bytes);
      }),
  },
  {
    parser: "tar/read",
    name: "GNU long names and PAX paths are read whole",
    property: () =>
      fc.asyncProperty(handTar, async (ms) => {
        const got = await readTarRecords(Readable.from([tarArchive(ms)]));
        const want = ms.map((m) => [m.name, m.type === "dir" ? "directory" : m.type, m.linkname ?? "", m.type === "file" ? sha(m.data ?? new Uint8Array()) : ""]);
        const seen = got.map((r) => [r.path, r.type, r.linkname ?? "", r.sha256 ?? ""]);
        if (JSON.stringify(seen) !== JSON.stringify(want)) throw new Error(`read ${JSON.stringify(seen)}`);
      }),
  },
  {
    parser: "tar/write",
    name: "writeTar output reads back with the same entries, fields and content",
    property: () =>
      fc.asyncProperty(entries, async (es) => {
        const bytes = await tarBytes(es);
        if (bytes.length % 512 !== 0) throw new Error(`the tar is ${bytes.length} bytes, not whole blocks`);
        const got = await readTarRecords(Readable.from([bytes]));
        const want = es.map((e) => ({
          path: e.path, type: TYPES[e.type], mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: e.type === "file" ? e.data!.length : 0,
          linkname: e.linkname ?? "", sha256: e.type === "file" ? sha(e.data!) : "",
        }));
        // tar-stream applies PAX path, linkpath and size to the header, and leaves uid, gid and mtime in the records.
        const pax = (r: (typeof got)[number], k: "uid" | "gid" | "mtime") => (r.pax?.[k] !== undefined ? Number(r.pax[k]) : r[k]);
        const seen = got.map((r) => ({ path: r.path, type: r.type, mode: r.mode, uid: pax(r, "uid"), gid: pax(r, "gid"), mtime: pax(r, "mtime"), size: r.size, linkname: r.linkname ?? "", sha256: r.sha256 ?? "" }));
        if (JSON.stringify(seen) !== JSON.stringify(want)) throw new Error(`read back ${JSON.stringify(seen)}\nwrote ${JSON.stringify(want)}`);
      }),
  },
];
