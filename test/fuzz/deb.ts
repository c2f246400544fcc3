// Whole .debs: ar framing around control and data tars (plain or gzipped), each tar near-valid
// or damaged. readDebControl and unpackDeb read them or reject with BAD_DEB or DEB_TOO_BIG, and
// nothing they unpack lands outside the folder they were given.
import fc from "fast-check";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ErrorCode } from "../../src/errors.js";
import { readDebControl, unpackDeb } from "../../src/debian/deb.js";
import { arArchive, mutated, scratchDir, tarArchive, type TarMember } from "./bytes.js";
import { rejected, typedAsync, type FuzzProperty } from "./harness.js";

const NAMES = ["./md5sums", "./usr", "./usr/bin", "./usr/bin/x", "usr/share/doc/a", "./etc/a", "./etc", "../escape", "./a/../../b", "/abs", ".", "./", "./usr/bin/x/y", "a//b"];
const member: fc.Arbitrary<TarMember> = fc.record({
  name: fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z./]{1,12}$/)),
  type: fc.constantFrom("file", "dir", "symlink" as const),
  linkname: fc.constantFrom("x", "../../etc/passwd", "/etc", "usr/bin/x"),
  data: fc.oneof(fc.constant(new TextEncoder().encode("Package: a\nVersion: 1\nInstalled-Size: 1\n")), fc.uint8Array({ maxLength: 200 })),
  longNames: fc.constantFrom("gnu", "pax" as const),
}).map((m) => ({ ...m, name: m.type === "dir" ? m.name.replace(/\/+$/, "") || "." : m.name, linkname: m.type === "symlink" ? m.linkname : undefined }));
const CONTROL: TarMember = { name: "./control", type: "file", data: new TextEncoder().encode("Package: a\nVersion: 1\nInstalled-Size: 1\n"), longNames: "pax" };
const validTar = fc.tuple(fc.boolean(), fc.array(member, { minLength: 1, maxLength: 5 })).map(([withControl, ms]) => Uint8Array.from(tarArchive(withControl ? [CONTROL, ...ms] : ms)));
const tarBytes = fc.oneof({ weight: 2, arbitrary: validTar }, { weight: 1, arbitrary: mutated(validTar) });
const compressed = fc.tuple(tarBytes, fc.constantFrom("", ".gz")).map(([b, ext]) => ({ ext, bytes: ext === ".gz" ? gzipSync(b) : Buffer.from(b) }));
const deb = fc.tuple(compressed, compressed, fc.constantFrom("2.0\n", "2.0\n", "3.0\n")).map(([control, data, version]) =>
  arArchive([
    { name: "debian-binary", data: Buffer.from(version) },
    { name: `control.tar${control.ext}`, data: control.bytes },
    { name: `data.tar${data.ext}`, data: data.bytes },
  ]),
);

let dir: string | undefined;
let n = 0;
const CODES = [ErrorCode.BAD_DEB, ErrorCode.DEB_TOO_BIG];

export const properties: FuzzProperty[] = [
  {
    parser: "debian/deb",
    name: "readDebControl and unpackDeb of near-valid .debs read them or reject with BAD_DEB / DEB_TOO_BIG, inside their folder",
    quickRuns: 60,
    property: () =>
      fc.asyncProperty(deb, async (bytes) => {
        dir ??= scratchDir("deb");
        const file = join(dir, "p.deb");
        writeFileSync(file, bytes);
        await typedAsync(CODES, () => readDebControl(file));
        const dest = join(dir, `out-${n++}`, "unpacked");
        mkdirSync(dest, { recursive: true });
        try {
          const m = await typedAsync(CODES, () => unpackDeb(file, dest, { limits: { maxEntries: 20 } }));
          if (m !== rejected) for (const e of m.entries) if (e.path.split("/").includes("..") || e.path.startsWith("/")) throw new Error(`unpacked entry ${e.path} escapes`);
          const beside = readdirSync(join(dest, ".."));
          if (beside.length !== 1) throw new Error(`unpackDeb wrote beside its folder: ${beside.join(", ")}`);
        } finally {
          rmSync(join(dest, ".."), { recursive: true, force: true });
        }
      }),
  },
];
