import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { definitionWithLabel, definitionWithText, dockerfileWithCopy, dockerfileWithLabel, sourceWithComment } from "./variants.js";

const redis = readFileSync(new URL("../examples/redis/image.ts", import.meta.url), "utf8");
const starlette = readFileSync(new URL("../examples/starlette/image.ts", import.meta.url), "utf8");

test("a label goes into the image's config, as a valid object key", () => {
  const out = definitionWithLabel(redis, 'run "1"');
  assert.match(out, /config: \{ Labels: \{ "bench\.run": "run \\"1\\"" \},\n\s+Cmd:/);
  assert.equal(out.replace(/ Labels: \{[^}]*\},/, ""), redis);
});

test("a text file becomes the first content, and text is imported once", () => {
  const out = definitionWithText(redis, "/etc/bench-app.conf", "x\n");
  assert.match(out, /import \{ buildLayeredImage, debian, text \} from "cairn-build"/);
  assert.match(out, /contents: \[text\("\/etc\/bench-app\.conf", "x\\n"\), pkgs\("redis-server"\)\]/);
  const twice = definitionWithText(out, "/etc/b", "y");
  assert.equal((twice.match(/\btext\b/g) ?? []).length, (out.match(/\btext\b/g) ?? []).length + 1);
  const withText = definitionWithText(starlette, "/a", "b");
  assert.match(withText, /import \{ buildLayeredImage, debian, files, python, text \} from "cairn-build"/);
  assert.equal((withText.match(/\btext,|\btext \}/g) ?? []).length, (starlette.match(/\btext,|\btext \}/g) ?? []).length + 1);
});

test("a definition without the expected shape is refused with the file named", () => {
  assert.throws(() => definitionWithLabel("export const x = 1;", "v", "x.ts"), /cannot find `config: \{` in x\.ts/);
  assert.throws(() => definitionWithText("contents: []", "/a", "b", "y.ts"), /import .* in y\.ts/);
});

test("Dockerfile and source edits append one line", () => {
  assert.equal(dockerfileWithLabel("FROM x\nRUN y\n\n", "7"), 'FROM x\nRUN y\nLABEL bench.run="7"\n');
  assert.equal(dockerfileWithCopy("FROM x", "a.conf", "/etc/a.conf"), "FROM x\nCOPY a.conf /etc/a.conf\n");
  assert.equal(sourceWithComment("print(1)\n", "3"), "print(1)\n# bench change 3\n");
});
