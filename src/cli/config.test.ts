import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../errors.js";
import { loadProjectConfig, parseConfig } from "./config.js";

test("cairn.config.json: the nearest one above the folder, its paths taken from its own folder", (t) => {
  const root = mkdtempSync(join(tmpdir(), "cairn-config-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "app", "deep"), { recursive: true });
  writeFileSync(join(root, "cairn.config.json"), JSON.stringify({ store: { ref: "127.0.0.1:5000/store", push: true, key: "keys/ci.key", trust: ["keys/ci.key.pub"] } }));
  const c = loadProjectConfig(join(root, "app", "deep"));
  assert.equal(c.file, join(root, "cairn.config.json"));
  assert.deepEqual(c.store, { ref: "127.0.0.1:5000/store", push: true, key: join(root, "keys/ci.key"), trust: [join(root, "keys/ci.key.pub")] });
});

test("cairn.config.json: a mistake names the file and the setting, nothing is ignored", () => {
  const cases: [string, RegExp][] = [
    ["{", /cairn\.config\.json: not JSON/],
    ["[]", /not a JSON object/],
    ['{"stor": {}}', /"stor" is not a setting cairn knows/],
    ['{"store": {"ref": "x", "trusts": []}}', /"store\.trusts" is not a setting/],
    ['{"store": {"push": "yes"}}', /"store\.push" must be true or false/],
    ['{"store": {"trust": "a.pub"}}', /"store\.trust" must be a list/],
    ['{"store": {"ref": ""}}', /"store\.ref" must be a non-empty string/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseConfig(text, "/p/cairn.config.json"), (e) => isCairnError(e) && e.code === ErrorCode.USAGE && message.test(e.message) && e.data.path === "/p/cairn.config.json", text);
  }
});
