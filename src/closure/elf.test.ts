import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ELF_PROBE_BYTES, parseElf, readElfInfo, readElfInfoFrom, type ElfInfo } from "./elf.js";

/** The oracle: binutils' own reading of the same file. */
function readelf(path: string) {
  const out = execFileSync("readelf", ["-W", "-h", "-l", "-d", path], { encoding: "utf8" });
  const field = (re: RegExp) => out.match(re)?.[1];
  const all = (re: RegExp) => [...out.matchAll(re)].map((m) => m[1]);
  return {
    class: field(/Class:\s+ELF(\d+)/) === "32" ? 32 : 64,
    endian: /little endian/.test(field(/Data:\s+(.*)/) ?? "") ? "le" : "be",
    type: ({ EXEC: "exec", DYN: "dyn", REL: "rel", CORE: "core" } as Record<string, string>)[field(/Type:\s+(\w+)/)!],
    interpreter: field(/Requesting program interpreter: (.*)\]/),
    needed: all(/\(NEEDED\)\s+Shared library: \[(.*)\]/g),
    rpath: field(/\(RPATH\)\s+Library rpath: \[(.*)\]/),
    runpath: field(/\(RUNPATH\)\s+Library runpath: \[(.*)\]/),
    soname: field(/\(SONAME\)\s+Library soname: \[(.*)\]/),
  };
}

function assertMatchesReadelf(path: string, info: ElfInfo | undefined): void {
  const want = readelf(path);
  assert.ok(info, `${path} parsed as ELF`);
  assert.equal(info.malformed, undefined, path);
  assert.equal(info.class, want.class, path);
  assert.equal(info.endian, want.endian, path);
  assert.equal(info.type, want.type, path);
  assert.equal(info.interpreter, want.interpreter, path);
  assert.deepEqual(info.needed, want.needed, path);
  assert.equal(info.rpath.length ? info.rpath.join(":") : undefined, want.rpath, path);
  assert.equal(info.runpath.length ? info.runpath.join(":") : undefined, want.runpath, path);
  assert.equal(info.soname, want.soname, path);
}

const javas = existsSync("/usr/lib/jvm")
  ? readdirSync("/usr/lib/jvm").map((d) => `/usr/lib/jvm/${d}/bin/java`).filter(existsSync)
  : [];
const hostFiles = [
  "/usr/bin/ls",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/bin/python3.11",
  "/bin/busybox",
  "/usr/lib/x86_64-linux-gnu/libz.so.1",
  ...javas,
].filter(existsSync);

test("host binaries read from disk match readelf", async () => {
  assert.ok(hostFiles.length >= 4, "expected the host's ls, libc, python3.11 and busybox");
  for (const p of hostFiles) assertMatchesReadelf(p, await readElfInfo(p));
});

test("parseElf on the whole file agrees with readElfInfo", async () => {
  for (const p of hostFiles) assert.deepEqual(parseElf(readFileSync(p)), await readElfInfo(p), p);
});

test("known facts: ls, libc, static busybox, java's $ORIGIN rpath", async () => {
  const ls = (await readElfInfo("/usr/bin/ls"))!;
  assert.equal(ls.machine, 62);
  assert.equal(ls.interpreter, "/lib64/ld-linux-x86-64.so.2");
  assert.ok(ls.needed.includes("libc.so.6"));
  const libc = (await readElfInfo("/usr/lib/x86_64-linux-gnu/libc.so.6"))!;
  assert.equal(libc.soname, "libc.so.6");
  assert.deepEqual(libc.needed, ["ld-linux-x86-64.so.2"]);
  const busybox = (await readElfInfo("/bin/busybox"))!;
  assert.equal(busybox.interpreter, undefined);
  assert.deepEqual(busybox.needed, []);
  for (const j of javas) {
    const info = (await readElfInfo(j))!;
    assert.ok(info.needed.includes("libjli.so"), j);
    assert.ok([...info.rpath, ...info.runpath].includes("$ORIGIN/../lib"), j);
  }
});

test("readElfInfo reads a few KB of libc, not the whole 2 MB", async () => {
  const path = realpathSync("/usr/lib/x86_64-linux-gnu/libc.so.6");
  const fh = await open(path, "r");
  let bytes = 0;
  try {
    const info = await readElfInfoFrom(async (offset, length) => {
      bytes += length;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    });
    assert.equal(info?.soname, "libc.so.6");
  } finally {
    await fh.close();
  }
  assert.ok(bytes < 32 * 1024, `read ${bytes} bytes`);
  assert.ok(readFileSync(path).length > 1_000_000);
});

test("a 32-bit binary built with gcc -m32 (RUNPATH, /lib/ld-linux.so.2)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-elf-"));
  try {
    writeFileSync(join(dir, "m.c"), "int main(void){return 0;}\n");
    const out = join(dir, "m32");
    try {
      execFileSync("gcc", ["-m32", "-o", out, join(dir, "m.c"), "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib32:/opt/x"], { stdio: "pipe" });
    } catch {
      t.skip("gcc -m32 unavailable (install gcc-multilib)");
      return;
    }
    const info = parseElf(readFileSync(out))!;
    assertMatchesReadelf(out, info);
    assert.equal(info.class, 32);
    assert.equal(info.machine, 3);
    assert.deepEqual(info.runpath, ["$ORIGIN/lib32", "/opt/x"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Spec {
  interp?: string; needed: string[]; rpath?: string; runpath?: string; soname?: string; machine: number;
  /** Lies to plant: a DT_STRSZ and a first DT_NEEDED offset of any size. */
  strsz?: number; neededAt?: number;
}

/** A minimal ELF by hand (header, PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC, a string
 * table), so that 32/64-bit and both byte orders are covered without cross compilers. */
function craft(cls: 32 | 64, le: boolean, s: Spec): Uint8Array {
  const is64 = cls === 64;
  const ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, dynent = is64 ? 16 : 8;
  const strs: number[] = [0];
  const str = (x: string) => { const at = strs.length; strs.push(...Buffer.from(x), 0); return at; };
  const dyn: [number, number][] = s.needed.map((n, i) => [1, i === 0 && s.neededAt !== undefined ? (str(n), s.neededAt) : str(n)]);
  if (s.soname) dyn.push([14, str(s.soname)]);
  if (s.rpath) dyn.push([15, str(s.rpath)]);
  if (s.runpath) dyn.push([29, str(s.runpath)]);
  const interp = s.interp ? [...Buffer.from(s.interp), 0] : [];
  const phoff = ehsize, interpOff = phoff + 3 * phentsize, strOff = interpOff + interp.length;
  const dynOff = (strOff + strs.length + 7) & ~7;
  const vbase = 0x400000;
  dyn.push([5, vbase + strOff], [10, s.strsz ?? strs.length], [0, 0]);
  const size = dynOff + dyn.length * dynent;
  const b = new DataView(new ArrayBuffer(size));
  const u8 = new Uint8Array(b.buffer);
  const u16 = (at: number, v: number) => b.setUint16(at, v, le);
  const u32 = (at: number, v: number) => b.setUint32(at, v, le);
  const word = (at: number, v: number) => (is64 ? b.setBigUint64(at, BigInt(v), le) : b.setUint32(at, v, le));
  u8.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
  u16(16, 2); u16(18, s.machine); u32(20, 1);
  word(is64 ? 32 : 28, phoff);
  u16(is64 ? 52 : 40, ehsize); u16(is64 ? 54 : 42, phentsize); u16(is64 ? 56 : 44, 3);
  const ph = (i: number, type: number, off: number, filesz: number) => {
    const at = phoff + i * phentsize;
    u32(at, type);
    word(at + (is64 ? 8 : 4), off); word(at + (is64 ? 16 : 8), vbase + off); word(at + (is64 ? 24 : 12), vbase + off);
    word(at + (is64 ? 32 : 16), filesz); word(at + (is64 ? 40 : 20), filesz);
  };
  ph(0, 1, 0, size);
  ph(1, 3, interpOff, interp.length);
  ph(2, 2, dynOff, dyn.length * dynent);
  u8.set(interp, interpOff);
  u8.set(strs, strOff);
  dyn.forEach(([tag, val], i) => { word(dynOff + i * dynent, tag); word(dynOff + i * dynent + dynent / 2, val); });
  return u8;
}

const spec: Spec = {
  interp: "/lib/ld.so.1", needed: ["libfoo.so.1", "libc.so.6"], rpath: "/opt/a:$ORIGIN/../lib",
  runpath: "${ORIGIN}", soname: "libself.so.3", machine: 8,
};

test("hand-made ELF in all four class/byte-order combinations, checked against readelf", () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-elf-"));
  try {
    for (const cls of [32, 64] as const) {
      for (const le of [true, false]) {
        const bytes = craft(cls, le, spec);
        const path = join(dir, `e${cls}${le ? "le" : "be"}`);
        writeFileSync(path, bytes);
        const info = parseElf(bytes)!;
        assertMatchesReadelf(path, info);
        assert.equal(info.machine, 8);
        assert.deepEqual(info.rpath, ["/opt/a", "$ORIGIN/../lib"]);
        assert.deepEqual(info.runpath, ["${ORIGIN}"]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("not ELF: undefined", async () => {
  assert.equal(parseElf(new Uint8Array()), undefined);
  assert.equal(parseElf(Buffer.from("#!/bin/sh\necho hi\n")), undefined);
  assert.equal(parseElf(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 1])), undefined); // unknown class
  assert.equal(await readElfInfo("/usr/bin/pydoc3"), undefined);
});

test("every truncation of an ELF gives a flagged partial answer, never an exception", () => {
  const full = craft(64, false, spec);
  for (let n = 0; n < full.length; n++) {
    const info = parseElf(full.subarray(0, n));
    if (n < 6) { assert.equal(info, undefined); continue; }
    assert.equal(info?.malformed, true, `prefix of ${n} bytes`);
    assert.equal(info.class, 64);
  }
  // A real prefix: the probe of libc holds the headers but not its dynamic segment.
  const libc = readFileSync("/usr/lib/x86_64-linux-gnu/libc.so.6").subarray(0, ELF_PROBE_BYTES);
  const partial = parseElf(libc)!;
  assert.equal(partial.malformed, true);
  assert.equal(partial.machine, 62);
  assert.equal(partial.type, "dyn");
});

test("corrupted bytes never throw", () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
  for (const cls of [32, 64] as const) {
    const good = craft(cls, true, spec);
    for (let i = 0; i < 3000; i++) {
      const bad = Uint8Array.from(good);
      for (let k = 0; k < 1 + (i % 4); k++) bad[6 + (rand() % (bad.length - 6))] = rand() & 0xff;
      const info = parseElf(bad);
      assert.ok(info && Array.isArray(info.needed));
    }
  }
  // Absurd offsets: program headers "at" 2^40.
  const far = Uint8Array.from(craft(64, true, spec));
  new DataView(far.buffer).setBigUint64(32, 1n << 40n, true);
  assert.equal(parseElf(far)?.malformed, true);
});

test("lying sizes and offsets cannot make the reader fetch much", async () => {
  for (const cls of [32, 64] as const) {
    const big = cls === 64 ? 2 ** 40 : 2 ** 31;
    const bytes = craft(cls, true, { ...spec, strsz: big, neededAt: big / 2 });
    let requested = 0;
    const info = await readElfInfoFrom(async (offset, length) => {
      requested += length;
      return bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
    });
    assert.equal(info?.malformed, true);
    assert.ok(requested < 1 << 20, `requested ${requested} bytes`);
  }
});
