// py.package of a project whose pyproject.toml names a build backend Debian has (hatchling):
// without it the error names Debian's package to add; with tools: [pkgs("python3-hatchling")] it
// builds offline and the module imports in the image.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, project } from "../support/cairn.js";

const files = (tools: string) => ({
  "hello_h/pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "hello-h"\nversion = "1.2.3"\n',
  "hello_h/src/hello_h/__init__.py": 'GREETING = "hello from hatchling"\n',
  "image.ts": `import { buildImage, debian, python } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);
export const image = buildImage({
  name: "hello-h", tag: "1",
  contents: [pkgs("python3"), py.package({ name: "hello-h", src: "./hello_h"${tools} })],
  config: { Cmd: ["python3", "-c", "import hello_h; print(hello_h.GREETING)"] },
});
`,
});

test("a hatchling project: the missing backend is named with its Debian package; given as tools, it builds and imports", { timeout: 600_000 }, async () => {
  const without = await project(files(""));
  const failed = await cairn(["build", "--cache-dir", sharedCache()], { cwd: without });
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /imports the Python module hatchling, which its environment lacks/);
  assert.match(failed.stderr, /tools: \[pkgs\("python3-hatchling"\)\]/);
  assert.doesNotMatch(failed.stderr, /network: true/);

  const withTools = await project(files(', tools: [pkgs("python3-hatchling")]'));
  const built = await cairn(["build", "--cache-dir", sharedCache()], { cwd: withTools });
  assert.equal(built.code, 0, built.stderr);
  const run = await cairn(["shell", "image.ts", "-A", "image", "--cache-dir", sharedCache()], { cwd: withTools });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "hello from hatchling");
});
