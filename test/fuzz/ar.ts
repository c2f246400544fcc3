// ar archives (.deb framing): readArMembers lists members or rejects with BAD_DEB; members of a
// generated archive come back with their names, and offsets and sizes that point at their data.
import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.js";
import { readArMembers } from "../../src/debian/ar.js";
import { arArchive, mutated, scratchDir } from "./bytes.js";
import { rejected, typedAsync, type FuzzProperty } from "./harness.js";

const shortName = fc.stringMatching(/^[a-z0-9._-]{1,15}$/).filter((n) => n !== "/" && !n.endsWith("/"));
const anyName = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((n) => !n.includes("\0") && n.trim() === n);
const members = fc.array(fc.record({ name: fc.oneof(shortName, anyName), data: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 5 });
const archive = fc.tuple(members, fc.boolean()).map(([m, bsd]) => ({ m, bytes: arArchive(m, { bsdNames: bsd }) }));

let dir: string | undefined;
let n = 0;
function file(bytes: Uint8Array): string {
  dir ??= scratchDir("ar");
  const f = join(dir, `${n++ % 4}.a`);
  writeFileSync(f, bytes);
  return f;
}

export const properties: FuzzProperty[] = [
  {
    parser: "debian/ar",
    name: "readArMembers of any or damaged bytes lists members inside the file, or throws BAD_DEB",
    property: () =>
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.concat([Buffer.from("!<arch>\n"), b])), mutated(archive.map((a) => a.bytes))), async (bytes) => {
        const r = await typedAsync([ErrorCode.BAD_DEB], () => readArMembers(file(bytes)));
        if (r === rejected) return;
        for (const m of r) if (m.offset < 0 || m.size < 0 || m.offset + m.size > bytes.length || m.name === "") throw new Error(`member ${JSON.stringify(m)} lies outside ${bytes.length} bytes`);
      }),
  },
  {
    parser: "debian/ar",
    name: "a generated archive's members come back by name, pointing at their data",
    property: () =>
      fc.asyncProperty(archive, async ({ m, bytes }) => {
        const f = file(bytes);
        const got = await readArMembers(f);
        const text = await readFile(f);
        if (got.length !== m.length) throw new Error(`${got.length} members, wrote ${m.length}`);
        got.forEach((g, i) => {
          if (g.name !== m[i]!.name) throw new Error(`member ${i} is named ${JSON.stringify(g.name)}, wrote ${JSON.stringify(m[i]!.name)}`);
          if (!text.subarray(g.offset, g.offset + g.size).equals(Buffer.from(m[i]!.data))) throw new Error(`member ${i}'s data differs`);
        });
      }),
  },
];
