// The image's filesystem, assembled: unpacked packages (paths moved under /usr), the user's files,
// and what the packages' maintainer scripts would have made. Metadata only; contents stay on disk.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { DebEntry, UnpackedPackage } from "../debian/deb.js";
import { parseRelations } from "../debian/relations.js";
import { formatParagraph, parseParagraphs } from "../debian/control.js";
import type { FetchedSpec, FilesSpec, ImageSpec, TextSpec } from "../define/spec.js";
import { fetchCall, homeOf, locationOf } from "../define/call-site.js";
import type { Store } from "../store/store.js";
import { silentReporter, type Reporter } from "../report.js";
import { CairnError, ErrorCode } from "../errors.js";
import { directory, FileTree } from "./tree.js";
import type { BaseView, FsEntry } from "./types.js";
import { MERGED_DIRS, mergedUsrLinks, mergedUsrPath } from "./usrmerge.js";
import { archiveEntries } from "./unpack-archive.js";
import { makeAccounts } from "./generated/accounts.js";
import { jinfoAlternatives, planAlternatives, postinstAlternatives, type AltCandidate } from "./generated/alternatives.js";
import { BUSYBOX_PATH, busyboxApplets } from "./generated/busybox.js";
import { BUNDLE_PATH, bundleSources, cacerts, JAVA_CACERTS_PATH, javaTrustFromBundle, planTrust } from "./generated/ca-bundle.js";
import { dpkgDatabase } from "./generated/dpkg-database.js";
import { LD_SO_CACHE_PATH } from "./generated/ldcache.js";
import { osRelease, type Distribution } from "./generated/os-release.js";
import { isUserOrigin, userOverride } from "./generated/overrides.js";


export type { UnpackedPackage };

export const GENERATED = "generated";

/**
 * The user's `files()`, `text()` and `fetchurl()` contents as entries, in definition order. A
 * fetched file is the store's blob of its sha256, which the build fetched first (fetchSources).
 */
export async function userEntries(spec: ImageSpec, definitionDir: string, store?: Store): Promise<FsEntry[]> {
  const out: FsEntry[] = [];
  for (const c of spec.contents) {
    if (c.kind === "files") out.push(...(await userFiles(c, definitionDir, store)));
    if (c.kind === "text") out.push(textEntry(c));
    if (c.kind === "fetched") out.push(...(await fetchedEntries(c, store)));
  }
  return out;
}

async function fetchedEntries(c: FetchedSpec, store: Store | undefined): Promise<FsEntry[]> {
  if (!c.sha256) throw new Error(`cairn bug: ${fetchCall(c)} was not pinned before its entry was made`);
  const blob = store?.blobPath(c.sha256);
  const st = blob ? await fs.stat(blob).catch(() => undefined) : undefined;
  if (!blob || !st) throw new Error(`cairn bug: ${fetchCall(c)} was not fetched before its entry was made`);
  if (c.unpack) return archiveEntries(c as FetchedSpec & { unpack: { stripRoot: boolean } }, store!, mergedUsrPath(treePath(c.destination)));
  return [{
    path: mergedUsrPath(treePath(c.destination)), type: "file", mode: c.mode ?? 0o644, uid: 0, gid: 0,
    size: st.size, sha256: c.sha256, content: { kind: "path", path: blob }, origin: `files:${c.url}`,
  }];
}

export interface AssembleOptions {
  /** What the base image already holds. */
  base?: BaseView;
  /** Hears what people should know about the tree (a file of theirs replacing cairn's). */
  report?: Pick<Reporter, "info" | "warn">;
  /**
   * The /etc/ld.so.cache for the finished tree, or undefined for none. Made by the closure stage,
   * which reads ELF files; assembling only places it, last, once every library is in place.
   */
  ldSoCache?: (tree: FileTree) => Promise<Buffer | undefined>;
}

export async function assemble(
  spec: ImageSpec, packages: UnpackedPackage[], distribution: Distribution | undefined, user: FsEntry[], options: AssembleOptions = {},
): Promise<FileTree> {
  const { base, report = silentReporter } = options;
  const tree = new FileTree();
  const sorted = [...packages].sort((a, b) => (a.locked.name < b.locked.name ? -1 : a.locked.name > b.locked.name ? 1 : 0));
  const fileGroups = new Map<number, string>();

  for (const pkg of sorted) {
    const control = parseParagraphs(pkg.manifest.control)[0] ?? {};
    const replaced = new Set(parseRelations(control["Replaces"]).flat().map((r) => r.name));
    const replaces = (origin: string) => replaced.has(origin);
    for (const e of pkg.manifest.entries) {
      if (e.gid !== 0 && e.gname) fileGroups.set(e.gid, e.gname);
      // Debian 13's base-files ships the merged-/usr links itself (bin -> usr/bin): cairn makes them.
      if (isMergedUsrLink(e)) continue;
      tree.add(packageEntry(e, pkg), replaces);
    }
  }

  // User files win over package files at the same path: that is how a config file is replaced.
  const userWins = (origin: string) => origin !== GENERATED && !isUserOrigin(origin);
  for (const e of user) tree.add(e, userWins);

  await addGenerated(tree, spec, sorted, distribution, fileGroups, base, report, options.ldSoCache);
  return tree;
}

function isMergedUsrLink(e: DebEntry): boolean {
  return e.type === "symlink" && (MERGED_DIRS as readonly string[]).includes(e.path) && e.linkname!.replace(/^\/+/, "").replace(/\/+$/, "") === `usr/${e.path}`;
}

function packageEntry(e: DebEntry, pkg: UnpackedPackage): FsEntry {
  const p = mergedUsrPath(e.path);
  const base = { path: p, mode: e.mode, uid: e.uid, gid: e.gid, origin: pkg.locked.name };
  switch (e.type) {
    case "dir":
      return { ...base, type: "dir", size: 0 };
    case "file":
      return { ...base, type: "file", size: e.size, sha256: e.sha256!, content: { kind: "path", path: path.join(pkg.dir, "files", e.path) } };
    case "hardlink":
      return { ...base, type: "hardlink", size: 0, linkname: mergedUsrPath(e.linkname!) };
    case "symlink":
      return { ...base, type: "symlink", size: 0, linkname: p === e.path ? e.linkname! : movedLinkTarget(e.path, p, e.linkname!) };
  }
}

/** A relative link that moved (bin/x → usr/bin/x) must still point where it did. */
function movedLinkTarget(from: string, to: string, target: string): string {
  if (target.startsWith("/")) return target;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(from), target));
  if (resolved.startsWith("..")) return target;
  return path.posix.relative(path.posix.dirname(to), mergedUsrPath(resolved)) || ".";
}

/** "image.ts:5:31: " where the definition made this files(), when known. */
function at(c: FilesSpec): string {
  const where = locationOf(c);
  return where ? `${where}: ` : "";
}

/** A destination as the tree spells paths: "/a//b/./c/" → "a/b/c", "/" → "" (the root). */
function treePath(destination: string): string {
  return path.posix.normalize(destination).replace(/^\/+|\/+$/g, "");
}

function textEntry(c: TextSpec): FsEntry {
  const data = Buffer.from(c.text, "utf8");
  return {
    path: mergedUsrPath(treePath(c.destination)), type: "file", mode: c.mode ?? 0o644, uid: c.uid ?? 0, gid: c.gid ?? 0,
    size: data.length, sha256: createHash("sha256").update(data).digest("hex"), content: { kind: "bytes", data }, origin: `files:text ${c.destination}`,
  };
}

async function userFiles(c: FilesSpec, definitionDir: string, store: Store | undefined): Promise<FsEntry[]> {
  const source = path.resolve(definitionDir, c.source);
  const dest = mergedUsrPath(treePath(c.destination));
  const origin = `files:${c.source}`;
  // The folder of the module that called files(): a shared helper imported from elsewhere may copy its own files.
  const home = homeOf(c) ?? definitionDir;
  const rel = path.relative(home, source);
  if (!c.outside && (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))) {
    throw new CairnError(
      ErrorCode.LOCAL_FILE_OUTSIDE,
      `${at(c)}files("${c.source}", "${c.destination}"): ${source} is outside the definition's folder ${home}.`,
      `If the image should hold it, say so: files("${c.source}", "${c.destination}", { outside: true }). A definition is code: build only definitions you trust.`,
    );
  }
  let st;
  try {
    st = await fs.lstat(source);
  } catch {
    throw new CairnError(ErrorCode.LOCAL_FILE_MISSING, `${at(c)}files("${c.source}", "${c.destination}"): ${source} does not exist.`, "Relative paths are taken from the folder of the definition file; fix the path or create the file.");
  }
  const out: FsEntry[] = [];
  const owner = { uid: c.uid ?? 0, gid: c.gid ?? 0 };
  const skip = excludeMatcher(c.exclude ?? []);
  // A file copied to a directory ("/", "/etc/") keeps its name there, as `COPY` does.
  const fileDest = !st.isDirectory() && (dest === "" || c.destination.endsWith("/")) ? [dest, path.basename(source)].filter(Boolean).join("/") : dest;
  const visit = async (abs: string, rel: string, s: Awaited<ReturnType<typeof fs.lstat>>) => {
    if (rel && skip(rel)) return;
    // The image root is "" in tree paths: what a directory copied to "/" holds sits at the top.
    const p = rel ? (dest ? `${dest}/${rel}` : rel) : fileDest;
    if (s.isDirectory()) {
      if (p) out.push({ path: p, type: "dir", mode: c.mode !== undefined ? c.mode | 0o111 : 0o755, ...owner, size: 0, origin });
      for (const name of (await fs.readdir(abs)).sort()) {
        await visit(path.join(abs, name), rel ? `${rel}/${name}` : name, await fs.lstat(path.join(abs, name)));
      }
    } else if (s.isSymbolicLink()) {
      out.push({ path: p, type: "symlink", mode: 0o777, ...owner, size: 0, linkname: await fs.readlink(abs), origin });
    } else if (s.isFile()) {
      const mode = c.mode ?? (Number(s.mode) & 0o111 ? 0o755 : 0o644);
      out.push({ path: p, type: "file", mode, ...owner, size: Number(s.size), sha256: await hashFile(abs, s, store), content: { kind: "path", path: abs }, origin });
    } else {
      // A socket, FIFO or device: an image layer cannot hold it, and leaving it out silently would hide that.
      const kind = s.isSocket() ? "a socket" : s.isFIFO() ? "a named pipe" : "a device file";
      throw new CairnError(ErrorCode.LOCAL_FILE_UNSUPPORTED, `files("${c.source}", "${c.destination}"): ${abs} is ${kind}, which an image cannot hold.`, `Leave it out with files(…, { exclude: ["${rel ? rel.slice(rel.lastIndexOf("/") + 1) : path.basename(abs)}"] }).`);
    }
  };
  await visit(source, "", st);
  return out;
}

/**
 * files()'s `exclude`: a pattern without a slash matches a name at any depth (as in .gitignore),
 * one with a slash matches the path from the source's top; `*` and `?` stay within one name.
 */
export function excludeMatcher(patterns: string[]): (rel: string) => boolean {
  const compiled = patterns.map((p) => {
    const glob = p.replace(/^\/+|\/+$/g, "");
    const re = new RegExp(`^${glob.split("").map((ch) => (ch === "*" ? "[^/]*" : ch === "?" ? "[^/]" : ch.replace(/[\\^$.|+()[\]{}]/, "\\$&"))).join("")}$`);
    return { re, anchored: glob.includes("/") || p.startsWith("/") };
  });
  return (rel) => compiled.some(({ re, anchored }) => re.test(anchored ? rel : rel.slice(rel.lastIndexOf("/") + 1)));
}

/**
 * A file's sha256, remembered by its path and stat (as git's index does), so an unchanged
 * gigabyte of application data is not read again on every build.
 */
async function hashFile(p: string, st: { size: number | bigint; mtimeMs: number | bigint; ctimeMs: number | bigint; ino: number | bigint }, store: Store | undefined): Promise<string> {
  const stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  const key = createHash("sha256").update(p).digest("hex");
  const known = await store?.getEntry<{ stamp: string; sha256: string }>("file-hash", key);
  if (known?.stamp === stamp) return known.sha256;
  const h = createHash("sha256");
  for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
  const sha256 = h.digest("hex");
  await store?.putEntry("file-hash", key, { stamp, sha256 });
  return sha256;
}

function bytesEntry(p: string, text: string | Buffer, mode = 0o644, uid = 0, gid = 0): FsEntry {
  const data = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return { path: p, type: "file", mode, uid, gid, size: data.length, sha256: createHash("sha256").update(data).digest("hex"), content: { kind: "bytes", data }, origin: GENERATED };
}

function link(p: string, target: string): FsEntry {
  return { path: p, type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, linkname: target, origin: GENERATED };
}

async function addGenerated(
  tree: FileTree, spec: ImageSpec, packages: UnpackedPackage[], distribution: Distribution | undefined, fileGroups: Map<number, string>, base: BaseView | undefined, report: Pick<Reporter, "info" | "warn">,
  ldSoCache: AssembleOptions["ldSoCache"],
): Promise<void> {
  /** Whether what is at `p` stays instead of cairn's file: the definition's own file does (with a
   *  note, or an error where cairn must own the file), a package's when `packagesWin`. */
  const stays = (p: string, packagesWin: boolean): boolean => {
    const old = tree.get(p);
    if (old && isUserOrigin(old.origin)) {
      report.info(userOverride(p, old.origin));
      return true;
    }
    return !!old && packagesWin;
  };
  const generate = (e: FsEntry, packagesWin = false) => {
    if (!stays(e.path, packagesWin)) tree.set(e);
  };
  for (const l of mergedUsrLinks(tree.paths())) {
    // A base with a real /bin directory keeps it: a link on top would hide its contents.
    if (base?.paths.get(l.path)?.type === "dir") continue;
    tree.set(link(l.path, l.target));
    if (!tree.has(l.target)) tree.set(directory(l.target, GENERATED));
  }

  const accounts = makeAccounts(spec.users, spec.groups, fileGroups, base && { passwd: base.files.get("etc/passwd"), group: base.files.get("etc/group") });
  generate(bytesEntry("etc/passwd", accounts.passwd));
  generate(bytesEntry("etc/group", accounts.group));
  generate(bytesEntry("etc/shadow", accounts.shadow, 0o640));
  for (const h of accounts.homes) {
    const existing = tree.get(h.path);
    if (!existing || existing.type === "dir") tree.set(directory(h.path, GENERATED, h.mode, h.uid, h.gid));
  }
  generate(bytesEntry("etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"), true);
  tree.set(directory("tmp", GENERATED, 0o1777));

  if (distribution) {
    const rel = osRelease(distribution);
    generate(bytesEntry("usr/lib/os-release", rel.osRelease), true);
    generate(link("etc/os-release", "../usr/lib/os-release"), true);
    if (rel.debianVersion) generate(bytesEntry("etc/debian_version", rel.debianVersion), true);
  }

  // Before busybox's applets, so that mawk's awk is the awk.
  await addAlternatives(tree, packages, base);

  // busybox's applet links (sh, ls, ...), where nothing else provides the command.
  const bb = tree.get(BUSYBOX_PATH);
  if (bb?.type === "file" && bb.content?.kind === "path") {
    for (const name of busyboxApplets(await fs.readFile(bb.content.path))) {
      if (!tree.has(`usr/bin/${name}`) && !tree.has(`usr/sbin/${name}`)) tree.set(link(`usr/bin/${name}`, "busybox"));
    }
  }

  await addTrust(tree, spec, packages, base, generate, report);

  if (packages.length) {
    const installed = await Promise.all(packages.map(async (p) => ({ control: p.manifest.control, md5sums: p.manifest.md5sums ?? (await md5sumsOf(p)), paths: p.manifest.entries.map((e) => e.path) })));
    const db = dpkgDatabase(installed);
    // The base's packages stay listed, unless this image installs another version of one.
    const ours = new Set(installed.map((p) => parseParagraphs(p.control)[0]?.["Package"]));
    const baseStatus = parseParagraphs(base?.files.get("var/lib/dpkg/status") ?? "").filter((p) => !ours.has(p["Package"]));
    const status = baseStatus.length
      ? [...baseStatus, ...parseParagraphs(db.status)].sort((a, b) => (a["Package"]! < b["Package"]! ? -1 : 1)).map(formatParagraph).join("\n")
      : db.status;
    generate(bytesEntry("var/lib/dpkg/status", status));
    for (const [name, text] of db.info) generate(bytesEntry(`var/lib/dpkg/info/${name}`, text));
  }

  // The ld.so.cache ldconfig would write, last: every library and link is in place by now.
  if (!stays(LD_SO_CACHE_PATH, true)) {
    const ldCache = await ldSoCache?.(tree);
    if (ldCache) tree.set(bytesEntry(LD_SO_CACHE_PATH, ldCache));
  }
}

/**
 * What update-ca-certificates and ca-certificates-java would have made: the bundle (with the
 * definition's CAs under /usr/local/share/ca-certificates), the links OpenSSL finds it by, Java's
 * cacerts when a JRE is there, and the other distributions' bundle paths the definition asks for.
 */
async function addTrust(
  tree: FileTree, spec: ImageSpec, packages: UnpackedPackage[], base: BaseView | undefined, generate: (e: FsEntry, packagesWin?: boolean) => void, report: Pick<Reporter, "warn">,
): Promise<void> {
  // The JRE's lib/security/cacerts links to the keystore ca-certificates-java's trigger writes.
  const jreLink = [...tree.paths()].find((p) => p.startsWith("usr/lib/jvm/") && tree.get(p)!.linkname === "/" + JAVA_CACERTS_PATH);
  if (packages.some((p) => p.locked.name === "ca-certificates")) {
    const files = (paths: string[]) => Promise.all(paths.map((p) => tree.get(p)!).filter((e) => e.type === "file").map(async (e) => ({ path: e.path, data: await contentOf(e) })));
    const sources = await files(bundleSources(tree.paths()));
    const inCertsDir = await files([...tree.paths()].filter((p) => /^etc\/ssl\/certs\/[^/]+$/.test(p) && p !== BUNDLE_PATH));
    const plan = planTrust(sources, inCertsDir);
    generate(bytesEntry(BUNDLE_PATH, plan.bundle));
    for (const l of plan.links) generate(link(l.path, l.target), true);
    // OpenSSL looks in its OPENSSLDIR (/usr/lib/ssl); the links there come with the `openssl`
    // package, which the runtime closure leaves out when nothing runs its program.
    generate(link("usr/lib/ssl/cert.pem", "/" + BUNDLE_PATH), true);
    generate(link("usr/lib/ssl/certs", "/etc/ssl/certs"), true);

    if (jreLink || packages.some((p) => p.locked.name === "ca-certificates-java")) {
      // A bundle of the definition's own is what Java trusts too.
      const bundle = tree.get(BUNDLE_PATH)!;
      const certs = isUserOrigin(bundle.origin) && bundle.type === "file" ? javaTrustFromBundle(await contentOf(bundle)) : plan.java;
      generate(bytesEntry(JAVA_CACERTS_PATH, cacerts(certs)));
    }
  } else if (jreLink && !tree.has(JAVA_CACERTS_PATH) && !base?.paths.has(JAVA_CACERTS_PATH) && !spec.exclude.some((x) => x === "ca-certificates" || x === "ca-certificates-java")) {
    // Java would fail only at run time, with "the trustAnchors parameter must be non-empty".
    report.warn(
      `Java in this image (${tree.get(jreLink)!.origin}) trusts no certificate authority: /${JAVA_CACERTS_PATH} is made from ca-certificates, which is not in the image. ` +
        'Add pkgs("ca-certificates") to `contents` for HTTPS from Java, or put "ca-certificates-java" in `exclude` to say the image needs none.',
    );
  }
  const links = spec.caBundleLinks ?? [];
  if (links.length && !tree.has(BUNDLE_PATH) && !base?.paths.has(BUNDLE_PATH)) {
    throw new CairnError(ErrorCode.DEFINITION_INVALID, `caBundleLinks asks for links to /${BUNDLE_PATH}, but the image has no CA bundle.`, 'Add pkgs("ca-certificates") to `contents`, or drop `caBundleLinks`.');
  }
  for (const p of links) generate(link(p.replace(/^\/+/, ""), "/" + BUNDLE_PATH));
}

async function contentOf(e: FsEntry): Promise<Buffer> {
  if (e.content?.kind === "path") return fs.readFile(e.content.path);
  return e.content?.kind === "bytes" ? e.content.data : Buffer.alloc(0);
}

/** The links update-alternatives would have made, from literal postinst calls and Java's .jinfo files. */
async function addAlternatives(tree: FileTree, packages: UnpackedPackage[], base?: BaseView): Promise<void> {
  const candidates: AltCandidate[] = [];
  for (const p of packages) {
    if (p.manifest.postinst?.includes("update-alternatives")) candidates.push(...postinstAlternatives(p.manifest.postinst));
    for (const e of p.manifest.entries) {
      if (e.type !== "file" || !/^usr\/lib\/jvm\/\.[^/]+\.jinfo$/.test(e.path)) continue;
      candidates.push(...jinfoAlternatives(await fs.readFile(path.join(p.dir, "files", e.path), "utf8")));
    }
  }
  const plan = planAlternatives(candidates, (p) => tree.has(p) || !!base?.paths.has(p));
  for (const l of plan.links) tree.set(link(l.path, l.target));
  for (const d of plan.databases) tree.set(bytesEntry(d.path, d.text));
}

/** md5sums as dh_md5sums writes them (regular files but conffiles), for a .deb built without. */
async function md5sumsOf(p: UnpackedPackage): Promise<string> {
  const conffiles = new Set((p.manifest.conffiles ?? "").split("\n").map((l) => l.trim().replace(/^\/+/, "")));
  const lines: string[] = [];
  for (const e of p.manifest.entries) {
    if (e.type !== "file" || conffiles.has(e.path)) continue;
    const h = createHash("md5");
    for await (const chunk of createReadStream(path.join(p.dir, "files", e.path))) h.update(chunk as Buffer);
    lines.push(`${h.digest("hex")}  ${e.path}\n`);
  }
  return lines.join("");
}
