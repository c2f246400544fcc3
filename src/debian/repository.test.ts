// Hermetic tier: a tiny Debian repository built here, signed by gpg with a throwaway key, served
// over loopback HTTP. gpg (not openpgp.js) signs, so verification is checked against the real tool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { ErrorCode } from "../errors.js";
import { sha256Hex, Store } from "../store/store.js";
import { httpFetcher } from "./http.js";
import { loadKeyring, type Key } from "./release.js";
import { loadRepository } from "./repository.js";

const PACKAGES = `Package: hello
Version: 2.10-3
Architecture: amd64
Depends: libc6 (>= 2.34)
Filename: pool/main/h/hello/hello_2.10-3_amd64.deb
Size: 53000
SHA256: ${"a".repeat(64)}
Description: example package
 based on GNU hello.

Package: libc6
Version: 2.36-9
Architecture: amd64
Filename: pool/main/g/glibc/libc6_2.36-9_amd64.deb
Size: 2700000
SHA256: ${"b".repeat(64)}

Package: tzdata
Version: 2024a-0
Architecture: all
Filename: pool/main/t/tzdata/tzdata_2024a-0_all.deb
Size: 250000
SHA256: ${"c".repeat(64)}
`;

let tmp: string;
let gnupg: string;
let keys: Key[];
let otherKeys: Key[];
let server: http.Server;
let base: string;
const hits = new Map<string, number>();

function gpg(args: string[], home = gnupg): Buffer {
  return execFileSync("gpg", ["--homedir", home, "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", ...args]);
}

async function newGpgKey(home: string, name: string): Promise<Key[]> {
  await fs.mkdir(home, { mode: 0o700 });
  gpg(["--quick-gen-key", `${name} <${name}@example.invalid>`, "ed25519", "sign", "1y"], home);
  const file = path.join(home, "pub.gpg");
  await fs.writeFile(file, gpg(["--export"], home));
  return loadKeyring(file);
}

interface RepoOptions {
  signing: "inrelease" | "detached";
  formats: ("xz" | "gz" | "plain")[];
  /** Release lists this many files it does not serve (like the uncompressed Packages). */
  listUnservedPlain?: boolean;
  byHash?: "served" | "missing" | "off";
  corrupt?: boolean;
  validUntil?: string;
}

// dists/<suite>/ of a one-component repository under tmp/<name>; returns its URI.
async function buildRepo(name: string, o: RepoOptions): Promise<string> {
  const dists = path.join(tmp, name, "dists", "testing");
  const dir = path.join(dists, "main", "binary-amd64");
  await fs.mkdir(dir, { recursive: true });
  const raw = Buffer.from(PACKAGES);
  const bodies: Record<string, Buffer> = {
    "Packages.xz": execFileSync("xz", ["-c", "-6"], { input: raw }),
    "Packages.gz": gzipSync(raw),
    Packages: raw,
  };
  const lines: string[] = [];
  for (const [file, fmt] of [["Packages.xz", "xz"], ["Packages.gz", "gz"], ["Packages", "plain"]] as const) {
    const listed = o.formats.includes(fmt) || (fmt === "plain" && o.listUnservedPlain);
    if (!listed) continue;
    const data = bodies[file];
    const hex = o.corrupt ? sha256Hex("something else") : sha256Hex(data);
    lines.push(` ${hex} ${data.length} main/binary-amd64/${file}`);
    if (!o.formats.includes(fmt)) continue;
    await fs.writeFile(path.join(dir, file), data);
    if (o.byHash === "served") {
      await fs.mkdir(path.join(dir, "by-hash", "SHA256"), { recursive: true });
      await fs.writeFile(path.join(dir, "by-hash", "SHA256", sha256Hex(data)), data);
    }
  }
  const release =
    `Origin: Test\nSuite: testing\nCodename: cairntest\nDate: Sat, 11 Jul 2026 10:16:37 UTC\n` +
    (o.validUntil ? `Valid-Until: ${o.validUntil}\n` : "") +
    (o.byHash && o.byHash !== "off" ? "Acquire-By-Hash: yes\n" : "") +
    `Architectures: amd64 arm64\nComponents: main\nSHA256:\n${lines.join("\n")}\n`;
  await fs.writeFile(path.join(dists, "Release"), release);
  if (o.signing === "inrelease") {
    gpg(["--clearsign", "--output", path.join(dists, "InRelease"), path.join(dists, "Release")]);
    await fs.rm(path.join(dists, "Release"));
  } else {
    gpg(["--detach-sign", "--armor", "--output", path.join(dists, "Release.gpg"), path.join(dists, "Release")]);
  }
  return `${base}/${name}`;
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-repo-"));
  gnupg = path.join(tmp, "gnupg");
  keys = await newGpgKey(gnupg, "archive");
  otherKeys = await newGpgKey(path.join(tmp, "gnupg-other"), "stranger");
  server = http.createServer(async (req, res) => {
    const p = decodeURIComponent(new URL(req.url!, "http://x").pathname);
    hits.set(p, (hits.get(p) ?? 0) + 1);
    try {
      res.end(await fs.readFile(path.join(tmp, path.normalize(p))));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  for (const home of [gnupg, path.join(tmp, "gnupg-other")]) execFileSync("gpgconf", ["--homedir", home, "--kill", "gpg-agent"]);
  await fs.rm(tmp, { recursive: true, force: true });
});

const fetcher = httpFetcher({ retries: 0 });
const newStore = async () => new Store(await fs.mkdtemp(path.join(tmp, "store-")));
const args = (uri: string, store: Store, k = keys) => ({ uri, suite: "testing", components: ["main"], architecture: "amd64", keys: k, fetcher, store, now: new Date() });
const hitsUnder = (prefix: string) => [...hits].filter(([p]) => p.startsWith(prefix)).map(([p, n]) => `${p.slice(prefix.length)} ${n}`).sort();

test("InRelease + by-hash .xz: paragraphs parsed; a second run downloads no index", async () => {
  const uri = await buildRepo("a", { signing: "inrelease", formats: ["xz", "gz"], listUnservedPlain: true, byHash: "served" });
  const store = await newStore();
  const first = await loadRepository(args(uri, store));
  assert.equal(first.release.codename, "cairntest");
  assert.equal(first.indexes.length, 1);
  assert.deepEqual(first.indexes[0].repository, { suite: "testing", component: "main" });
  assert.deepEqual(first.indexes[0].paragraphs.map((p) => `${p.Package} ${p.Version} ${p.Architecture}`), ["hello 2.10-3 amd64", "libc6 2.36-9 amd64", "tzdata 2024a-0 all"]);
  // Only what a package record is made of is kept; Descriptions are most of an index's bytes.
  assert.equal(first.indexes[0].paragraphs[0].Description, undefined);
  assert.match(first.indexes[0].paragraphs[0].Filename ?? "", /hello/);
  const xzHash = first.release.files.get("main/binary-amd64/Packages.xz")!.sha256;
  assert.ok(await store.hasBlob(xzHash));
  assert.deepEqual(hitsUnder("/a/dists/testing/"), ["InRelease 1", `main/binary-amd64/by-hash/SHA256/${xzHash} 1`]);

  const second = await loadRepository(args(uri, store));
  assert.equal(second.indexes[0].paragraphs.length, 3);
  assert.deepEqual(hitsUnder("/a/dists/testing/"), ["InRelease 2", `main/binary-amd64/by-hash/SHA256/${xzHash} 1`]);
});

test("Release + Release.gpg when there is no InRelease; .gz picked when no .xz is listed", async () => {
  const uri = await buildRepo("b", { signing: "detached", formats: ["gz", "plain"], byHash: "off" });
  const got = await loadRepository(args(uri, await newStore()));
  assert.equal(got.indexes[0].paragraphs.length, 3);
  assert.deepEqual(hitsUnder("/b/dists/testing/"), ["InRelease 1", "Release 1", "Release.gpg 1", "main/binary-amd64/Packages.gz 1"]);
});

test("by-hash missing on the mirror falls back to the plain name", async () => {
  const uri = await buildRepo("c", { signing: "inrelease", formats: ["xz"], byHash: "missing" });
  const got = await loadRepository(args(uri, await newStore()));
  assert.equal(got.indexes[0].paragraphs[2].Package, "tzdata");
  assert.equal(hits.get("/c/dists/testing/main/binary-amd64/Packages.xz"), 1);
});

test("an index that does not match the signed Release is BAD_CHECKSUM and is not stored", async () => {
  const uri = await buildRepo("d", { signing: "inrelease", formats: ["xz"], byHash: "off", corrupt: true });
  const store = await newStore();
  await assert.rejects(loadRepository(args(uri, store)), (e: any) => {
    assert.equal(e.code, ErrorCode.BAD_CHECKSUM);
    assert.ok(e.message.includes(`${uri}/dists/testing/main/binary-amd64/Packages.xz`), e.message);
    return true;
  });
  await assert.rejects(fs.readdir(path.join(store.root, "blobs", "sha256")), { code: "ENOENT" });
});

test("a Release signed by another key is BAD_SIGNATURE naming the InRelease URL", async () => {
  const uri = await buildRepo("e", { signing: "inrelease", formats: ["xz"] });
  await assert.rejects(loadRepository(args(uri, await newStore(), otherKeys)), (e: any) => e.code === ErrorCode.BAD_SIGNATURE && e.message.includes(`${uri}/dists/testing/InRelease`));
});

test("Valid-Until in the past is RELEASE_EXPIRED unless checkValidUntil is false", async () => {
  const uri = await buildRepo("f", { signing: "inrelease", formats: ["xz"], validUntil: "Sat, 01 Jan 2000 00:00:00 UTC" });
  await assert.rejects(loadRepository(args(uri, await newStore())), (e: any) => e.code === ErrorCode.RELEASE_EXPIRED && e.message.includes(`${uri}/dists/testing/InRelease`));
  const got = await loadRepository({ ...args(uri, await newStore()), checkValidUntil: false });
  assert.equal(got.indexes[0].paragraphs.length, 3);
});

test("a component or architecture the Release lacks is INDEX_MISSING", async () => {
  const uri = await buildRepo("g", { signing: "inrelease", formats: ["xz"] });
  const store = await newStore();
  await assert.rejects(loadRepository({ ...args(uri, store), components: ["main", "contrib"] }), (e: any) => e.code === ErrorCode.INDEX_MISSING && /contrib\/binary-amd64 \(its components: main\)/.test(e.message));
  await assert.rejects(loadRepository({ ...args(uri, store), architecture: "riscv64" }), (e: any) => e.code === ErrorCode.INDEX_MISSING && /riscv64; it has amd64, arm64/.test(e.message));
});

test("a suite that does not exist is INDEX_MISSING naming both URLs", async () => {
  await assert.rejects(loadRepository({ ...args(`${base}/nothing`, await newStore()) }), (e: any) => e.code === ErrorCode.INDEX_MISSING && e.message.includes(`${base}/nothing/dists/testing/Release`));
});

test("a server that is down is UNREACHABLE with the URL", async () => {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const uri = `http://127.0.0.1:${port}/debian`;
  await assert.rejects(loadRepository(args(uri, await newStore())), (e: any) => e.code === ErrorCode.UNREACHABLE && e.message.includes(`${uri}/dists/testing/InRelease`) && /--offline/.test(e.hint));
});
