// fakeroot's database: how a step that "runs as root" without privileges gets its chown and
// chmod remembered. faked (Debian's fakeroot) keeps one record per device and inode, loads them
// with --load and saves them with --save-file, one line each:
//   dev=fe00,ino=2468275,mode=104755,uid=999,gid=999,nlink=1,rdev=0
// (dev in hex, mode in octal with the file-type bits, the rest decimal).

export interface FakeStat {
  dev: bigint;
  ino: bigint;
  /** st_mode with the file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
}

export function formatFakerootDb(records: FakeStat[]): string {
  return records
    .map((r) => `dev=${r.dev.toString(16)},ino=${r.ino},mode=${r.mode.toString(8)},uid=${r.uid},gid=${r.gid},nlink=${r.nlink},rdev=${r.rdev}\n`)
    .join("");
}

/** The records of one device (the step's root), by inode. */
export function parseFakerootDb(text: string, dev: bigint): Map<bigint, FakeStat> {
  const out = new Map<bigint, FakeStat>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = Object.fromEntries(line.split(",").map((kv) => kv.split("=") as [string, string]));
    if (f["dev"] === undefined || f["ino"] === undefined || f["mode"] === undefined) continue;
    const r: FakeStat = {
      dev: BigInt(`0x${f["dev"]}`), ino: BigInt(f["ino"]), mode: parseInt(f["mode"], 8),
      uid: Number(f["uid"] ?? 0), gid: Number(f["gid"] ?? 0), nlink: Number(f["nlink"] ?? 1), rdev: Number(f["rdev"] ?? 0),
    };
    if (r.dev === dev) out.set(r.ino, r);
  }
  return out;
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
