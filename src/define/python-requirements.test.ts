import assert from "node:assert/strict";
import { test } from "node:test";
import { formatOf, parseRequirements, pinnedFromReport, requirementsText } from "./python-requirements.js";

const H = (c: string) => `sha256:${c.repeat(64)}`;

test("requirements.txt: comments, continuations, hashes and source options; pinned only when every line has == and a hash", () => {
  const r = parseRequirements(`# deps\n--index-url http://127.0.0.1/simple/\nflask==3.0.0 \\\n    --hash=${H("a")} --hash=${H("b")}  # web\nhumanize == 4.9.0 --hash=${H("c")}\n`, "requirements", "requirements.txt");
  assert.deepEqual(r.options, ["--index-url http://127.0.0.1/simple/"]);
  assert.deepEqual(r.requirements.map((q) => [q.name, q.line, q.hashes.length]), [["flask", "flask==3.0.0", 2], ["humanize", "humanize == 4.9.0", 1]]);
  assert.equal(r.pinned, true);
  assert.equal(parseRequirements(`flask>=3 --hash=${H("a")}\n`, "requirements", "r.txt").pinned, false);
  assert.equal(parseRequirements("flask==3.0.0\n", "requirements", "r.txt").pinned, false);
  assert.equal(requirementsText(r), `--index-url http://127.0.0.1/simple/\nflask==3.0.0 --hash=${H("a")} --hash=${H("b")}\nhumanize == 4.9.0 --hash=${H("c")}\n`);
});

test("requirements.txt lines cairn cannot honour are refused with the file and line", () => {
  assert.throws(() => parseRequirements("flask\n-r other.txt\n", "requirements", "requirements.txt"), /requirements\.txt line 2 includes another file/);
  assert.throws(() => parseRequirements("-e .\n", "requirements", "r.txt"), /r\.txt line 1 is an editable install/);
  assert.throws(() => parseRequirements("pkg @ https://example.org/pkg.whl\n", "requirements", "r.txt"), /names a URL/);
  assert.throws(() => parseRequirements("flask --hash=md5:abc\n", "requirements", "r.txt"), /sha256 hashes/);
  assert.throws(() => parseRequirements("--no-clean\n", "requirements", "r.txt"), /pip option --no-clean/);
});

test("uv.lock: the project's dependencies down the graph, markers ANDed along a path, every file's hash", () => {
  const lock = `version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "flask" }, { name = "colorama", marker = "sys_platform == 'win32'" }]

[[package]]
name = "flask"
version = "3.0.0"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "click" }]
sdist = { url = "https://index.example/flask-3.0.0.tar.gz", hash = "${H("1")}" }
wheels = [{ url = "https://index.example/flask-3.0.0-py3-none-any.whl", hash = "${H("2")}" }]

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "colorama", marker = "platform_system == 'Windows'" }]
wheels = [{ url = "https://index.example/click.whl", hash = "${H("3")}" }]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://index.example/simple" }
wheels = [{ url = "https://index.example/colorama.whl", hash = "${H("4")}" }]

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://index.example/simple" }
wheels = [{ url = "https://index.example/pytest.whl", hash = "${H("5")}" }]
`;
  const r = parseRequirements(lock, formatOf("app/uv.lock"), "uv.lock");
  assert.equal(r.pinned, true);
  assert.deepEqual(r.requirements.map((q) => [q.line, q.hashes]), [
    ["click==8.1.7", [H("3")]],
    ["colorama==0.4.6 ; (platform_system == 'Windows') or (sys_platform == 'win32')", [H("4")]],
    ["flask==3.0.0", [H("2"), H("1")]],
  ], "pytest, which nothing of the project needs, is left out");
  assert.throws(() => parseRequirements(`version = 1\n[[package]]\nname = "x"\nversion = "1"\nsource = { registry = "r" }\n`, "uv.lock", "uv.lock"), /no package for the project itself/);
});

test("pylock.toml: each package with its marker and hashes; other sources refused", () => {
  const r = parseRequirements(`lock-version = "1.0"
[[packages]]
name = "flask"
version = "3.0.0"
wheels = [{ url = "https://index.example/flask.whl", hashes = { sha256 = "${"a".repeat(64)}" } }]
[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
sdist = { url = "https://index.example/colorama.tar.gz", hashes = { sha256 = "${"b".repeat(64)}" } }
`, formatOf("pylock.toml"), "pylock.toml");
  assert.deepEqual(r.requirements.map((q) => [q.line, q.hashes]), [["flask==3.0.0", [H("a")]], ["colorama==0.4.6 ; sys_platform == 'win32'", [H("b")]]]);
  assert.equal(formatOf("pylock.web.toml"), "pylock");
  assert.throws(() => parseRequirements(`lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1"\ndirectory = { path = "." }\n`, "pylock", "pylock.toml"), /from a directory, not an index/);
  assert.throws(() => parseRequirements(`lock-version = "2.0"\n`, "pylock", "pylock.toml"), /version 1\.x/);
});

test("pip's --report becomes one pinned line per package, by name; a file without a sha256 is refused", () => {
  const report = { install: [
    { metadata: { name: "Zed", version: "1.0" }, download_info: { url: "http://i/zed.whl", archive_info: { hash: `sha256=${"c".repeat(64)}` } } },
    { metadata: { name: "alpha", version: "2.0" }, download_info: { url: "http://i/a.whl", archive_info: { hashes: { sha256: "d".repeat(64) } } } },
  ] };
  assert.deepEqual(pinnedFromReport(report, "x").map((p) => [p.line, p.hashes]), [["alpha==2.0", [H("d")]], ["Zed==1.0", [H("c")]]]);
  assert.throws(() => pinnedFromReport({ install: [{ metadata: { name: "a", version: "1" }, download_info: { url: "http://i/a.whl", archive_info: {} } }] }, "x"), /gave no sha256 for a 1/);
  assert.throws(() => pinnedFromReport({ install: [{ metadata: { name: "a", version: "1" }, download_info: { url: "file:///src", dir_info: {} } }] }, "x"), /not from an index's file/);
});
