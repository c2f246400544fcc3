// The public API: what `import { ... } from "cairn"` gives a definition. These functions only
// describe — they return plain spec objects and never touch the disk or the network.
import { fileURLToPath } from "node:url";
import { debianArchitecture } from "./platform.js";
import { recordCallSite } from "./call-site.js";
import type { ContainerConfig, ContentSpec, DebianPackageSpec, DebianSetSpec, DerivationSpec, FetchedSpec, FilesSpec, GroupSpec, ImageSpec, LocalImageSpec, PulledImageSpec, SourceSpec, StepSpec, TextSpec, TrimSpec, UserSpec } from "./spec.js";
import { DEFAULT_TRIM } from "./spec.js";
import {
  arrayOf, checkObject, invalid, isAbsolutePath, isBoolean, isEmptyObjectRecord, isId, isMode, isNonEmptyString, isString, isStringArray, isStringRecord,
} from "./validate.js";

export type { ContainerConfig, ContentSpec, DebianPackageSpec, DebianSetSpec, DerivationSpec, FilesSpec, GroupSpec, ImageSpec, LocalImageSpec, PulledImageSpec, SourceSpec, StepSpec, TextSpec, TrimSpec, UserSpec };
export { makeWrapper, type WrapperOptions } from "./wrapper.js";
export { python, type ApplicationOptions, type Python, type PythonOptions, type PythonPackageOptions } from "./python.js";
export { node, type NodeApplicationOptions, type NodePackages } from "./node.js";
export { compose, type ComposeOptions, type ComposeSpec, type ServiceOptions, type ServiceSpec } from "./compose.js";

export interface PullImageOptions {
  /** `registry/repository`, e.g. "127.0.0.1:5000/team/redis". Required. */
  imageName: string;
  /** Tag to resolve when no digest is given; `cairn lock` pins it in cairn.lock. Default "latest". */
  tag?: string;
  /** `sha256:…` of the manifest: the image, exactly. */
  imageDigest?: string;
}

/** A base image from an image tar on this machine, for `fromImage` (its manifest digest is pinned in cairn.lock). */
export function imageFile(path: string | URL): LocalImageSpec {
  const p = path instanceof URL ? fileURLToPath(path) : path;
  isNonEmptyString(p, "imageFile() path");
  return { kind: "local-image", path: p };
}

/** A base image from a registry, for `fromImage`. Its digest is pinned in cairn.lock. */
export function pullImage(options: PullImageOptions): PulledImageSpec {
  checkObject(options, "pullImage()", {
    imageName: isNonEmptyString,
    tag: isNonEmptyString,
    imageDigest: (v: unknown, at: string) => {
      if (typeof v !== "string" || !/^sha256:[0-9a-f]{64}$/.test(v)) invalid(at, 'must be "sha256:" and 64 hex digits');
    },
  }, ["imageName"]);
  return { kind: "pulled-image", imageName: options.imageName, ...(options.tag ? { tag: options.tag } : {}), ...(options.imageDigest ? { imageDigest: options.imageDigest } : {}) };
}

export interface DebianOptions {
  /** Suite to take from the host's apt sources, with its -updates and -security companions (e.g. "bookworm"). */
  suite?: string;
  /** Explicit archives instead of the host's apt configuration. */
  sources?: SourceSpec[];
  /** Debian architecture of the image; default "amd64". */
  architecture?: string;
  /** Check Release files' Valid-Until; default true (turn off for pinned snapshots). */
  checkValidUntil?: boolean;
  /**
   * Where to fetch locked .debs the mirror has dropped (Debian keeps only the current point
   * release): a snapshot archive, `{ uri: SNAPSHOT_ARCHIVE_URI }`, at the time the lock
   * records (or `at`). Resolution still reads the sources.
   */
  snapshot?: { uri: string; at?: string };
}

export interface PackageOptions {
  /** Exact version to pin, e.g. "5:7.0.15-1~deb12u1". */
  version?: string;
}

/** A package set, called with a package name: `pkgs("redis-server")`. */
export interface DebianPackages {
  (name: string, options?: PackageOptions): DebianPackageSpec;
  readonly spec: DebianSetSpec;
}

/** A snapshot moment: the snapshot archive's `20240101T000000Z`, or a date JavaScript can read. */
const isSnapshotTime = (v: unknown, at: string) => {
  if (typeof v !== "string" || !(/^\d{8}T\d{6}Z$/.test(v) || !Number.isNaN(Date.parse(v)))) invalid(at, 'must be a time like "20240101T000000Z" or "2024-01-01T00:00:00Z"');
};

const sourceShape = { uri: isNonEmptyString, suites: isStringArray, components: isStringArray, signedBy: isNonEmptyString };

/** Debian packages from the host's apt sources (or the ones given). */
export function debian(options: DebianOptions = {}): DebianPackages {
  checkObject(options, "debian()", {
    suite: isNonEmptyString,
    sources: arrayOf((v, at) => checkObject(v, at, sourceShape, ["uri", "suites"])),
    architecture: isNonEmptyString,
    checkValidUntil: isBoolean,
    snapshot: (v: unknown, at: string) => checkObject(v, at, { uri: isNonEmptyString, at: isSnapshotTime }, ["uri"]),
  });
  const spec: DebianSetSpec = {
    kind: "debian-set",
    ...(options.suite ? { suite: options.suite } : {}),
    ...(options.sources ? { sources: options.sources.map((s) => ({ ...s, components: s.components ?? ["main"] })) } : {}),
    architecture: options.architecture ?? "amd64",
    checkValidUntil: options.checkValidUntil ?? true,
    ...(options.snapshot ? { snapshot: { uri: options.snapshot.uri, ...(options.snapshot.at ? { at: options.snapshot.at } : {}) } } : {}),
  };
  const pkgs = (name: string, opts: PackageOptions = {}): DebianPackageSpec => {
    // `pkgs("redis-server=5:7.0.15-1")` pins like apt-get does.
    const eq = typeof name === "string" ? name.indexOf("=") : -1;
    if (eq > 0 && opts.version === undefined) return pkgs(name.slice(0, eq), { version: name.slice(eq + 1) });
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9+.-]+$/.test(name)) invalid(`package name ${JSON.stringify(name)}`, "is not a Debian package name");
    checkObject(opts, `options of package "${name}"`, { version: isNonEmptyString });
    return { kind: "debian-package", name, ...(opts.version ? { version: opts.version } : {}), set: spec };
  };
  return Object.assign(pkgs, { spec });
}

export interface FilesOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface DirectoryOptions extends FilesOptions {
  /** Leave these out of a directory: names or globs at any depth ("node_modules", "*.log"), or
   *  paths from the directory's top when they have a slash ("public/drafts"). */
  exclude?: string[];
  /** Allow a `source` outside the definition's folder (`../shared`, an absolute path elsewhere).
   *  Off by default, so that a definition from elsewhere cannot quietly copy your files into an image. */
  outside?: boolean;
}

const isExcludeList = arrayOf((v: unknown, at: string) => {
  if (typeof v !== "string" || !/[^/]/.test(v) || v.split("/").includes("..")) invalid(at, 'must be a name, glob or relative path like "node_modules", "*.log" or "public/drafts"');
});

/** Copy a file or directory from the building machine into the image at `destination`.
 *  A relative `source` is taken from the folder of the definition file. */
export function files(source: string | URL, destination: string, options: DirectoryOptions = {}): FilesSpec {
  // fileURLToPath decodes %20 & co (URL.pathname does not); other schemes are not files here.
  const src = source instanceof URL ? (source.protocol === "file:" ? fileURLToPath(source) : "") : source;
  isNonEmptyString(src, "files() source");
  isAbsolutePath(destination, "files() destination");
  checkObject(options, "files() options", { mode: isMode, uid: isId, gid: isId, exclude: isExcludeList, outside: isBoolean });
  const { exclude, ...rest } = options;
  return recordCallSite({ kind: "files", source: src, destination, ...rest, ...(exclude?.length ? { exclude: [...exclude].sort() } : {}) });
}

/**
 * A file from the network pinned by its hash, as Nix's `fetchurl { url; sha256; }`: fetched once
 * into the cache and checked, then at `destination` like files() — in an image, or in a
 * derivation's inputs (a release tarball to build from). `sha256` is hex or SRI (`sha256-…`);
 * without it, the first fetch pins the file's sha256 in cairn.lock (and --frozen refuses).
 */
export function fetchurl(options: { url: string; sha256?: string }, destination: string, fileOptions: { mode?: number } = {}): FetchedSpec {
  checkObject(options, "fetchurl()", { url: isNonEmptyString, sha256: isNonEmptyString }, ["url"]);
  checkUrl(options.url, "fetchurl() url");
  isAbsolutePath(destination, "fetchurl() destination");
  if (/\/(\.)?$/.test(destination)) invalid("fetchurl() destination", `must name a file, like "/src/redis.tar.gz", not a directory ("${destination}")`);
  checkObject(fileOptions, "fetchurl() options", { mode: isMode });
  const sha256 = options.sha256 === undefined ? {} : { sha256: hexSha256(options.sha256, "fetchurl() sha256") };
  return recordCallSite({ kind: "fetched", url: options.url, ...sha256, destination, ...fileOptions });
}

/**
 * A source archive from the network, unpacked at the folder `destination`, as Nix's `fetchzip`:
 * a tar, plain or compressed with gzip, xz or zstd. Its one top folder (`redis-7.2.4/`) is taken
 * off unless `stripRoot: false`. `sha256` is the archive's, as fetchurl()'s (not Nix's hash of
 * the unpacked tree): checked before a byte is unpacked, and pinned in cairn.lock when left out.
 */
export function fetchzip(options: { url: string; sha256?: string; stripRoot?: boolean }, destination: string): FetchedSpec {
  checkObject(options, "fetchzip()", { url: isNonEmptyString, sha256: isNonEmptyString, stripRoot: isBoolean }, ["url"]);
  checkUrl(options.url, "fetchzip() url");
  isAbsolutePath(destination, "fetchzip() destination");
  const sha256 = options.sha256 === undefined ? {} : { sha256: hexSha256(options.sha256, "fetchzip() sha256") };
  return recordCallSite({ kind: "fetched", url: options.url, ...sha256, destination, unpack: { stripRoot: options.stripRoot ?? true } });
}

function checkUrl(text: string, at: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(at, `must be a URL, not ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") invalid(at, `must be http: or https:, not ${url.protocol}`);
}

/** A sha256 as hex, from hex or SRI (`sha256-<base64>`). */
function hexSha256(text: string, at: string): string {
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(text);
  const hex = sri ? Buffer.from(sri[1]!, "base64").toString("hex") : text.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) invalid(at, "must be 64 hex digits or sha256-<base64> (SRI)");
  return hex;
}

/** A small file with the given text. */
export function text(destination: string, content: string, options: FilesOptions = {}): TextSpec {
  isAbsolutePath(destination, "text() destination");
  // A text is one file: "/" or "/etc/" names a directory, which the file would replace.
  if (/\/(\.)?$/.test(destination)) invalid("text() destination", `must name a file, like "/etc/motd", not a directory ("${destination}")`);
  isString(content, "text() content");
  checkObject(options, "text() options", { mode: isMode, uid: isId, gid: isId });
  return { kind: "text", destination, text: content, ...options };
}

export interface StepOptions {
  /** Shell script, run with `sh -e`. */
  script: string;
  /** Packages available while the script runs, left out of the image: `[pkgs("passwd")]`. */
  tools?: DebianPackageSpec[];
  /** Let the script reach the network; default false (steps run offline, so they repeat). */
  network?: boolean;
}

export interface DerivationOptions {
  /** Names the derivation in messages, the lock and the layer. Required. */
  name: string;
  /** What the build sees: packages (`pkgs("gcc")`), files, text and other derivations. */
  inputs?: Contents;
  /** Shell script (`sh -e`) that writes its result under `$out`; the working directory is a scratch /build. */
  build: string;
  /** Let the build reach the network (`npm ci`); default false. */
  network?: boolean;
  /** The build compiles for the image's platform from the building machine's (Go's GOARCH): its
   *  packages are the building machine's architecture, so it runs natively with no emulation, and
   *  it gets GOOS, GOARCH (GOARM), CAIRN_TARGET_ARCH, DEB_HOST_ARCH and DEB_HOST_GNU_TYPE. */
  crossCompiles?: boolean;
}

const packageCheck = (v: unknown, at: string) => {
  if ((v as { kind?: string } | null)?.kind !== "debian-package") invalid(at, 'must be a package: pkgs("name")');
};

function makeStep(v: string | StepOptions, at: string): StepSpec {
  if (typeof v === "string") v = { script: v };
  checkObject(v, at, { script: isNonEmptyString, tools: arrayOf(packageCheck), network: isBoolean }, ["script"]);
  return { kind: "step", script: v.script, tools: v.tools ?? [], network: v.network ?? false };
}

/**
 * A sandboxed build step whose `$out` is kept in the store and reused while its inputs are
 * unchanged. Put it in an image's `contents` (its output is merged at the root) or in another
 * derivation's `inputs`.
 */
export function derivation(options: DerivationOptions): DerivationSpec {
  checkObject(options, "derivation()", {
    name: (v: unknown, at: string) => {
      if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(v)) invalid(at, "must be a name of letters, digits and . _ + -");
    },
    inputs: contentsCheck,
    build: isNonEmptyString,
    network: isBoolean,
    crossCompiles: isBoolean,
  }, ["name", "build"]);
  return {
    kind: "derivation", name: options.name, inputs: (options.inputs ?? []).flat() as ContentSpec[], build: options.build, network: options.network ?? false,
    ...(options.crossCompiles ? { crossCompiles: true } : {}),
  };
}

/** Contents, where helpers that give several items (`python.env([...])`) may be listed as they are. */
export type Contents = (ContentSpec | readonly ContentSpec[])[];

export interface ImageOptions {
  /** Image name (repository), e.g. "redis". Required. */
  name: string;
  /** Tag; default "latest". */
  tag?: string;
  /** Packages and files. */
  contents?: Contents;
  /** Users for /etc/passwd (root and nobody are always there). */
  users?: UserSpec[];
  /** Extra groups for /etc/group (root and nogroup are always there). */
  groups?: GroupSpec[];
  /** The container config, with Docker's key names. */
  config?: ContainerConfig;
  /** RFC 3339 time for `created`, or "now" (not reproducible). Default: the epoch (or SOURCE_DATE_EPOCH). */
  created?: string;
  /** "runtime" (default): only packages the image's files reference, like Nix's closure;
   *  "depends": every package of the Depends closure, as apt installs them. */
  closure?: "runtime" | "depends";
  /** Package names to keep although nothing references them. */
  keep?: string[];
  /** Package names to leave out although something references them; the build fails if a program then lacks a library. */
  exclude?: string[];
  /** What to leave out of packages; default: docs (not copyright), man and info pages, translations, lintian/bug files. */
  trim?: TrimSpec;
  /** Start from this image's layers and config: `pullImage({...})`, `imageFile("base.tar")`, or
   *  an image of this definition (`fromImage: base`), built first. */
  fromImage?: PulledImageSpec | LocalImageSpec | ImageSpec;
  /** Also make the CA bundle available where programs built for other distributions look for it:
   *  `true` for the usual paths (CA_BUNDLE_PATHS: Fedora/RHEL, openSUSE, Alpine, ...), or a list
   *  of absolute paths. Each becomes a link to /etc/ssl/certs/ca-certificates.crt; the image needs
   *  `ca-certificates` (like dockerTools' caCertificates). Default: none. */
  caBundleLinks?: boolean | string[];
  /** Build it for these platforms (`["linux/amd64", "linux/arm64"]`): one image index with a
   *  manifest each, every package set taking each platform's architecture in turn. `--platform`
   *  narrows or widens it. Default: the architecture of its packages (amd64). */
  platforms?: string[];
  /** How layers are stored: "gzip" (default; every engine reads it), "zstd" (smaller, faster to
   *  unpack; podman and containerd 1.5+, not Docker 20.10) or "none". `--compressor` overrides it. */
  compressor?: "gzip" | "zstd" | "none";
  /** A script run as root inside the image's filesystem (sandboxed, no VM): create users, chown,
   *  compile. What it adds, changes or removes becomes the top layer. */
  runAsRoot?: string | StepOptions;
  /** A script run as the building user with the image's tree as its working directory and the
   *  tools as its root (so the image needs no shell): `mkdir -p tmp data`. */
  extraCommands?: string | StepOptions;
}

export interface LayeredImageOptions extends ImageOptions {
  /** Most layers to make; default 100 (engines stop at about 127). */
  maxLayers?: number;
}

/** Where programs built for other distributions look for the CA bundle (Go's crypto/x509 list and dockerTools' caCertificates, less Debian's own). */
export const CA_BUNDLE_PATHS: readonly string[] = [
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/pki/tls/cacert.pem",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
  "/etc/ssl/certs/ca-bundle.crt",
];
const BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const caBundleLinksCheck = (v: unknown, at: string) => {
  if (typeof v === "boolean") return;
  if (!Array.isArray(v)) invalid(at, "must be true, false or a list of absolute paths");
  v.forEach((p, i) => {
    isAbsolutePath(p, `${at}[${i}]`);
    if (normalPath(p as string) === BUNDLE) invalid(`${at}[${i}]`, `is the bundle itself (${BUNDLE})`);
    if ((p as string).endsWith("/")) invalid(`${at}[${i}]`, "must name a file, not a directory");
  });
};

const normalPath = (p: string) => "/" + p.split("/").filter((x) => x && x !== ".").join("/");

function caBundleLinks(v: boolean | string[] | undefined): string[] {
  const list = v === true ? CA_BUNDLE_PATHS : Array.isArray(v) ? v : [];
  return [...new Set(list.map(normalPath))].sort();
}

const userShape = { name: isNonEmptyString, uid: isId, gid: isId, home: isAbsolutePath, homeMode: isMode, shell: isAbsolutePath, description: isString };
const groupShape = { name: isNonEmptyString, gid: isId, members: isStringArray };
const configShape = {
  User: isString, ExposedPorts: isEmptyObjectRecord, Env: isStringArray, Entrypoint: isStringArray, Cmd: isStringArray,
  Volumes: isEmptyObjectRecord, WorkingDir: isAbsolutePath, Labels: isStringRecord, StopSignal: isNonEmptyString,
};
const contentCheck = (v: unknown, at: string) => {
  const k = (v as { kind?: string } | null)?.kind;
  if (k !== "debian-package" && k !== "files" && k !== "text" && k !== "derivation" && k !== "fetched" && k !== "python-project") invalid(at, "must be a package (pkgs(\"name\")), files(...), text(...), fetchurl(...), fetchzip(...) or derivation(...)");
};
/** Items, or arrays of items as helpers return them. */
const contentsCheck = (v: unknown, at: string) =>
  arrayOf((x: unknown, a: string) => (Array.isArray(x) ? x.forEach((y, i) => contentCheck(y, `${a}[${i}]`)) : contentCheck(x, a)))(v, at);
const imageShape = {
  name: (v: unknown, at: string) => {
    if (typeof v !== "string" || !/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(v)) invalid(at, "must be a lowercase image name like \"redis\" or \"team/app\"");
  },
  tag: (v: unknown, at: string) => {
    if (typeof v !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v)) invalid(at, "must be a tag like \"7\" or \"latest\"");
  },
  contents: contentsCheck,
  users: arrayOf((v, at) => checkObject(v, at, userShape, ["name", "uid"])),
  groups: arrayOf((v, at) => checkObject(v, at, groupShape, ["name", "gid"])),
  config: (v: unknown, at: string) => checkObject(v, at, configShape),
  created: isNonEmptyString,
  platforms: (v: unknown, at: string) => void platformsOf(v, at),
  compressor: (v: unknown, at: string) => {
    if (v !== "gzip" && v !== "zstd" && v !== "none") invalid(at, 'must be "gzip", "zstd" or "none"');
  },
  closure: (v: unknown, at: string) => {
    if (v !== "runtime" && v !== "depends") invalid(at, 'must be "runtime" or "depends"');
  },
  keep: isStringArray,
  exclude: isStringArray,
  fromImage: (v: unknown, at: string) => {
    const k = (v as { kind?: string } | null)?.kind;
    if (k !== "pulled-image" && k !== "local-image" && k !== "image") invalid(at, 'must be pullImage({ imageName, ... }), imageFile("base.tar") or another image (buildImage(...))');
  },
  trim: (v: unknown, at: string) =>
    checkObject(v, at, {
      docs: isBoolean, man: isBoolean, info: isBoolean, packaging: isBoolean, charsets: isBoolean,
      locales: (x: unknown, a: string) => (x === "all" ? undefined : isStringArray(x, a)),
    }),
  caBundleLinks: caBundleLinksCheck,
  runAsRoot: (v: unknown, at: string) => void makeStep(v as StepOptions, at),
  extraCommands: (v: unknown, at: string) => void makeStep(v as StepOptions, at),
  maxLayers: (v: unknown, at: string) => {
    if (!Number.isInteger(v) || (v as number) < 2 || (v as number) > 125) invalid(at, "must be an integer from 2 to 125");
  },
};

function makeImage(options: LayeredImageOptions, layered: boolean, fn: string): ImageSpec {
  checkObject(options, `${fn}()`, layered ? imageShape : { ...imageShape, maxLayers: () => invalid(`${fn}().maxLayers`, "only applies to buildLayeredImage") }, ["name"]);
  const contents = (options.contents ?? []).flat() as ContentSpec[];
  const archs = new Set(contents.flatMap((c) => (c.kind === "debian-package" ? [c.set.architecture] : [])));
  if (archs.size > 1) invalid(`${fn}().contents`, `mixes architectures (${[...archs].join(", ")})`);
  return {
    kind: "image",
    layered,
    name: options.name,
    tag: options.tag ?? "latest",
    contents,
    users: options.users ?? [],
    groups: options.groups ?? [],
    config: options.config ?? {},
    maxLayers: layered ? (options.maxLayers ?? 100) : 1,
    closure: options.closure ?? "runtime",
    keep: [...(options.keep ?? [])].sort(),
    exclude: [...(options.exclude ?? [])].sort(),
    trim: { ...DEFAULT_TRIM, ...options.trim },
    ...(options.fromImage ? { fromImage: options.fromImage } : {}),
    ...(options.created ? { created: options.created } : {}),
    architecture: [...archs][0] ?? "amd64",
    ...(caBundleLinks(options.caBundleLinks).length ? { caBundleLinks: caBundleLinks(options.caBundleLinks) } : {}),
    ...(options.platforms ? { platforms: platformsOf(options.platforms, `${fn}().platforms`) } : {}),
    ...(options.compressor && options.compressor !== "gzip" ? { compressor: options.compressor } : {}),
    ...(options.extraCommands ? { extraCommands: makeStep(options.extraCommands, `${fn}().extraCommands`) } : {}),
    ...(options.runAsRoot ? { runAsRoot: makeStep(options.runAsRoot, `${fn}().runAsRoot`) } : {}),
  };
}

/** Debian architectures for `platforms: ["linux/amd64", "linux/arm64"]`, each once, in the order given. */
function platformsOf(v: unknown, at: string): string[] {
  isStringArray(v, at);
  const list = v as string[];
  if (!list.length) invalid(at, 'must name at least one platform, like ["linux/amd64", "linux/arm64"]');
  const out: string[] = [];
  for (const [k, p] of list.entries()) {
    const arch = debianArchitecture(p);
    if (typeof arch !== "string") invalid(`${at}[${k}]`, arch.error);
    else if (!out.includes(arch)) out.push(arch);
  }
  return out;
}

/** An image with all its contents in one layer (dockerTools.buildImage). */
export function buildImage(options: ImageOptions): ImageSpec {
  return makeImage(options, false, "buildImage");
}

/** An image whose packages are spread over layers by popularity, so images share them (dockerTools.buildLayeredImage). */
export function buildLayeredImage(options: LayeredImageOptions): ImageSpec {
  return makeImage(options, true, "buildLayeredImage");
}
