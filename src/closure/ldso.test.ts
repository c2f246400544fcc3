import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isCairnError } from "../errors.js";
import { readElfInfo } from "./elf.js";
import {
  candidates, closureOf, expandDst, hostImageFs, parseLdSoConf, resolveNeeded, searchDirs, type Closure, type ImageFs,
} from "./ldso.js";

const LDSO = "/lib64/ld-linux-x86-64.so.2";

/** The host's ld.so.conf directories, read the way ldconfig does (includes expanded, sorted). */
function hostConfDirs(file = "/etc/ld.so.conf"): string[] {
  const { dirs, includes } = parseLdSoConf(readFileSync(file, "utf8"));
  const out = [...dirs];
  for (const pattern of includes) {
    const dir = dirname(pattern);
    const re = new RegExp("^" + pattern.slice(dir.length + 1).replace(/\./g, "\\.").replace(/\*/g, ".*") + "$");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => re.test(n)).sort()) out.push(...hostConfDirs(join(dir, f)));
  }
  return out;
}

/** What `ldd` says: name → path as loaded (undefined: not found); the vdso left out. */
function ldd(path: string): Map<string, string | undefined> {
  const out = spawnSync("ldd", [path], { encoding: "utf8" }).stdout;
  const m = new Map<string, string | undefined>();
  for (const line of out.split("\n")) {
    let r: RegExpExecArray | null;
    if ((r = /^\s+(\S+) => not found/.exec(line))) m.set(r[1]!, undefined);
    else if ((r = /^\s+(\S+) => (\S+) \(0x/.exec(line))) m.set(r[1]!, r[2]!);
    else if ((r = /^\s+(\/\S+) \(0x/.exec(line))) m.set(r[1]!, r[1]!);
  }
  return m;
}

const rootFs = hostImageFs("/");
const hostDirs = searchDirs("amd64", hostConfDirs());
const hostElf = (p: string) => readElfInfo(p);
const loadedPaths = (c: Closure) => new Set([...c.files.values()].flat());
const real = (paths: Iterable<string>) => new Set([...paths].map((p) => realpathSync(p)));

function compile(dir: string, name: string, src: string, args: string[]): string {
  const out = join(dir, name);
  writeFileSync(`${out}.c`, src);
  execFileSync("gcc", ["-o", out, `${out}.c`, ...args], { stdio: "pipe" });
  return out;
}

test("searchDirs: Debian's system search path as ld.so --help prints it, after ld.so.conf dirs", () => {
  const help = execFileSync(LDSO, ["--help"], { encoding: "utf8" });
  const system = [...help.matchAll(/^\s+(\S+) \(system search path\)$/gm)].map((m) => m[1]);
  assert.ok(system.length >= 4);
  assert.deepEqual(searchDirs("amd64", []), system);
  assert.deepEqual(searchDirs("arm64", ["/opt/x/", "/lib/aarch64-linux-gnu"]),
    ["/opt/x", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"]);
  assert.equal(searchDirs("armhf", [])[0], "/lib/arm-linux-gnueabihf");
  assert.throws(() => searchDirs("vax", []), (e) => isCairnError(e) && /vax/.test(e.message));
});

test("parseLdSoConf: comments, include globs, hwcap, old dir=type lines", () => {
  assert.deepEqual(parseLdSoConf(readFileSync("/etc/ld.so.conf", "utf8")).includes, ["/etc/ld.so.conf.d/*.conf"]);
  const text = "# libc default\n/usr/local/lib/  # trailing\ninclude a/*.conf  /etc/b.conf\n\n" +
    "hwcap 0 nosegneg\n/usr/X11R6/lib=libc5\n\t/opt/lib\n";
  assert.deepEqual(parseLdSoConf(text), {
    dirs: ["/usr/local/lib", "/usr/X11R6/lib", "/opt/lib"],
    includes: ["a/*.conf", "/etc/b.conf"],
  });
  assert.ok(hostConfDirs().includes("/usr/lib/x86_64-linux-gnu"));
});

test("expandDst: $ORIGIN, ${ORIGIN}, $LIB, $PLATFORM, and what is no token", () => {
  const v = { origin: "/opt/app/bin", lib: "lib/x86_64-linux-gnu", platform: "x86_64" };
  assert.equal(expandDst("$ORIGIN/../lib", v), "/opt/app/bin/../lib");
  assert.equal(expandDst("${ORIGIN}x/$LIB/$PLATFORM", v), "/opt/app/binx/lib/x86_64-linux-gnu/x86_64");
  assert.equal(expandDst("$ORIGINAL/$ORIGIN_", v), "$ORIGINAL/$ORIGIN_");
  assert.equal(expandDst("/x/$PLATFORM", { origin: "/" }), undefined);
});

test("candidates: the order glibc's ld.so tries files in (LD_DEBUG=libs is the oracle)", () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-ldso-"));
  try {
    compile(dir, "libgone.so", "int gone(void){return 1;}\n", ["-shared", "-fPIC", "-Wl,-soname,libgone.so"]);
    const src = "int gone(void); int main(void){return gone();}\n";
    for (const [flag, tag] of [["--disable-new-dtags", "rpath"], ["--enable-new-dtags", "runpath"]] as const) {
      const exe = compile(dir, `prog-${tag}`, src,
        [`-L${dir}`, "-lgone", `-Wl,${flag},-rpath,$ORIGIN/sub:/nowhere/$LIB:/p/\${PLATFORM}//x/`]);
      rmSync(join(dir, "libgone.so"), { force: true });
      const r = spawnSync(exe, [], { env: { LD_DEBUG: "libs" }, encoding: "utf8" });
      const trying = [...r.stderr.matchAll(/trying file=(\S+)/g)].map((m) => m[1]!.replace(/\/+/g, "/"));
      const info = parseInfoSync(exe);
      // glibc on x86_64 names $PLATFORM by the CPU it runs on ("haswell", "xeon_phi", else
      // "x86_64"): the value is taken from what this host's ld.so expanded it to.
      const platform = trying.map((p) => /^\/p\/([^/]+)\/x\/libgone\.so$/.exec(p)?.[1]).find((x) => x !== undefined) ?? "x86_64";
      const ours = [...candidates("libgone.so", {
        origin: dir, rpath: info.rpath, runpath: info.runpath, dirs: searchDirs("amd64", []),
        lib: "lib/x86_64-linux-gnu", platform,
      })];
      // ld.so also tries CPU-specific subdirectories (glibc-hwcaps/, tls/, x86_64/) of each one.
      assert.deepEqual(trying.filter((p) => ours.includes(p)), ours, tag);
      for (const p of trying.filter((p) => !ours.includes(p))) {
        assert.ok(ours.some((o) => p.startsWith(dirname(o) + "/") && p.endsWith("/libgone.so")), p);
      }
      compile(dir, "libgone.so", "int gone(void){return 1;}\n", ["-shared", "-fPIC", "-Wl,-soname,libgone.so"]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function parseInfoSync(path: string): { rpath: string[]; runpath: string[] } {
  const out = execFileSync("readelf", ["-d", path], { encoding: "utf8" });
  const rp = /\(RPATH\)\s+Library rpath: \[(.*)\]/.exec(out)?.[1];
  const rn = /\(RUNPATH\)\s+Library runpath: \[(.*)\]/.exec(out)?.[1];
  return { rpath: rp ? rp.split(":") : [], runpath: rn ? rn.split(":") : [] };
}

test("closureOf host programs equals what ldd loads", async () => {
  const progs = ["/usr/bin/python3.11", "/usr/bin/ls", "/usr/bin/ssh", "/usr/bin/gpg", "/usr/bin/curl",
    ...readdirSync("/usr/lib/jvm").map((d) => `/usr/lib/jvm/${d}/bin/java`)].filter(existsSync);
  for (const prog of progs) {
    const c = await closureOf(prog, rootFs, hostElf, hostDirs, { arch: "amd64" });
    const want = ldd(prog);
    assert.deepEqual(c.missing, [], prog);
    assert.deepEqual(real(loadedPaths(c)), real([...want.values()].map((p) => p!)), prog);
    // Even the paths as ld.so opened them agree (ldd prints l_name), except that `ldd` takes
    // $ORIGIN from the path given while an exec'd program gets its real directory.
    if (realpathSync(prog) === prog) assert.deepEqual(loadedPaths(c), new Set(want.values()), prog);
  }
});

test("closureOf agrees with ldd across the host's /usr/bin (canonical paths and missing names)", async () => {
  let checked = 0;
  for (const name of readdirSync("/usr/bin").sort()) {
    const prog = `/usr/bin/${name}`;
    const r = rootFs.resolve(prog);
    if (r?.type !== "file") continue;
    const info = await readElfInfo(r.path);
    if (!info?.interpreter || info.needed.length === 0) continue;
    if (++checked > 80) break;
    const c = await closureOf(prog, rootFs, hostElf, hostDirs, { arch: "amd64" });
    const want = ldd(prog);
    const notFound = [...want].filter(([, p]) => p === undefined).map(([n]) => n).sort();
    assert.deepEqual([...new Set(c.missing.map((m) => m.name))].sort(), notFound, prog);
    assert.deepEqual(real(loadedPaths(c)), real([...want.values()].filter((p) => p !== undefined)), prog);
  }
  assert.ok(checked > 40, `only ${checked} dynamic programs found`);
});

test("a static program needs nothing; a script is not ELF", async () => {
  const bb = await closureOf("/bin/busybox", rootFs, hostElf, hostDirs);
  assert.deepEqual([...bb.files], [["/bin/busybox", []]]);
  assert.deepEqual(bb.missing, []);
  assert.equal((await closureOf("/usr/bin/pydoc3", rootFs, hostElf, hostDirs)).files.size, 0);
});

test("java finds libjli.so through $ORIGIN/../lib", async () => {
  const java = realpathSync("/usr/bin/java"); // through the alternatives symlinks: $ORIGIN is the real dir
  const c = await closureOf("/usr/bin/java", rootFs, hostElf, hostDirs, { arch: "amd64" });
  const jli = c.files.get("/usr/bin/java")!.find((p) => p.endsWith("/libjli.so"));
  assert.equal(jli, `${dirname(java)}/../lib/libjli.so`);
  assert.ok(c.files.has(jli!), "libjli.so's own needs were followed");
});

test("DT_RPATH is inherited down the chain, DT_RUNPATH is not (ldd agrees)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-ldso-"));
  try {
    mkdirSync(join(dir, "lib"));
    mkdirSync(join(dir, "deep"));
    compile(join(dir, "deep"), "libd.so", "int d(void){return 4;}\n", ["-shared", "-fPIC", "-Wl,-soname,libd.so"]);
    compile(join(dir, "lib"), "libmid.so", "int d(void); int mid(void){return d();}\n",
      ["-shared", "-fPIC", "-Wl,-soname,libmid.so", `-L${dir}/deep`, "-ld"]);
    const src = "int mid(void); int main(void){return mid();}\n";
    const link = [`-L${dir}/lib`, `-L${dir}/deep`, "-lmid", "-Wl,--allow-shlib-undefined"];
    const withRpath = compile(dir, "a", src, [...link, "-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib:$ORIGIN/deep"]);
    const withRunpath = compile(dir, "b", src, [...link, "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib:$ORIGIN/deep"]);

    const a = await closureOf(withRpath, rootFs, hostElf, hostDirs, { arch: "amd64" });
    assert.deepEqual(a.missing, []);
    assert.deepEqual(a.files.get(`${dir}/lib/libmid.so`), [`${dir}/deep/libd.so`]);
    assert.equal(ldd(withRpath).get("libd.so"), `${dir}/deep/libd.so`);

    const b = await closureOf(withRunpath, rootFs, hostElf, hostDirs, { arch: "amd64" });
    assert.deepEqual(b.missing, [{ by: `${dir}/lib/libmid.so`, name: "libd.so" }]);
    assert.ok(ldd(withRunpath).has("libd.so") && ldd(withRunpath).get("libd.so") === undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A merged-/usr image root holding python3.11, its interpreter and libc, and nothing else. */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "cairn-root-"));
  const t = "usr/lib/x86_64-linux-gnu";
  for (const d of ["usr/bin", t, "usr/lib64", "usr/local/lib"]) mkdirSync(join(root, d), { recursive: true });
  symlinkSync("usr/lib", join(root, "lib"));
  symlinkSync("usr/lib64", join(root, "lib64"));
  copyFileSync("/usr/bin/python3.11", join(root, "usr/bin/python3.11"));
  copyFileSync("/usr/lib/x86_64-linux-gnu/libc.so.6", join(root, t, "libc.so.6"));
  copyFileSync(realpathSync(LDSO), join(root, t, "ld-linux-x86-64.so.2"));
  symlinkSync(`/${t}/ld-linux-x86-64.so.2`, join(root, "usr/lib64/ld-linux-x86-64.so.2")); // absolute: stays in root
  return root;
}

test("a partial image tree reports exactly the libraries it lacks", async () => {
  const root = fakeRoot();
  try {
    const fs = hostImageFs(root);
    const readElf = (p: string) => readElfInfo(join(root, p));
    const c = await closureOf("/usr/bin/python3.11", fs, readElf, searchDirs("amd64", []), { arch: "amd64" });
    assert.deepEqual(c.missing, ["libm.so.6", "libz.so.1", "libexpat.so.1"].map((name) => ({ by: "/usr/bin/python3.11", name })));
    assert.deepEqual(c.files.get("/usr/bin/python3.11"), ["/lib/x86_64-linux-gnu/libc.so.6", LDSO]);
    // libc needs ld-linux-x86-64.so.2, which is the already-loaded interpreter.
    assert.deepEqual(c.files.get("/lib/x86_64-linux-gnu/libc.so.6"), [LDSO]);
    assert.equal(fs.resolve(LDSO)?.path, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");

    const none = await closureOf("/usr/bin/python3", fs, readElf, []);
    assert.deepEqual(none.missing, [{ by: "", name: "/usr/bin/python3" }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a library of the wrong class earlier in the path is passed over, as ld.so does", async (t) => {
  if (!existsSync("/usr/lib32/libc.so.6")) { t.skip("no 32-bit libc (gcc-multilib)"); return; }
  const root = fakeRoot();
  try {
    copyFileSync("/usr/lib32/libc.so.6", join(root, "usr/local/lib/libc.so.6"));
    const fs = hostImageFs(root);
    const dirs = searchDirs("amd64", ["/usr/local/lib"]);
    assert.equal(resolveNeeded("libc.so.6", { origin: "/usr/bin", rpath: [], runpath: [], dirs }, fs), "/usr/local/lib/libc.so.6");
    const c = await closureOf("/usr/bin/python3.11", fs, (p) => readElfInfo(join(root, p)), dirs);
    assert.ok(c.files.get("/usr/bin/python3.11")!.includes("/lib/x86_64-linux-gnu/libc.so.6"));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("resolveNeeded: paths, RUNPATH hides RPATH, nodeflib, DSTs in names", () => {
  const fs: ImageFs = {
    resolve: (p) => (["/r/libx.so", "/n/libx.so", "/usr/lib/libx.so", "/app/libself.so"].includes(p) ? { path: p, type: "file" } : undefined),
  };
  const base = { origin: "/app", rpath: ["/r"], runpath: [] as string[], dirs: ["/usr/lib"] };
  assert.equal(resolveNeeded("libx.so", base, fs), "/r/libx.so");
  assert.equal(resolveNeeded("libx.so", { ...base, runpath: ["/n"] }, fs), "/n/libx.so");
  assert.equal(resolveNeeded("libx.so", { ...base, rpath: [], inheritedRpath: ["/n"] }, fs), "/n/libx.so");
  assert.equal(resolveNeeded("libx.so", { ...base, rpath: [], runpath: ["/none"], inheritedRpath: ["/n"] }, fs), "/usr/lib/libx.so");
  assert.equal(resolveNeeded("libx.so", { ...base, rpath: [], noDefaultLib: true }, fs), undefined);
  assert.equal(resolveNeeded("$ORIGIN/libself.so", base, fs), "/app/libself.so");
  assert.equal(resolveNeeded("/usr/lib/libx.so", { ...base, rpath: [] }, fs), "/usr/lib/libx.so");
  assert.equal(resolveNeeded("libself.so", base, fs), undefined);
});

test("hostImageFs follows symlinks inside the root only", () => {
  const root = mkdtempSync(join(tmpdir(), "cairn-fs-"));
  try {
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/hosts"), "");
    symlinkSync("/etc/passwd", join(root, "abs"));          // the host has it, the root does not
    symlinkSync("../../../../../etc/hosts", join(root, "up"));
    symlinkSync("loop2", join(root, "loop1"));
    symlinkSync("loop1", join(root, "loop2"));
    symlinkSync("etc", join(root, "e"));
    assert.equal(rootFs.resolve("/etc/passwd")?.type, "file");
    assert.equal(hostImageFs(root).resolve("/abs"), undefined);
    assert.deepEqual(hostImageFs(root).resolve("/up"), { path: "/etc/hosts", type: "file" });
    assert.equal(hostImageFs(root).resolve("/loop1"), undefined);
    assert.deepEqual(hostImageFs(root).resolve("/e/../e/./hosts"), { path: "/etc/hosts", type: "file" });
    assert.deepEqual(hostImageFs(root).resolve("/e"), { path: "/etc", type: "dir" });
    assert.equal(hostImageFs(root).resolve("/etc/hosts/x"), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
