import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, exitCodeOf, systemError, CairnError } from "./errors.js";

const sys = (code: string, extra: Partial<NodeJS.ErrnoException> = {}) => Object.assign(new Error(code), { code, ...extra });

test("system errors at any write site become named errors with the path and a fix", () => {
  const full = systemError(sys("ENOSPC", { path: "/cache/blobs/x", syscall: "open" }));
  assert.equal(full?.code, ErrorCode.NO_SPACE);
  assert.match(full!.message, /\/cache\/blobs\/x/);
  assert.match(full!.hint!, /Free space on the filesystem of \/cache\/blobs/);
  // A write to an open file names no path: the cache is named instead.
  assert.match(systemError(sys("ENOSPC", { syscall: "write" }), { cacheDir: "/c" })!.message, /the cache is \/c/);
  assert.equal(systemError(sys("EROFS", { path: "/ro/x", syscall: "open" }))?.code, ErrorCode.NO_PERMISSION);
  assert.equal(systemError(sys("EMFILE"))?.code, ErrorCode.TOO_MANY_FILES);
  assert.equal(systemError(sys("ENOMEM"))?.code, ErrorCode.NO_MEMORY);
  assert.equal(systemError(sys("ECONNRESET")), undefined, "not a limit of this machine");
  assert.equal(systemError(new Error("plain")), undefined);
});

test("usage errors exit 2, everything else 1", () => {
  assert.equal(exitCodeOf(new CairnError(ErrorCode.USAGE, "x")), 2);
  assert.equal(exitCodeOf(new CairnError(ErrorCode.DEFINITION_NOT_FOUND, "x")), 2);
  assert.equal(exitCodeOf(new CairnError(ErrorCode.NO_SPACE, "x")), 1);
});
