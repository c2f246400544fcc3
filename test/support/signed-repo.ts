// A real, signed Debian repository for hermetic end-to-end tests: packages built with dpkg-deb,
// indexes compressed by the host's gzip and xz, Release signed by gpg with a throwaway key, all
// served on 127.0.0.1. Real tools, so the repository is the kind apt itself accepts (the harness
// test checks that with apt-get).
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { command } from "./command.js";

export type FileSpec = string | { content: string | Buffer; mode?: number } | { symlink: string };

export interface PkgSpec {
  name: string;
  version: string;
  /** Defaults to the repository's architecture. */
  architecture?: "amd64" | "all";
  depends?: string;
  preDepends?: string;
  provides?: string;
  conflicts?: string;
  /** Paths relative to the root ("usr/bin/hello"). Mode defaults to 0755 under a bin/ or sbin/ folder, else 0644. */
  files?: Record<string, FileSpec>;
  /** First line is the synopsis; further lines the long description. */
  description?: string;
  /**
   * A hand-made .deb (a path) published as is instead of one built from `files`: for hostile
   * packages dpkg-deb would not make. The index paragraph still comes from the fields above.
   */
  deb?: string;
}

export interface RepoSpec {
  suite?: string;
  component?: string;
  architecture?: string;
  packages: PkgSpec[];
  /** Release's Valid-Until; default far in the future; null leaves the field out. */
  validUntil?: Date | null;
}

export interface PublishedDeb {
  name: string;
  version: string;
  architecture: string;
  /** Path in the repository, as in the Packages index's Filename field. */
  filename: string;
  sha256: string;
  size: number;
}

export interface Repo {
  /** Ends with "/". */
  url: string;
  suite: string;
  component: string;
  architecture: string;
  /** Armored public key, usable as apt's Signed-By (the .asc extension matters to apt). */
  keyFile: string;
  fingerprint: string;
  /** The served tree (dists/, pool/). */
  dir: string;
  debs: PublishedDeb[];
  /** Each request's path: the served file as "/" + its path in the repository, or the raw URL path on a 404. */
  requests: string[];
  /** Rewrites a served file in place (path relative to the repository, e.g. "dists/testing-cairn/InRelease"). */
  tamper(path: string, fn: (b: Buffer) => Buffer): Promise<void>;
  /** Replaces the repository's packages and re-signs, e.g. to publish a newer version. */
  publish(packages: PkgSpec[]): Promise<void>;
  close(): Promise<void>;
}

// Fixed times keep the packages and indexes stable between runs (signatures still carry their own time).
const EPOCH = 946684800; // 2000-01-01
const FAR_FUTURE = new Date(Date.UTC(2100, 0, 1));

/** A static binary that runs inside an image with no libc: busybox from Debian's busybox-static. */
export function staticBinary(): string {
  const path = "/bin/busybox";
  if (!existsSync(path)) throw new Error(`${path} is missing: install busybox-static (apt-get install -y busybox-static)`);
  return path;
}

/** Files for a PkgSpec: busybox as usr/bin/busybox and a symlink per applet (default just "sh"). */
export async function busyboxFiles(applets: string[] = ["sh"]): Promise<Record<string, FileSpec>> {
  const files: Record<string, FileSpec> = { "usr/bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } };
  for (const a of applets) files[`usr/bin/${a}`] = { symlink: "busybox" };
  return files;
}

export async function makeRepo(spec: RepoSpec): Promise<Repo> {
  const suite = spec.suite ?? "testing-cairn";
  const component = spec.component ?? "main";
  const architecture = spec.architecture ?? "amd64";
  const root = await mkdtemp(join(tmpdir(), "cairn-repo-"));
  const dir = join(root, "repo");
  const gnupg = join(root, "gnupg");
  await mkdir(dir, { recursive: true });
  await mkdir(gnupg, { mode: 0o700 });
  const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
  const gpg = (args: string[]) =>
    command("gpg", ["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { env: gpgEnv });

  await gpg(["--quick-gen-key", "cairn test repository <repo@cairn.invalid>", "ed25519", "sign", "never"]);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg(["--with-colons", "--list-keys"])).stdout)?.[1];
  if (!fingerprint) throw new Error(`gpg made no key in ${gnupg}`);
  const keyFile = join(root, "repo-key.asc");
  await writeFile(keyFile, (await gpg(["--armor", "--export", fingerprint])).stdout);

  const requests: string[] = [];
  const server = serve(dir, requests);
  await new Promise<void>((ok, fail) => { server.once("error", fail); server.listen(0, "127.0.0.1", ok); });
  const port = (server.address() as AddressInfo).port;

  const repo: Repo = {
    url: `http://127.0.0.1:${port}/`, suite, component, architecture, keyFile, fingerprint, dir, debs: [], requests,
    async tamper(path, fn) {
      const file = inside(dir, path);
      if (!file || !existsSync(file)) throw new Error(`tamper: ${path} is not a file of the repository in ${dir}`);
      await writeFile(file, fn(await readFile(file)));
    },
    async publish(packages) {
      await rm(join(dir, "dists"), { recursive: true, force: true });
      await rm(join(dir, "pool"), { recursive: true, force: true });
      const built = [];
      for (const p of packages) built.push(await buildDeb(root, dir, component, p.architecture ?? architecture, p));
      built.sort((a, b) => (a.deb.filename < b.deb.filename ? -1 : a.deb.filename > b.deb.filename ? 1 : 0));
      repo.debs = built.map((b) => b.deb);
      const packagesIndex = built.map((b) => b.paragraph).join("\n");
      const release = await writeIndexes(dir, suite, component, architecture, packagesIndex, spec.validUntil);
      await gpg(["--local-user", fingerprint, "--digest-algo", "SHA256", "--clearsign", "--output", join(dirname(release), "InRelease"), release]);
      await gpg(["--local-user", fingerprint, "--digest-algo", "SHA256", "--armor", "--detach-sign", "--output", `${release}.gpg`, release]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await command("gpgconf", ["--kill", "all"], { env: gpgEnv, allowFail: true });
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await repo.publish(spec.packages);
  } catch (e) {
    await repo.close();
    throw e;
  }
  return repo;
}

/** A path inside base, or undefined if rel escapes it. */
function inside(base: string, rel: string): string | undefined {
  const p = resolve(base, rel.replace(/^\/+/, ""));
  return p === base || p.startsWith(base + sep) ? p : undefined;
}

function serve(dir: string, requests: string[]): Server {
  return createServer((req, res) => {
    const raw = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    // A pool name keeps an epoch's "%3a" literally; a client may send it encoded ("%253a") or not.
    let decoded = raw;
    try { decoded = decodeURIComponent(raw); } catch { /* keep the raw path */ }
    const serveFile = async () => {
      for (const candidate of [decoded, raw]) {
        const file = inside(dir, candidate);
        const st = file ? await stat(file).catch(() => undefined) : undefined;
        if (!file || !st?.isFile()) continue;
        requests.push("/" + relative(dir, file).split(sep).join("/"));
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": st.size });
        if (req.method === "HEAD") return void res.end();
        return void createReadStream(file).pipe(res);
      }
      requests.push(raw);
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    };
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
    serveFile().catch((e: Error) => res.writeHead(500).end(String(e.message)));
  });
}

const defaultMode = (path: string) => (/(^|\/)s?bin\//.test(path) ? 0o755 : 0o644);

/** Builds one .deb into the pool; returns it and its Packages paragraph (control fields plus checksums). */
async function buildDeb(root: string, dir: string, component: string, arch: string, p: PkgSpec): Promise<{ deb: PublishedDeb; paragraph: string }> {
  const fileVersion = p.version.replace(/:/g, "%3a");
  const base = `${p.name}_${fileVersion}_${arch}`;
  const tree = join(root, "build", base);
  await rm(tree, { recursive: true, force: true });
  await mkdir(tree, { recursive: true });
  await chmod(tree, 0o755);
  let installedBytes = 0;
  const mkdirs = async (d: string) => {
    // Explicit modes, so the packages do not depend on the caller's umask.
    const rel = relative(tree, d).split(sep);
    for (let i = 1; i <= rel.length; i++) {
      const sub = join(tree, ...rel.slice(0, i));
      if (!existsSync(sub)) { await mkdir(sub); await chmod(sub, 0o755); }
    }
  };
  await mkdirs(join(tree, "DEBIAN"));
  for (const path of Object.keys(p.files ?? {}).sort()) {
    const f = p.files![path];
    const target = inside(tree, path);
    if (!target || path.startsWith("DEBIAN")) throw new Error(`package ${p.name}: file path ${path} must be relative, inside the package`);
    await mkdirs(dirname(target));
    if (typeof f === "object" && "symlink" in f) { await symlink(f.symlink, target); continue; }
    const content = typeof f === "string" ? f : f.content;
    const mode = typeof f === "string" ? defaultMode(path) : (f.mode ?? defaultMode(path));
    await writeFile(target, content);
    await chmod(target, mode);
    installedBytes += Buffer.byteLength(content);
  }
  const [synopsis, ...long] = (p.description ?? `${p.name}, a cairn test package`).split("\n");
  const fields: [string, string | undefined][] = [
    ["Package", p.name],
    ["Version", p.version],
    ["Architecture", arch],
    ["Maintainer", "cairn tests <tests@cairn.invalid>"],
    ["Installed-Size", String(Math.ceil(installedBytes / 1024))],
    ["Pre-Depends", p.preDepends],
    ["Depends", p.depends],
    ["Conflicts", p.conflicts],
    ["Provides", p.provides],
    ["Description", [synopsis, ...long.map((l) => (l.trim() === "" ? " ." : ` ${l}`))].join("\n")],
  ];
  const control = fields.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}: ${v}`).join("\n") + "\n";
  await writeFile(join(tree, "DEBIAN", "control"), control);
  await chmod(join(tree, "DEBIAN", "control"), 0o644);

  const filename = `pool/${component}/${p.name[0]}/${p.name}/${base}.deb`;
  await mkdir(dirname(join(dir, filename)), { recursive: true });
  if (p.deb) await copyFile(p.deb, join(dir, filename));
  else {
    await command("dpkg-deb", ["--build", "--root-owner-group", "-Zxz", tree, join(dir, filename)], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) },
    });
  }
  const bytes = await readFile(join(dir, filename));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const md5 = createHash("md5").update(bytes).digest("hex");
  const paragraph = `${control}Filename: ${filename}\nSize: ${bytes.length}\nMD5sum: ${md5}\nSHA256: ${sha256}\n`;
  return { deb: { name: p.name, version: p.version, architecture: arch, filename, sha256, size: bytes.length }, paragraph };
}

/** Writes Packages (plain, .gz, .xz, by-hash copies) and Release; returns Release's path. */
async function writeIndexes(dir: string, suite: string, component: string, arch: string, packages: string, validUntil?: Date | null): Promise<string> {
  const dists = join(dir, "dists", suite);
  const binDir = join(dists, component, `binary-${arch}`);
  await mkdir(join(binDir, "by-hash", "SHA256"), { recursive: true });
  await writeFile(join(binDir, "Packages"), packages);
  await writeFile(join(binDir, "Packages.gz"), (await command("gzip", ["-9", "-n", "-c", join(binDir, "Packages")])).stdoutBytes);
  await writeFile(join(binDir, "Packages.xz"), (await command("xz", ["-9", "-T1", "-c", join(binDir, "Packages")])).stdoutBytes);

  const sums: string[] = [];
  for (const name of ["Packages", "Packages.gz", "Packages.xz"]) {
    const bytes = await readFile(join(binDir, name));
    const hex = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(binDir, "by-hash", "SHA256", hex), bytes);
    sums.push(` ${hex} ${String(bytes.length).padStart(8)} ${component}/binary-${arch}/${name}`);
  }
  const until = validUntil === undefined ? FAR_FUTURE : validUntil;
  const release = [
    "Origin: cairn-tests",
    "Label: cairn-tests",
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${new Date(EPOCH * 1000).toUTCString().replace("GMT", "UTC")}`,
    ...(until ? [`Valid-Until: ${until.toUTCString().replace("GMT", "UTC")}`] : []),
    `Architectures: ${arch}`,
    `Components: ${component}`,
    "Acquire-By-Hash: yes",
    "Description: cairn hermetic test repository",
    "SHA256:",
    ...sums,
  ].join("\n") + "\n";
  await writeFile(join(dists, "Release"), release);
  return join(dists, "Release");
}
