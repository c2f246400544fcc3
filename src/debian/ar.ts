// The `ar` container a .deb is made of: "!<arch>\n", then members, each a 60-byte header and its
// data padded to an even length. We only list members (name, offset, size) so callers can stream
// data.tar straight from the file without holding it in memory.
import * as fs from "node:fs/promises";
import type { CairnError } from "../errors.js";
import { badDeb, type DebOrigin } from "./deb-limits.js";

export interface ArMember {
  /** Member name with padding and any GNU "/" terminator removed. */
  name: string;
  /** Byte offset of the member's data in the file. */
  offset: number;
  /** Length of the member's data in bytes. */
  size: number;
}

const MAGIC = "!<arch>\n";
const HEADER_SIZE = 60;
/** A .deb has three members (four with a signature): more is a hostile file, not a package. */
const MAX_MEMBERS = 64;

/**
 * List the members of an ar archive in file order. Throws BAD_DEB on anything malformed, naming
 * the package when its origin is given.
 */
export async function readArMembers(file: string, origin?: DebOrigin): Promise<ArMember[]> {
  const bad = (f: string, why: string) => badDeb(f, origin, `ar archive: ${why}`);
  const fh = await fs.open(file, "r");
  try {
    const { size: fileSize } = await fh.stat();
    const magic = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await fh.read(magic, 0, magic.length, 0);
    if (bytesRead !== MAGIC.length || magic.toString("latin1") !== MAGIC) {
      throw bad(file, "it does not start with the ar magic \"!<arch>\"");
    }
    const members: ArMember[] = [];
    const header = Buffer.alloc(HEADER_SIZE);
    let pos = MAGIC.length;
    while (pos < fileSize) {
      // Some tools pad the archive's end with a single newline after an odd-sized last member.
      if (fileSize - pos === 1) break;
      const r = await fh.read(header, 0, HEADER_SIZE, pos);
      if (r.bytesRead !== HEADER_SIZE) throw bad(file, `the member header at byte ${pos} is truncated`);
      const member = await parseMember(fh, header, pos, fileSize, file, bad);
      members.push(member);
      if (members.length > MAX_MEMBERS) throw bad(file, `it has more than ${MAX_MEMBERS} members`);
      // Padding follows what the header's size counts: for a BSD long name, name and data together.
      const stored = member.offset + member.size - (pos + HEADER_SIZE);
      pos += HEADER_SIZE + stored + (stored % 2);
      if (member.offset + member.size > fileSize) {
        throw bad(file, `member "${member.name}" claims ${member.size} bytes but the file ends first`);
      }
    }
    return members;
  } finally {
    await fh.close();
  }
}

async function parseMember(
  fh: fs.FileHandle,
  h: Buffer,
  pos: number,
  fileSize: number,
  file: string,
  bad: (file: string, why: string) => CairnError,
): Promise<ArMember> {
  if (h[58] !== 0x60 || h[59] !== 0x0a) throw bad(file, `the member header at byte ${pos} has no "\`\\n" terminator`);
  const sizeField = h.toString("latin1", 48, 58).trimEnd();
  if (!/^\d+$/.test(sizeField)) throw bad(file, `the member header at byte ${pos} has a bad size field "${sizeField}"`);
  let size = Number(sizeField);
  let offset = pos + HEADER_SIZE;
  let name = h.toString("latin1", 0, 16).trimEnd();
  // BSD ar stores long names as "#1/<len>" followed by the name at the start of the data.
  const bsd = /^#1\/(\d+)$/.exec(name);
  if (bsd) {
    const len = Number(bsd[1]);
    if (len > size || offset + len > fileSize) throw bad(file, `the long member name at byte ${pos} is truncated`);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, offset);
    name = buf.toString("utf8").replace(/\0+$/, "");
    offset += len;
    size -= len;
  } else if (name.endsWith("/") && name !== "/" && name !== "//") {
    name = name.slice(0, -1); // GNU ar terminates names with "/"
  }
  if (name === "") throw bad(file, `the member at byte ${pos} has an empty name`);
  return { name, offset, size };
}
