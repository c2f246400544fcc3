// gzip, xz and zstd: real compressed streams (made by the host's gzip, xz and zstd once, so the
// inputs are what archives hold) decompress to what went in, and random, truncated or corrupted
// ones are rejected — a typed error, no hang, no crash — by decompressBuffer and decompressStream.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ErrorCode } from "../../src/errors.js";
import { decompressBuffer, decompressStream, type Compression } from "../../src/debian/decompress.js";
import { mutated } from "./bytes.js";
import { rejected, typedAsync, type FuzzProperty } from "./harness.js";

const KINDS = ["gz", "xz", "zst"] as const;
const TOOL = { gz: ["gzip", "-c"], xz: ["xz", "-c", "--check=crc64"], zst: ["zstd", "-c", "-q"] } as const;

interface Sample { kind: Compression; plain: Buffer; packed: Buffer }
let pool: Sample[] | undefined;
/** A few dozen payloads (empty, tiny, repetitive, random, multi-block) through each tool. */
function samples(): Sample[] {
  if (pool) return pool;
  const plains = [Buffer.alloc(0), Buffer.from("Package: a\n"), Buffer.alloc(5000, "ab"), randomBytes(300), randomBytes(70_000), Buffer.concat([Buffer.alloc(40_000), randomBytes(100)])];
  pool = KINDS.flatMap((kind) => plains.map((plain) => {
    const r = spawnSync(TOOL[kind][0], TOOL[kind].slice(1), { input: plain, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${TOOL[kind][0]} failed: ${r.stderr}`);
    return { kind, plain, packed: r.stdout };
  }));
  return pool;
}
interface Input { kind: Compression; bytes: Uint8Array; plain?: Buffer; packed?: Buffer }
/** Counterexamples name the sample and the damage, not 70 KB of bytes. */
const described = (i: Input, what: string): Input => Object.assign(i, { [fc.toStringMethod]: () => `${i.kind} ${what}, ${i.bytes.length} bytes: ${Buffer.from(i.bytes.subarray(0, 48)).toString("hex")}…` });
const damaged = fc.nat().chain((n) => {
  const s = samples()[n % samples().length]!;
  return mutated(fc.constant(Uint8Array.from(s.packed))).map((bytes) => described({ ...s, bytes }, `sample ${n % samples().length} (${s.plain.length} bytes plain, ${s.packed.length} packed), damaged`));
});
const anyInput: fc.Arbitrary<Input> = fc.oneof(
  damaged,
  fc.tuple(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 300 })).map(([kind, bytes]) => described({ kind, bytes }, "random")),
  // The right magic, then garbage: past the first check.
  fc.tuple(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 200 })).map(([kind, tail]) =>
    described({ kind, bytes: Uint8Array.from([...{ gz: [0x1f, 0x8b, 8, 0], xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4], zst: [0x28, 0xb5, 0x2f, 0xfd] }[kind], ...tail]) }, "magic then garbage"),
  ),
);

async function viaStream(kind: Compression, bytes: Uint8Array, chunk: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(Buffer.from(bytes.subarray(i, i + chunk)));
  const out: Buffer[] = [];
  for await (const c of decompressStream(kind, Readable.from(pieces))) out.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(out);
}

/**
 * Accepted output must be what went in: gzip and xz check a CRC of it. fzstd checks no content
 * checksum, so a damaged zstd stream can decode to other bytes; cairn only decompresses what
 * matched a SHA256 first (the Release's for indexes, the index's for a .deb), so only intact
 * zstd streams are held to it.
 */
function checkAccepted(what: string, i: Input, got: Uint8Array): void {
  const intact = i.packed !== undefined && Buffer.from(i.bytes).equals(i.packed);
  if (!i.plain || (i.kind === "zst" && !intact)) return;
  if (!Buffer.from(got).equals(i.plain)) throw new Error(`${what} of ${intact ? "an intact" : "a damaged"} stream gave ${got.length} bytes, not the ${i.plain.length} that went in`);
}

const CODES = [ErrorCode.INDEX_MISSING] as const;

/** A stream's rejection is an Error it emits (deb.ts makes it a BAD_DEB); anything else is a crash. */
async function streamOutcome(fn: () => Promise<Buffer>): Promise<Buffer | typeof rejected> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Error) return rejected;
    throw new Error(`decompressStream failed with a non-Error: ${String(e)}`);
  }
}

export const properties: FuzzProperty[] = [
  {
    parser: "debian/decompress",
    name: "decompressBuffer of real streams gives the payload; of damaged ones, the payload or INDEX_MISSING",
    property: () =>
      fc.asyncProperty(anyInput, async (i) => {
        const r = await typedAsync(CODES, () => decompressBuffer(i.kind, i.bytes));
        if (r === rejected && i.packed && Buffer.from(i.bytes).equals(i.packed)) throw new Error(`an intact ${i.kind} stream was rejected`);
        if (r !== rejected) checkAccepted("decompressBuffer", i, r);
      }),
  },
  {
    parser: "debian/decompress",
    name: "decompressStream (any chunking) of damaged streams ends with the payload or emits an Error, never hangs",
    quickRuns: 100,
    property: () =>
      fc.asyncProperty(anyInput, fc.integer({ min: 1, max: 4096 }), async (i, chunk) => {
        const r = await streamOutcome(() => viaStream(i.kind, i.bytes, chunk));
        if (r === rejected && i.packed && Buffer.from(i.bytes).equals(i.packed)) throw new Error(`an intact ${i.kind} stream was rejected`);
        if (r !== rejected) checkAccepted("decompressStream", i, r);
      }),
  },
];
