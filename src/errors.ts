// Every failure a user can cause or fix is a CairnError: a stable code they can search for,
// one paragraph saying what went wrong and naming the input at fault, and what to do about it.
// The CLI maps CairnError to exit code 1; anything else is a bug in cairn.

export const ErrorCode = {
  // definitions
  DEFINITION_NOT_FOUND: "CAIRN_E001",
  DEFINITION_FAILED: "CAIRN_E002",
  DEFINITION_INVALID: "CAIRN_E003",
  EXPORT_NOT_FOUND: "CAIRN_E004",
  /** A command line that cannot work: options that exclude each other, a missing operand. */
  USAGE: "CAIRN_E005",
  // debian sources and archives
  NO_SOURCES: "CAIRN_E101",
  BAD_SOURCES: "CAIRN_E102",
  BAD_SIGNATURE: "CAIRN_E103",
  RELEASE_EXPIRED: "CAIRN_E104",
  BAD_CHECKSUM: "CAIRN_E105",
  UNREACHABLE: "CAIRN_E106",
  INDEX_MISSING: "CAIRN_E107",
  BAD_DEB: "CAIRN_E108",
  KEY_NOT_FOUND: "CAIRN_E109",
  /** A deb822 paragraph or a relation field that cannot be parsed. */
  BAD_CONTROL: "CAIRN_E110",
  /** A .deb over one of the bounds cairn unpacks within: control size, entry count, unpacked size. */
  DEB_TOO_BIG: "CAIRN_E111",
  /** A fetchzip() archive cairn cannot unpack: not a tar, malformed, a bomb, or no one folder to strip. */
  BAD_ARCHIVE: "CAIRN_E112",
  // resolution
  NO_SUCH_PACKAGE: "CAIRN_E201",
  UNSATISFIABLE: "CAIRN_E202",
  CONFLICT: "CAIRN_E203",
  // lockfile
  LOCK_DRIFT: "CAIRN_E301",
  LOCK_INVALID: "CAIRN_E302",
  OFFLINE_MISSING: "CAIRN_E303",
  /** A cache entry no longer matches the hash it is stored under, and --offline forbids fetching it again. */
  CACHE_DAMAGED: "CAIRN_E304",
  /** A locked .deb is in none of the places cairn looks (the mirror dropped it). */
  PACKAGE_GONE: "CAIRN_E305",
  /** A registry store's entry that no trusted key signed, or that was changed since: not used. */
  STORE_UNTRUSTED: "CAIRN_E306",
  // filesystem assembly
  FILE_CONFLICT: "CAIRN_E401",
  LOCAL_FILE_MISSING: "CAIRN_E402",
  MISSING_REFERENCE: "CAIRN_E403",
  /** Entrypoint, Cmd or a wrapper runs a program (or a script whose interpreter) the image does not have. */
  MISSING_PROGRAM: "CAIRN_E404",
  /** files() met something an image layer cannot hold (a socket, a FIFO, a device). */
  LOCAL_FILE_UNSUPPORTED: "CAIRN_E405",
  /** A definition's file sits where cairn writes its own record of the image (/etc/passwd, the dpkg database). */
  GENERATED_FILE_CLASH: "CAIRN_E406",
  /** files() names a path outside the definition's folder without `outside: true`. */
  LOCAL_FILE_OUTSIDE: "CAIRN_E407",
  // output
  OUTPUT_FAILED: "CAIRN_E501",
  /** `cairn run` would publish on a host port something else already listens on. */
  PORT_IN_USE: "CAIRN_E502",
  // registry
  /** An image reference (`host:port/repo:tag`, `name@sha256:…`) that cannot be parsed. */
  BAD_REFERENCE: "CAIRN_E601",
  /** The registry refused the credentials, or needs some and none were given. */
  REGISTRY_AUTH: "CAIRN_E602",
  /** The registry cannot be reached: DNS, connection, TLS, or it kept failing with 5xx/429. */
  REGISTRY_UNREACHABLE: "CAIRN_E603",
  /** The registry answered but refused a step (blob, manifest) or reported a different digest. */
  REGISTRY_REJECTED: "CAIRN_E604",
  /** The registry has no manifest under that tag or digest. */
  IMAGE_NOT_FOUND: "CAIRN_E605",
  /** A multi-platform image (or a single-platform one) has no manifest for the platform asked for. */
  PLATFORM_MISSING: "CAIRN_E606",
  // build steps (runAsRoot, extraCommands, derivations, cairn shell)
  /** bubblewrap is missing, or the host forbids the user namespaces it needs. */
  SANDBOX_UNAVAILABLE: "CAIRN_E701",
  /** A step's script exited non-zero or was killed. */
  STEP_FAILED: "CAIRN_E702",
  /** A step left something cairn cannot put in an image (a device node, a socket). */
  STEP_OUTPUT_INVALID: "CAIRN_E703",
  /** A step's output points to (links to, runs, loads) a file only the step's tools ship, which the image lacks. */
  STEP_REFERENCES_TOOL: "CAIRN_E704",
  // inspect
  /** `cairn verify`: a rebuild in a fresh cache (or the image tar given) differs from the build. */
  NOT_REPRODUCIBLE: "CAIRN_E801",
  // the machine
  /** A write failed: the disk (or quota) is full. */
  NO_SPACE: "CAIRN_E901",
  /** A file or folder cairn must read or write is not allowed to it, or is on a read-only filesystem. */
  NO_PERMISSION: "CAIRN_E902",
  /** The process ran out of file descriptors. */
  TOO_MANY_FILES: "CAIRN_E903",
  /** The system could not give the memory asked for. */
  NO_MEMORY: "CAIRN_E904",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What an error is about, as data beside the message (for tools, tests, and one day `--json`). */
export interface ErrorData {
  /** The file at fault (a definition, a lock, an image tar), with `:line` when known. */
  path?: string;
  /** The Debian package, image export or reference it is about. */
  subject?: string;
  /** Where it came from: the URLs, files or layers looked at, in order. */
  origins?: string[];
}

export class CairnError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it; printed after the message. */
  readonly hint?: string;
  readonly data: ErrorData;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown; data?: ErrorData }) {
    super(message, options);
    this.name = "CairnError";
    this.code = code;
    this.hint = hint;
    this.data = options?.data ?? {};
  }
}

/** Mistakes in how cairn was called, not in what it was asked to build: exit code 2, as usage errors. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCode.DEFINITION_NOT_FOUND, ErrorCode.EXPORT_NOT_FOUND, ErrorCode.USAGE]);

/** The exit code a CairnError ends the process with: 2 for usage errors, 1 for everything else. */
export function exitCodeOf(e: CairnError): 1 | 2 {
  return USAGE_CODES.has(e.code) ? 2 : 1;
}

export function isCairnError(e: unknown): e is CairnError {
  return e instanceof Error && (e as CairnError).name === "CairnError" && typeof (e as CairnError).code === "string";
}

/**
 * The system errors any write site can meet (a full disk, a read-only cache, too many open
 * files) as one CairnError naming the path, wherever they happen; undefined for anything else.
 */
export function systemError(e: unknown, at: { cacheDir?: string } = {}): CairnError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err || typeof err !== "object" || typeof err.code !== "string") return undefined;
  // A write to an open file names no path: the cache is where cairn writes most.
  const where = err.path ? `${err.path}` : at.cacheDir ? `a file (the cache is ${at.cacheDir})` : "a file";
  const dir = err.path ? err.path.replace(/\/[^/]*$/, "") || "/" : at.cacheDir ?? "the folder it writes to";
  switch (err.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new CairnError(ErrorCode.NO_SPACE, `No space left to write ${where}${err.code === "EDQUOT" ? " (the disk quota is used up)" : ""}.`, `Free space on the filesystem of ${dir}, or point cairn elsewhere (--cache-dir for the cache, -o for the image).`, { cause: e });
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new CairnError(ErrorCode.NO_PERMISSION, `cairn is not allowed to use ${where}${err.code === "EROFS" ? " (a read-only filesystem)" : ""}.`, `Give this user write access to ${dir}, or point cairn elsewhere (--cache-dir for the cache, -o for the image).`, { cause: e });
    case "EMFILE":
    case "ENFILE":
      return new CairnError(ErrorCode.TOO_MANY_FILES, `Too many open files while opening ${where}.`, "Raise the limit (ulimit -n 4096) and run cairn again.", { cause: e });
    case "ENOMEM":
      return new CairnError(ErrorCode.NO_MEMORY, `The system had no memory to give${err.path ? ` while using ${where}` : ""}.`, "Close other programs or give the machine more memory, and run cairn again.", { cause: e });
    default:
      return undefined;
  }
}
