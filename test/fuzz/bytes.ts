// Byte-level makers for the container formats the fuzzers feed in: ar archives, tar headers
// (ustar, GNU long names, PAX records), and mutations of valid bytes (truncations, flips,
// splices), so most inputs are almost right and reach past the first header check.
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function arArchive(members: { name: string; data: Uint8Array }[], opts: { bsdNames?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from("!<arch>\n", "latin1")];
  for (const m of members) {
    // GNU names are printable ASCII up to 15 bytes, and "/" is its reserved symbol-table name: else BSD.
    const long = opts.bsdNames || Buffer.byteLength(m.name) > 15 || /[^\x20-\x7e]/.test(m.name) || m.name === "/";
    const nameBytes = Buffer.from(m.name, "utf8");
    const field = long ? `#1/${nameBytes.length}` : `${m.name}/`;
    const size = m.data.length + (long ? nameBytes.length : 0);
    const header = `${field.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(size).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, "latin1"));
    if (long) parts.push(nameBytes);
    parts.push(Buffer.from(m.data));
    if (size % 2) parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

interface RawHeader {
  name: string;
  typeflag: string;
  size?: number;
  mode?: number;
  linkname?: string;
  magic?: "ustar" | "gnu";
}

const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";

/** One 512-byte header block, name and linkname truncated to their fields, checksum right. */
export function tarHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(h.name, "utf8").copy(b, 0, 0, 100);
  b.write(octal(h.mode ?? 0o644, 8), 100, "latin1");
  b.write(octal(0, 8), 108, "latin1");
  b.write(octal(0, 8), 116, "latin1");
  b.write(octal(h.size ?? 0, 12), 124, "latin1");
  b.write(octal(0, 12), 136, "latin1");
  b.write(h.typeflag, 156, "latin1");
  Buffer.from(h.linkname ?? "", "utf8").copy(b, 157, 0, 100);
  if (h.magic === "gnu") b.write("ustar  \0", 257, "latin1");
  else b.write("ustar\x0000", 257, "latin1");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(octal(sum, 7), 148, "latin1");
  return b;
}

const pad = (data: Uint8Array) => Buffer.concat([Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512)]);

export interface TarMember {
  name: string;
  type: "file" | "dir" | "symlink";
  linkname?: string;
  data?: Uint8Array;
  /** How a name too long for ustar is carried. */
  longNames: "gnu" | "pax";
}

/** A tar with GNU ././@LongLink or PAX records for long or non-ASCII names and link targets. */
export function tarArchive(members: TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const name = m.type === "dir" ? m.name + "/" : m.name;
    const link = m.linkname ?? "";
    const long = (s: string) => Buffer.byteLength(s) > 99 || /[^\x00-\x7f]/.test(s);
    if (m.longNames === "gnu") {
      for (const [flag, value] of [["L", name], ["K", link]] as const) {
        if (!long(value)) continue;
        const body = Buffer.from(value + "\0", "utf8");
        parts.push(tarHeader({ name: "././@LongLink", typeflag: flag, size: body.length, magic: "gnu" }), pad(body));
      }
    } else {
      const records = [["path", name], ["linkpath", link]].filter(([, v]) => long(v!)).map(([k, v]) => paxRecord(k!, v!)).join("");
      if (records) {
        const body = Buffer.from(records, "utf8");
        parts.push(tarHeader({ name: "PaxHeader", typeflag: "x", size: body.length }), pad(body));
      }
    }
    const data = m.type === "file" ? (m.data ?? new Uint8Array()) : new Uint8Array();
    const flag = { file: "0", dir: "5", symlink: "2" }[m.type];
    parts.push(tarHeader({ name, typeflag: flag, size: data.length, linkname: link, magic: m.longNames === "gnu" ? "gnu" : "ustar", mode: m.type === "dir" ? 0o755 : 0o644 }));
    if (data.length) parts.push(pad(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(rest);
  let len = n + 1;
  while (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${rest}`;
}

/** Valid bytes, or the same cut short, with bytes overwritten, a slice repeated, or garbage spliced in. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 2, arbitrary: fc.tuple(valid, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))) },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })).map(([b, flips]) => {
        const c = Uint8Array.from(b);
        for (const [i, v] of flips) if (c.length) c[i % c.length] = v;
        return c;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat(), fc.uint8Array({ maxLength: 64 })).map(([b, i, junk]) => {
        const at = i % (b.length + 1);
        return Uint8Array.from([...b.subarray(0, at), ...junk, ...b.subarray(at)]);
      }),
    },
  );
}

/** A scratch folder for this process's fuzz inputs, removed when the process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cairn-fuzz-${prefix}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
