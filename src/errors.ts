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
  // resolution
  NO_SUCH_PACKAGE: "CAIRN_E201",
  UNSATISFIABLE: "CAIRN_E202",
  CONFLICT: "CAIRN_E203",
  // lockfile
  LOCK_DRIFT: "CAIRN_E301",
  LOCK_INVALID: "CAIRN_E302",
  OFFLINE_MISSING: "CAIRN_E303",
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
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CairnError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it; printed after the message. */
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CairnError";
    this.code = code;
    this.hint = hint;
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
