// Test support: hand-made .debs, written as a stream (tar-stream, node's gzip, our own ar
// framing), so a test can make a package that expands to gigabytes or holds a million entries
// while itself holding only a few kilobytes in memory. For the hostile packages dpkg-deb would
// refuse to build.
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import * as tarStream from "tar-stream";

export interface TarItem {
  name: string;
  type?: "file" | "directory" | "symlink";
  linkname?: string;
  /** Text content; or, with `zeros`, that many zero bytes (streamed, never held). */
  content?: string;
  zeros?: number;
}

export interface HandMadeDeb {
  /** The control file's text; written as ./control first. */
  control: string;
  /** More control.tar members after ./control (e.g. a huge one). */
  controlExtra?: TarItem[];
  data: Iterable<TarItem>;
}

/** Write the .deb to `file` (debian-binary, control.tar.gz, data.tar.gz). */
export async function writeHandMadeDeb(file: string, deb: HandMadeDeb): Promise<void> {
  const control = `${file}.control.tar.gz`;
  const data = `${file}.data.tar.gz`;
  await writeTarGz(control, [{ name: "./control", content: deb.control }, ...(deb.controlExtra ?? [])], 9); // a bomb as small as gzip makes it
  await writeTarGz(data, deb.data, 1); // fast for many entries
  const out = createWriteStream(file);
  const write = async (b: Buffer) => { if (!out.write(b)) await once(out, "drain"); };
  await write(Buffer.from("!<arch>\n", "latin1"));
  const members: [string, string | Buffer][] = [["debian-binary", Buffer.from("2.0\n")], ["control.tar.gz", control], ["data.tar.gz", data]];
  for (const [name, src] of members) {
    const size = typeof src === "string" ? (await fs.stat(src)).size : src.length;
    const header = name.padEnd(16) + "0".padEnd(12) + "0".padEnd(6) + "0".padEnd(6) + "100644".padEnd(8) + String(size).padEnd(10) + "`\n";
    await write(Buffer.from(header, "latin1"));
    if (typeof src === "string") {
      for await (const chunk of createReadStream(src)) await write(chunk as Buffer);
      await fs.rm(src);
    } else await write(src);
    if (size % 2) await write(Buffer.from("\n"));
  }
  out.end();
  await once(out, "finish");
}

async function writeTarGz(file: string, items: Iterable<TarItem>, level: number): Promise<void> {
  const pack = tarStream.pack();
  const done = pipeline(pack, createGzip({ level }), createWriteStream(file));
  let n = 0;
  for (const it of items) {
    // Let gzip drain the pack now and then, so a million entries are never all queued at once.
    if (++n % 64 === 0) await new Promise((ok) => setImmediate(ok));
    const type = it.type ?? "file";
    const header = { name: it.name, type, mode: type === "directory" ? 0o755 : 0o644, mtime: new Date(0), linkname: it.linkname };
    if (type !== "file") {
      pack.entry(header);
      continue;
    }
    if (it.zeros === undefined) {
      pack.entry(header, it.content ?? "");
      continue;
    }
    const entry = pack.entry({ ...header, size: it.zeros }) as unknown as Writable; // a streamx Writable: write(), "drain", end(), "finish"
    const chunk = Buffer.alloc(1 << 20);
    for (let left = it.zeros; left > 0; left -= chunk.length) {
      if (!entry.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(entry, "drain");
    }
    entry.end();
    await once(entry, "finish");
  }
  pack.finalize();
  await done;
}
