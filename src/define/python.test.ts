import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCode, isCairnError } from "../errors.js";
import { debian, python as fromIndex } from "./index.js";
import type { ContentSpec, DerivationSpec, FilesSpec, TextSpec } from "./spec.js";
import { debianPythonName, parsePyproject, parseToml, python, requirementName } from "./python.js";

const pkgs = debian({ suite: "bookworm" });

/** Asserts fn throws CAIRN_E003 whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), `not a CairnError: ${String(e)}`);
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const names = (cs: ContentSpec[]) => cs.filter((c) => c.kind === "debian-package").map((c) => (c as { name: string }).name);
const only = <K extends ContentSpec["kind"]>(cs: ContentSpec[], kind: K) => cs.filter((c) => c.kind === kind) as Extract<ContentSpec, { kind: K }>[];

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-python-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("distribution names map to Debian's python3-* packages", () => {
  assert.equal(debianPythonName("django-crispy-forms"), "python3-django-crispy-forms");
  assert.equal(debianPythonName("Django_Extensions"), "python3-django-extensions");
  assert.equal(debianPythonName("zope.interface"), "python3-zope.interface");
  assert.equal(debianPythonName("PyYAML"), "python3-yaml");
  assert.equal(debianPythonName("Pillow"), "python3-pil");
  assert.equal(debianPythonName("python-dateutil"), "python3-dateutil");
  assert.equal(debianPythonName("python3-uvicorn"), "python3-uvicorn");
  assert.equal(debianPythonName("x"), "python3-x");
});

test("a name with a version, a space or a stray character is refused, naming it", () => {
  rejects(() => debianPythonName("django>=3.2", "python().env() names[0]"), /names\[0\] "django>=3\.2"/, /bare name/);
  for (const bad of ["", "two words", "-x", "x-", "pkg[extra]"]) rejects(() => debianPythonName(bad), new RegExp(JSON.stringify(bad).replace(/[[\]]/g, "\\$&")));
  rejects(() => python(pkgs).env(["pyramid", "Waitress==2"]), /env\(\) names\[1\] "Waitress==2"/);
  rejects(() => python(pkgs).env("pyramid" as unknown as string[]), /must be an array of strings/);
});

test("PEP 508 requirements: the name, and what cairn leaves to Debian", () => {
  assert.deepEqual(requirementName("uvicorn"), { name: "uvicorn" });
  assert.deepEqual(requirementName("Django>=3.2,<5"), { name: "Django", ignored: ">=3.2,<5" });
  assert.deepEqual(requirementName(" requests[socks] ; python_version < '3.8'"), { name: "requests", ignored: "[socks] ; python_version < '3.8'" });
  rejects(() => requirementName(">=1"), /not a PEP 508 requirement/);
});

const PYPROJECT = `# a comment
[build-system]
requires = ["setuptools>=61", 'wheel']   # trailing comment
build-backend = "setuptools.build_meta"

[project]
name = "ac2"
version = "0.1.0"
description = """
A "multi-line" description with ] and # inside \\
  and a line continuation."""
readme = { file = "README.md", content-type = "text/markdown" }
authors = [{ name = "A. Person", email = "a@example.org" }]
license.text = 'MIT'
dependencies = [
  "Django>=3.2",  # the framework
  'django-crispy-forms',
  "pdf\\u0074k",
]
requires-python = ">=3.9"
dynamic = []

[project.optional-dependencies]
dev = ["pytest"]

[[tool.x.items]]
a = 1
[[tool.x.items]]
a = true
`;

test("pyproject.toml: [project]'s name and dependencies through comments, inline tables and multi-line strings", () => {
  assert.deepEqual(parsePyproject(PYPROJECT), { name: "ac2", dependencies: ["Django>=3.2", "django-crispy-forms", "pdftk"] });
  const doc = parseToml(PYPROJECT) as any;
  assert.equal(doc.project.description, 'A "multi-line" description with ] and # inside and a line continuation.');
  assert.equal(doc.project.license.text, "MIT");
  assert.deepEqual({ ...doc.project.readme }, { file: "README.md", "content-type": "text/markdown" });
  assert.deepEqual(doc["build-system"].requires, ["setuptools>=61", "wheel"]);
  assert.deepEqual(doc.tool.x.items.map((t: object) => ({ ...t })), [{ a: 1 }, { a: true }]);
  assert.deepEqual(parsePyproject("[tool.black]\nline-length = 100\n"), { dependencies: [] });
});

test("a pyproject.toml TOML cannot read fails with the file and line", () => {
  rejects(() => parseToml('[project]\nname = "ac2\n', "app/pyproject.toml"), /app\/pyproject\.toml line 2/, /is not TOML that can be read/);
  rejects(() => parseToml("[project]\nname = 'a'\nname = 'b'\n"), /line 3/, /redefine/);
  rejects(() => parseToml("[project]\ndependencies = [\"a\" \"b\"]\n"), /line 2/, /expected comma/);
  rejects(() => parsePyproject("[project]\ndependencies = \"django\"\n", "p.toml"), /p\.toml \[project\]\.dependencies must be an array of strings/);
});

test("env: python3 and a package per name, from the same set; exported from the API", () => {
  assert.equal(fromIndex, python);
  const env = python(pkgs).env(["pyramid", "waitress"]);
  assert.deepEqual(names(env), ["python3", "python3-pyramid", "python3-waitress"]);
  assert.ok(env.every((c) => c.kind === "debian-package" && c.set === pkgs.spec));
  assert.equal(python(pkgs, { version: "3" }).interpreter, "/usr/bin/python3");
  rejects(() => python(pkgs, { version: "2" as "3" }), /version must be "3"/);
  rejects(() => python({} as typeof pkgs), /must be a package set/);
});

test("application from a file: python3, dash, the dependencies, the source in /app and /usr/bin/NAME", () => {
  const app = python(pkgs).application({ name: "server", src: "./server.py", dependencies: ["starlette", "uvicorn"] });
  assert.deepEqual(names(app), ["python3", "dash", "python3-starlette", "python3-uvicorn"]);
  assert.deepEqual(only(app, "files"), [{ kind: "files", source: "./server.py", destination: "/app/server.py" } satisfies FilesSpec]);
  const [wrapper] = only(app, "text") as TextSpec[];
  assert.equal(wrapper!.destination, "/usr/bin/server");
  assert.equal(wrapper!.mode, 0o755);
  assert.match(wrapper!.text, /^exec '\/usr\/bin\/python3' '\/app\/server\.py' "\$@"$/m);
  const other = python(pkgs).application({ name: "srv", src: "./server.py", destination: "/opt/srv/", main: "bin/run.py" });
  assert.deepEqual(names(other), ["python3", "dash"], "a file without dependencies needs none");
  assert.match(only(other, "text")[0]!.text, /exec '\/usr\/bin\/python3' '\/opt\/srv\/bin\/run\.py' "\$@"/);
});

test("the wrapper runs the script with the caller's arguments, and -m with destination on PYTHONPATH", (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, "pkg"));
  fs.writeFileSync(path.join(dir, "main.py"), "import sys; print('main', sys.argv[1:])\n");
  fs.writeFileSync(path.join(dir, "pkg", "__init__.py"), "");
  fs.writeFileSync(path.join(dir, "pkg", "cli.py"), "import sys; print('module', sys.argv[1:])\n");
  const run = (text: string) => {
    fs.writeFileSync(path.join(dir, "wrapper"), text);
    return execFileSync("/bin/sh", [path.join(dir, "wrapper"), "a b", "c"], { cwd: "/", env: { PATH: "/usr/bin:/bin" }, encoding: "utf8" });
  };
  const py = python(pkgs);
  const script = py.application({ name: "x", src: pathToFileURL(path.join(dir, "main.py")), destination: dir });
  assert.equal(run(only(script, "text")[0]!.text), "main ['a b', 'c']\n");
  const mod = py.application({ name: "x", src: pathToFileURL(dir + "/"), destination: dir, module: "pkg.cli", dependencies: [] });
  assert.equal(run(only(mod, "text")[0]!.text), "module ['a b', 'c']\n");
});

test("application from a project directory leaves its pyproject.toml to the build: nothing is read while the definition is evaluated", () => {
  const app = python(pkgs).application({ name: "ac2", src: "./app", main: "manage.py" });
  assert.deepEqual(names(app), ["python3", "dash"]);
  assert.deepEqual(only(app, "python-project").map((p) => ({ ...p, set: undefined })), [{ kind: "python-project", source: "./app", set: undefined, at: 'python().application("ac2")' }]);
  // Explicit dependencies win over the file (none is read); a file as src has no project.
  assert.deepEqual(names(python(pkgs).application({ name: "ac2", src: "./app", main: "manage.py", dependencies: ["django"] })), ["python3", "dash", "python3-django"]);
  assert.deepEqual(only(python(pkgs).application({ name: "ac2", src: "./app", main: "manage.py", dependencies: [] }), "python-project"), []);
  // A pyproject.toml given as the requirements goes to the index whole.
  assert.deepEqual(only(python(pkgs).application({ name: "w", src: "./app", main: "m.py", requirements: "./app/pyproject.toml" }), "python-project"), []);
});

test("package: the build backend given as tools goes into the build, not the image", () => {
  const drv = python(pkgs).package({ name: "humanize", src: "./humanize", tools: [pkgs("python3-hatchling"), pkgs("python3-hatch-vcs")] });
  assert.deepEqual(drv.inputs.filter((i) => i.kind === "debian-package").map((i) => (i as { name: string }).name), ["python3-pip", "python3-setuptools", "python3-wheel", "python3-hatchling", "python3-hatch-vcs"]);
  rejects(() => python(pkgs).package({ name: "h", src: "./h", tools: ["python3-hatchling"] as never }), /tools must be a list of packages/);
});

test("application with requirements: pip installs them with --require-hashes in a derivation with the network, beside Debian's", () => {
  const app = python(pkgs).application({ name: "web", src: "./app.py", requirements: "./requirements.txt", tools: [pkgs("python3-hatchling")] });
  const drv = app.find((c): c is DerivationSpec => c.kind === "derivation")!;
  assert.equal(drv.name, "web-requirements");
  assert.equal(drv.network, true);
  assert.deepEqual(drv.inputs.map((i) => (i.kind === "debian-package" ? i.name : i.kind)), ["python3", "python3-pip", "python3-setuptools", "python3-wheel", "python3-hatchling"]);
  // The user's file is read by the build, which pins it and gives the install /src/pinned-requirements.txt.
  assert.deepEqual(drv.pip, { file: { kind: "files", source: "./requirements.txt", destination: "/src/requirements" }, format: "requirements", debian: [] });
  assert.match(drv.build, /pip install --require-hashes --no-deps .*--target "\$out\/usr\/lib\/python3\/dist-packages" -r \/src\/pinned-requirements\.txt/);
  assert.match(drv.build, /pip check/);
  // Distributions named in dependencies are Debian's: in the install's environment, and not asked of the index.
  const both = python(pkgs).application({ name: "web", src: "./app.py", requirements: "./uv.lock", dependencies: ["flask"] });
  const d2 = both.find((c): c is DerivationSpec => c.kind === "derivation")!;
  assert.deepEqual([d2.pip!.format, d2.pip!.debian], ["uv.lock", ["flask"]]);
  assert.ok(d2.inputs.some((i) => i.kind === "debian-package" && i.name === "python3-flask"));
  rejects(() => python(pkgs).application({ name: "web", src: "./app.py", requirements: 7 as never }), /requirements/);
});

test("application: what it cannot know or do is refused with the field and the fix", () => {
  const py = python(pkgs);
  rejects(() => py.application({ name: "ac2", src: "./app", dependencies: [] }), /\.main is required when src is a directory/);
  rejects(() => py.application({ name: "x", src: "./x.py", main: "x.py", module: "x" }), /main or module, not both/);
  rejects(() => py.application({ name: "x", src: "./x.py", dependencies: ["==3"] }), /"==3"/, /is not a PEP 508 requirement/);
  rejects(() => py.application({ name: "x", src: "./x.py", main: "../x.py" }), /\.main must be a path relative to destination/);
  rejects(() => py.application({ name: "x", src: "./x.py", destination: "/" }), /\.destination/);
  rejects(() => py.application({ name: "x/y", src: "./x.py" }), /\.name must be a name/);
  rejects(() => py.application({ name: "x", src: "./x.py", module: "not a module" }), /\.module must be a dotted module name/);
  rejects(() => py.application({ name: "x", src: "./x.py", entry: "x" } as never), /\.entry is not a known field/);
});

test("compile: the sources go through a derivation that compiles them with python3", () => {
  const app = python(pkgs).application({ name: "server", src: "./server.py", dependencies: [], compile: true });
  assert.equal(only(app, "files").length, 0, "the sources come from the derivation");
  const [drv] = only(app, "derivation") as DerivationSpec[];
  assert.equal(drv!.name, "server-bytecode");
  assert.deepEqual(names(drv!.inputs), ["python3"]);
  assert.deepEqual(only(drv!.inputs, "files"), [{ kind: "files", source: "./server.py", destination: "/src/server.py" }]);
  assert.match(drv!.build, /cp -R '\/src\/server\.py' "\$out"'\/app\/server\.py'/);
  assert.match(drv!.build, /compileall -q --invalidation-mode checked-hash -s "\$out" -p \/ "\$out"'\/app'/);
  const dir = python(pkgs).application({ name: "ac2", src: "./app", main: "manage.py", dependencies: [], compile: true });
  assert.match(only(dir, "derivation")[0]!.build, /cp -R \/src\/\. "\$out"'\/app\/'/);
});

test("package: pip installs the source directory into dist-packages, offline, with Debian's build tools", () => {
  const drv = python(pkgs).package({ name: "pdftk_wrapper", src: "./pdftk_wrapper" });
  assert.equal(drv.kind, "derivation");
  assert.equal(drv.name, "python3-pdftk-wrapper");
  assert.equal(drv.network, false);
  assert.deepEqual(names(drv.inputs), ["python3-pip", "python3-setuptools", "python3-wheel"]);
  assert.deepEqual(only(drv.inputs, "files"), [{ kind: "files", source: "./pdftk_wrapper", destination: "/src" }]);
  assert.match(drv.build, /pip install --no-index --no-deps --no-build-isolation .* --target "\$out\/usr\/lib\/python3\/dist-packages" \./);
  rejects(() => python(pkgs).package({ name: "x" } as never), /package\(\)\.src is required/);
});
