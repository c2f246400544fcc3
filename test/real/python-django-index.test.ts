// Seed 000's Django image, with the two packages Debian lacks from an index: pypdftk and
// django-crispy-bootstrap4 (small stand-ins of the test's making, since PyPI is out of reach),
// beside Debian's Django and django-crispy-forms, which the stand-in requires and pip must take
// as installed rather than fetch.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, project } from "../support/cairn.js";
import { serveIndex, sha256, wheel, type Index } from "../support/python-index.js";

const files = {
  "pypdftk-0.5-py3-none-any.whl": wheel("pypdftk", "0.5", { "pypdftk.py": "def fill_form(pdf, data):\n    return ('pdftk', pdf, sorted(data))\n" }),
  "django_crispy_bootstrap4-2024.1-py3-none-any.whl": wheel("django-crispy-bootstrap4", "2024.1", { "crispy_bootstrap4/__init__.py": "TEMPLATE_PACK = 'bootstrap4'\n" }, ["django>=3.2", "django-crispy-forms>=1.14"]),
};
let index: Index;
before(async () => void (index = await serveIndex(files)));
after(() => index.close());

test("the Django image takes pypdftk and django-crispy-bootstrap4 from the index and Django from Debian", { timeout: 600_000 }, async () => {
  const dir = await project({
    "image.ts": `import { buildLayeredImage, debian, python } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);
export const image = buildLayeredImage({
  name: "ac2", tag: "dev",
  contents: [
    py.application({ name: "ac2", src: "./check.py", dependencies: ["django", "django-crispy-forms"], requirements: "./requirements.txt" }),
    pkgs("pdftk-java"), pkgs("coreutils"),
  ],
  config: { Cmd: ["ac2"] },
});
`,
    "check.py": [
      "import importlib.metadata as m, django, crispy_forms, crispy_bootstrap4, pypdftk",
      "print(m.version('django'), django.__file__)",
      "print(m.version('django-crispy-forms'), m.version('django-crispy-bootstrap4'), crispy_bootstrap4.TEMPLATE_PACK)",
      "print(pypdftk.fill_form('a.pdf', {'b': 1}))",
      "",
    ].join("\n"),
    // Unpinned, as people write it first: the first build resolves it and cairn.lock pins it.
    "requirements.txt": `# ${randomBytes(6).toString("hex")}\npypdftk==0.5\ndjango-crispy-bootstrap4\n`,
  });
  const env = { PIP_INDEX_URL: index.url, PIP_TRUSTED_HOST: "127.0.0.1" };
  const built = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, env });
  assert.equal(built.code, 0, built.stderr);
  const lock = JSON.parse(readFileSync(join(dir, "cairn.lock"), "utf8"));
  assert.deepEqual(lock.sources.pip["ac2-requirements"].requirements, [
    `django-crispy-bootstrap4==2024.1 --hash=sha256:${sha256(files["django_crispy_bootstrap4-2024.1-py3-none-any.whl"])}`,
    `pypdftk==0.5 --hash=sha256:${sha256(files["pypdftk-0.5-py3-none-any.whl"])}`,
  ]);
  // Debian's Django met the stand-in's requirement: pip never asked the index for it.
  assert.ok(!index.requests.some((r) => /^\/simple\/django\//.test(r)), index.requests.join(", "));
  const run = await cairn(["shell", "image.ts", "-A", "image", "--cache-dir", sharedCache()], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr);
  const [django, crispy, pdftk] = run.stdout.trim().split("\n");
  assert.match(django!, /^3\.2\.\d+ \/usr\/lib\/python3\/dist-packages\/django\/__init__\.py$/, "Debian's Django 3.2");
  assert.match(crispy!, /^1\.14\.\d+ 2024\.1 bootstrap4$/);
  assert.equal(pdftk, "('pdftk', 'a.pdf', ['b'])");
});
