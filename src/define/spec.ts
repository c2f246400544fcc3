// The plain, serialisable objects a definition describes. `define` builds them; every later stage
// reads them. Nothing here does I/O.

/** Docker's container config keys, as dockerTools and the OCI image spec keep them. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

/** A Debian archive to take packages from, when not the host's apt configuration. */
export interface SourceSpec {
  /** Base URI of the archive (http, https or file). Required. */
  uri: string;
  /** Suites (distributions), e.g. ["bookworm", "bookworm-updates"]. Required. */
  suites: string[];
  /** Components; default ["main"]. */
  components?: string[];
  /** Keyring file path or an armored public key; default: the Debian archive keyring. */
  signedBy?: string;
}

export interface DebianSetSpec {
  kind: "debian-set";
  /** Keep only the host sources of this suite and its `-updates`/`-security` companions. */
  suite?: string;
  /** Explicit sources; when absent, the host's apt configuration is read. */
  sources?: SourceSpec[];
  /** Debian architecture; default "amd64". */
  architecture: string;
  /** Reject Release files past their Valid-Until; turn off for pinned snapshots. */
  checkValidUntil: boolean;
  /**
   * A snapshot archive (Debian's snapshot layout: URI/archive/debian/TIMESTAMP/pool/…) that a
   * locked .deb is fetched from when the mirror no longer has it. Not part of what is resolved.
   */
  snapshot?: SnapshotSpec;
}

export interface SnapshotSpec {
  /** The archive's root (the URI before /archive/debian/…). */
  uri: string;
  /** The moment to take, as `20240101T000000Z` or an ISO date; default: the Date of each suite's Release when it was locked. */
  at?: string;
}

export interface DebianPackageSpec {
  kind: "debian-package";
  name: string;
  /** An exact version to pin (`5:7.0.15-1~deb12u1`); default: the newest the sources offer. */
  version?: string;
  set: DebianSetSpec;
}

export interface FilesSpec {
  kind: "files";
  /** A file or directory on the building machine; relative paths are taken from the definition's folder. */
  source: string;
  /** Absolute path in the image. A directory source is copied to this directory. */
  destination: string;
  /** Mode for the file (or every file of a directory); default: 0644, or 0755 when executable on disk. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Paths of a directory source to leave out: a name or glob (`*`, `?`) matches at any depth
   *  ("node_modules", "*.log"); one with a slash matches from the source's top ("public/tmp"). */
  exclude?: string[];
  /** The source may lie outside the definition's folder. */
  outside?: boolean;
}

export interface TextSpec {
  kind: "text";
  destination: string;
  text: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * A sandboxed build whose output directory (`$out`) is kept in the store, keyed by everything that
 * goes in, and reused while that stays the same (Nix's derivation). In an image's contents, the
 * output is merged at the root: `$out/usr/bin/hello` becomes `/usr/bin/hello`.
 */
export interface DerivationSpec {
  kind: "derivation";
  /** Names the derivation in the lock, the layer and messages; unique in a definition. */
  name: string;
  /** Packages, files, text and other derivations the build sees, at their places in its root. */
  inputs: ContentSpec[];
  /** Shell script (run with `sh -e`); writes its result under `$out`. */
  build: string;
  /** Let the build reach the network (for `npm ci`, `go mod download`); default false. */
  network: boolean;
  /**
   * The build runs on the building machine's CPU and compiles for the image's (Go's GOARCH, a
   * cross gcc): its packages are the building machine's architecture, and it is told the target.
   */
  crossCompiles?: boolean;
  /** Set by the build for a cross-compiling derivation: the Debian architecture it compiles for. */
  target?: string;
  /**
   * Python requirements this derivation installs from an index: pinned with their hashes before
   * it runs (from the file, or from cairn.lock, or resolved by pip and written there), and given
   * to its build as `/src/pinned-requirements.txt`.
   */
  pip?: PipRequest;
}

/** What to pin for a `py.application({ requirements })`: the user's file and how to read it. */
export interface PipRequest {
  /** The user's file, as files() names it (read on the build machine, never put in the derivation). */
  file: FilesSpec;
  format: "requirements" | "pyproject" | "uv.lock" | "pylock";
  /** Distributions Debian provides (the application's `dependencies`): not installed from the index. */
  debian: string[];
}

/** A file from the network, pinned by its sha256 (Nix's fetchurl): fetched once into the cache, checked. */
export interface FetchedSpec {
  kind: "fetched";
  url: string;
  /** Hex. Absent: pinned in cairn.lock on the first fetch (the build fills it in before using it). */
  sha256?: string;
  /** Set by the build when the sha256 came from cairn.lock, not the definition (for messages). */
  pinnedBy?: "lock";
  destination: string;
  mode?: number;
  /** fetchzip(): the archive is unpacked at `destination` (a folder), its one top folder taken off when `stripRoot`. */
  unpack?: { stripRoot: boolean };
}

/**
 * A Python project's `[project].dependencies`, as Debian's python3-* packages: its pyproject.toml
 * is read by the build (never while the definition is evaluated), which puts the packages here.
 */
export interface PythonProjectSpec {
  kind: "python-project";
  /** The project's folder, as files() names a source (relative to the definition's folder). */
  source: string;
  /** The package set the dependencies come from. */
  set: DebianSetSpec;
  /** The call, for messages: `python().application("web")`. */
  at: string;
  /** The requirements file given beside it (its name), which is not reported as unread. */
  requirements?: string;
}

export type ContentSpec = DebianPackageSpec | FilesSpec | TextSpec | DerivationSpec | FetchedSpec | PythonProjectSpec;

/** A script run while the image is built (runAsRoot, extraCommands). */
export interface StepSpec {
  kind: "step";
  script: string;
  /** Packages present while the script runs and left out of the image (a shell, coreutils, sed,
   *  grep and findutils always are). */
  tools: DebianPackageSpec[];
  /** Let the script reach the network; default false. */
  network: boolean;
}

/** An account for /etc/passwd. Naming root (uid 0) or nobody (uid 65534), or a base image's user
 *  with its uid, redefines it: the fields given replace its own. */
export interface UserSpec {
  name: string;
  uid: number;
  /** Primary group id; default: a group of the user's name with gid = uid. */
  gid?: number;
  /** Home directory, created and owned by the user unless it is /nonexistent; default /nonexistent
   *  (for root and nobody, redefined: what they had). */
  home?: string;
  /** Mode of the home directory cairn creates; default 0o755 (0o700 for root). */
  homeMode?: number;
  /** Login shell; default /usr/sbin/nologin. */
  shell?: string;
  /** Free text for passwd's GECOS field. */
  description?: string;
}

/** A group for /etc/group. Gid 0 or 65534 under another name renames root's or nogroup's group. */
export interface GroupSpec {
  name: string;
  gid: number;
  /** User names listed as members. */
  members?: string[];
}

export interface TrimSpec {
  /** Drop /usr/share/doc except copyright files. Default true. */
  docs?: boolean;
  /** Drop manual pages. Default true. */
  man?: boolean;
  /** Drop info pages. Default true. */
  info?: boolean;
  /** Translations to keep (["de", "pt_BR"]), or "all". Default: none. */
  locales?: string[] | "all";
  /** Drop lintian overrides and reportbug files. Default true. */
  packaging?: boolean;
  /** Drop glibc's gconv modules for legacy character sets (iconv keeps UTF-8, ASCII, Latin-1 and
   *  UCS-2/4, which are built in). Default true; set false for iconv to Shift_JIS, EBCDIC, .... */
  charsets?: boolean;
}

/** A base image from a registry (`pullImage`). */
export interface PulledImageSpec {
  kind: "pulled-image";
  /** `registry/repository`, e.g. "127.0.0.1:5000/team/redis" or "debian". */
  imageName: string;
  /** Tag to resolve when no digest is given; `cairn lock` pins it. Default "latest". */
  tag?: string;
  /** `sha256:…`: the exact manifest. */
  imageDigest?: string;
}

/** A base image from an image tar or OCI layout directory (as cairn, docker save 25+ and skopeo write). */
export interface LocalImageSpec {
  kind: "local-image";
  /** The tar file or OCI directory; a relative path is taken from the definition's folder. */
  path: string;
}

export interface ImageSpec {
  kind: "image";
  /** true: one layer per popular package (buildLayeredImage); false: one layer (buildImage). */
  layered: boolean;
  name: string;
  tag: string;
  contents: ContentSpec[];
  users: UserSpec[];
  groups: GroupSpec[];
  config: ContainerConfig;
  maxLayers: number;
  /** "runtime": only packages the image's files reference (plus modules and data their users
   *  declare); "depends": the whole Depends closure, as apt would install it. */
  closure: "runtime" | "depends";
  /** Packages to keep even when nothing references them. */
  keep: string[];
  /** Packages to leave out even when something references them (the build checks what breaks). */
  exclude: string[];
  trim: Required<TrimSpec>;
  /** Layers and config to start from: a registry image, an image file, or another image of the definition. */
  fromImage?: PulledImageSpec | LocalImageSpec | ImageSpec;
  /** RFC 3339 time for the config's `created`, or "now" (not reproducible); default the epoch. */
  created?: string;
  architecture: string;
  /** Debian architectures to build it for, each its own manifest of one image index; absent: `architecture` alone. */
  platforms?: string[];
  /** How its layers are stored; absent: gzip. */
  compressor?: "gzip" | "zstd" | "none";
  /** Absolute paths, sorted, made links to /etc/ssl/certs/ca-certificates.crt (other distributions'
   *  bundle paths); absent: none. */
  caBundleLinks?: string[];
  /** Run in the image's tree after contents are in place, as the building user, tools as the root
   *  and the image's tree as the working directory (dockerTools' extraCommands). */
  extraCommands?: StepSpec;
  /** Run as root inside the image's filesystem (dockerTools' runAsRoot), after extraCommands. */
  runAsRoot?: StepSpec;
}

/** Every trim option decided (see TrimSpec for what each means). */
export type TrimOptions = Required<TrimSpec>;

export const DEFAULT_TRIM: TrimOptions = { docs: true, man: true, info: true, locales: [], packaging: true, charsets: true };
