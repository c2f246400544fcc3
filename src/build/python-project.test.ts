import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { pythonRequirementOf } from "../define/call-site.js";
import { buildImage, debian, python } from "../define/index.js";
import type { DebianPackageSpec } from "../define/spec.js";
import { expandPythonProjects } from "./python-project.js";

const pkgs = debian({ suite: "bookworm" });

function project(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-pyproject-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

test("the build reads a project's pyproject.toml: its dependencies become Debian's packages, each marked with the version asked", (t) => {
  const dir = project(t, { "app/pyproject.toml": '[project]\nname = "ac2"\ndependencies = ["Django>=3.2", "django_crispy_forms", "PyYAML ; python_version >= \'3.8\'"]\n' });
  const image = buildImage({ name: "ac2", contents: python(pkgs).application({ name: "ac2", src: "./app", main: "manage.py" }) });
  const notes: string[] = [];
  const spec = expandPythonProjects(image, dir, (n) => notes.push(n));
  const debs = spec.contents.filter((c): c is DebianPackageSpec => c.kind === "debian-package");
  assert.deepEqual(debs.map((p) => p.name), ["python3", "dash", "python3-django", "python3-django-crispy-forms", "python3-yaml"]);
  assert.deepEqual(debs.map((p) => pythonRequirementOf(p)), [undefined, undefined, "Django>=3.2", undefined, "PyYAML ; python_version >= '3.8'"]);
  assert.ok(!spec.contents.some((c) => c.kind === "python-project"));
  assert.deepEqual(notes, []);
  // The definition's own spec is left as it was.
  assert.ok(image.contents.some((c) => c.kind === "python-project"));
  // A folder without pyproject.toml has no dependencies.
  assert.deepEqual(expandPythonProjects(buildImage({ name: "e", contents: python(pkgs).application({ name: "e", src: "./none", main: "m.py" }) }), dir, () => {}).contents.map((c) => (c as DebianPackageSpec).name), ["python3", "dash", undefined, undefined]);
});

test("a requirements.txt or uv.lock beside the project that is not given is said to be unread; the one given is not", (t) => {
  const dir = project(t, { "app/pyproject.toml": "[project]\nname = \"w\"\n", "app/requirements.txt": "flask\n", "app/uv.lock": "version = 1\n" });
  const notes: string[] = [];
  expandPythonProjects(buildImage({ name: "w", contents: python(pkgs).application({ name: "web", src: path.join(dir, "app"), main: "app.py" }) }), dir, (n) => notes.push(n));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /application\("web"\): .*requirements\.txt, .*uv\.lock are not read: the dependencies are Debian's python3-\* packages.*give requirements: ".*requirements\.txt"/);
  notes.length = 0;
  expandPythonProjects(buildImage({ name: "w", contents: python(pkgs).application({ name: "web", src: path.join(dir, "app"), main: "app.py", requirements: "./app/uv.lock" }) }), dir, (n) => notes.push(n));
  assert.equal(notes.length, 1);
  assert.doesNotMatch(notes[0]!, /uv\.lock/);
});

test("a pyproject.toml that cannot be read names its file and line", (t) => {
  const dir = project(t, { "app/pyproject.toml": '[project]\nname = "ac2\n' });
  assert.throws(() => expandPythonProjects(buildImage({ name: "x", contents: python(pkgs).application({ name: "x", src: "./app", main: "m.py" }) }), dir, () => {}), /pyproject\.toml line 2/);
});
