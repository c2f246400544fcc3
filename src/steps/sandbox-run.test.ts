import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../errors.js";
import { stepFailed } from "./sandbox-run.js";

test("a build that imports a Python module its environment lacks is told the Debian package, not to add network", () => {
  const out = "Processing /build/src\nERROR: Exception:\nTraceback (most recent call last):\nModuleNotFoundError: No module named 'hatchling'\n";
  const e = stepFailed("derivation python3-humanize", "exited with status 2", out, false);
  assert.equal(e.code, ErrorCode.STEP_FAILED);
  assert.match(e.message, /imports the Python module hatchling, which its environment lacks/);
  assert.match(e.hint ?? "", /tools: \[pkgs\("python3-hatchling"\)\]/);
  assert.doesNotMatch(e.hint ?? "", /network: true/);
  const scm = stepFailed("derivation x", "exited with status 1", "No module named 'setuptools_scm'", false);
  assert.match(scm.hint ?? "", /python3-setuptools-scm/);
  // An ordinary failure keeps the ordinary advice.
  assert.match(stepFailed("derivation x", "exited with status 1", "make: *** [all] Error 1", false).hint ?? "", /Fix the script/);
});
