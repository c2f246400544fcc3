import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { definitionWithLabel, definitionWithText, dockerfileWithAptMounts, dockerfileWithCopy, dockerfileWithLabel, sourceWithComment } from "./variants.js";

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

const java = readFileSync(new URL("../examples/java-backend/image.ts", import.meta.url), "utf8");

test("in a file of several images, the edits go into the export that is built", () => {
  const jdkStart = java.indexOf("export const jdk");
  const labelled = definitionWithLabel(java, "w", "image.ts", "jdk");
  assert.equal(labelled.slice(0, jdkStart), java.slice(0, jdkStart), "nothing before the jdk export changes");
  assert.match(labelled.slice(jdkStart), /config: \{ Labels: \{ "bench\.run": "w" \}, Cmd: \["java", "-version"\]/);
  const texted = definitionWithText(java, "/etc/a.conf", "x", "image.ts", "jdk");
  assert.match(texted, /contents: \[text\("\/etc\/a\.conf", "x"\), pkgs\("openjdk-17-jdk-headless"\)\]/);
  assert.equal((texted.match(/text\("\/etc\/a\.conf"/g) ?? []).length, 1);
  // starlette's second export, not its first
  assert.match(definitionWithLabel(starlette, "s", "image.ts", "server"), /config: \{ Labels: \{ "bench\.run": "s" \}, Cmd: \["server"\]/);
  assert.doesNotMatch(definitionWithLabel(starlette, "s", "image.ts", "server"), /config: \{ Labels[^\n]*\n\s+Cmd: \["python3"/);
});

test("an export without its own config uses the file's only one, and several are refused", () => {
  assert.equal(definitionWithLabel(redis, "r", "image.ts", "redis"), definitionWithLabel(redis, "r"));
  const two = "const x = { config: { A: 1 } };\nconst y = { config: { B: 1 } };\nexport const a = f();\n";
  assert.throws(() => definitionWithLabel(two, "v", "two.ts", "a"), /two\.ts has 2 places with `config: \{` and none in `export const a`/);
});

test("BuildKit's apt mounts go into every RUN that installs, and a Dockerfile without one is refused", () => {
  const out = dockerfileWithAptMounts("FROM b\nRUN apt-get install -y x\nRUN echo apt-get installer\nRUN true\n", "localhost/apt");
  const lines = out.split("\n");
  assert.equal(lines[1], "RUN --mount=type=bind,from=localhost/apt,source=/lists,target=/var/lib/apt/lists,rw --mount=type=bind,from=localhost/apt,source=/cache,target=/var/cache/apt,rw apt-get install -y x");
  assert.equal(lines[2], "RUN echo apt-get installer");
  assert.equal(lines[3], "RUN true");
  assert.throws(() => dockerfileWithAptMounts("FROM b\nRUN true\n", "x"), /no `RUN … apt-get install` line/);
});
