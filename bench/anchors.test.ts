import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { shellLine } from "./anchors.js";

test("commands joined for one sh -c keep every argument as it was, quotes and spaces included", () => {
  const line = shellLine([["printf", "%s|", "a b", "it's", "$HOME"], ["printf", "%s\n", "*"]]);
  assert.equal(execFileSync("sh", ["-c", line], { encoding: "utf8", cwd: "/" }), "a b|it's|$HOME|*\n");
  assert.throws(() => execFileSync("sh", ["-c", shellLine([["false"], ["echo", "not reached"]])], { stdio: "pipe" }));
});
