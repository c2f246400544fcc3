// cairn as a user's project gets it: the packed tarball installed with npm into a fresh folder
// outside the repository, a typed definition importing the package, `npx cairn build`, and the
// image run in podman. Packages come from a signed repository the test serves on 127.0.0.1.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { command } from "../support/command.js";
import { available, podman } from "../support/engines.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let repo: Repo;
let app: string;
let version: string;

const definitionFor = (api: string, body: string) => `import { buildLayeredImage, debian, files, type ContainerConfig } from "${api}";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
${body}
`;

const goodBody = `const config: ContainerConfig = { Cmd: ["/bin/busybox", "cat", "/srv/index.html"] };
export const site = buildLayeredImage({ name: "site", tag: "1", contents: [pkgs("tiny-base"), files("./site", "/srv")], config });`;

before(async () => {
  ({ version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string });
  // The bundle and the API's types come from `prepare` (npm ci): packing does not rebuild them
  // here, where other tests run cairn from the same dist/ at the same time.
  assert.ok(existsSync(join(ROOT, "dist/types/define/index.d.ts")), "dist/ has no API types: run `npm run build` (npm ci does) first");
  repo = await makeRepo({ packages: [{ name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } } }] });
  const packed = await mkdtemp(join(tmpdir(), "cairn-pack-"));
  await command("npm", ["pack", "--ignore-scripts", "--pack-destination", packed], { cwd: ROOT, timeoutMs: 120_000 });
  const [tarball] = (await readdir(packed)).filter((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote a tarball");
  app = await mkdtemp(join(tmpdir(), "cairn-user-project-"));
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "my-site", version: "1.0.0", private: true, type: "module" }));
  await command("npm", ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", join(packed, tarball)], { cwd: app, timeoutMs: 300_000 });
});

after(async () => {
  await repo?.close();
});

const npx = (args: string[]) => command("npx", ["--no-install", ...args], { cwd: app, allowFail: true, timeoutMs: 300_000, env: { ...process.env, XDG_CACHE_HOME: join(app, ".cache") } });

describe("installed in a user's project from the packed tarball", () => {
  test("the package is named cairn-build and gives the cairn command", async () => {
    const pkg = JSON.parse(await readFile(join(app, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    assert.ok(pkg.devDependencies["cairn-build"], "npm recorded the dependency under the package's name");
    const r = await npx(["cairn", "--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  test("the editor's TypeScript sees the API's types, under the project's own strict settings", async () => {
    await writeFile(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", noEmit: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true }, files: ["image.ts"] }));
    await writeFile(join(app, "image.ts"), definitionFor("cairn-build", goodBody));
    const clean = await npx(["tsc", "-p", "."]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    // A mistake is underlined where it is, which only happens when the types are really read.
    await writeFile(join(app, "image.ts"), definitionFor("cairn-build", goodBody.replace('tag: "1"', "tag: 1")));
    const wrong = await npx(["tsc", "-p", "."]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stdout, /image\.ts\(4,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    await writeFile(join(app, "image.ts"), definitionFor("cairn-build", goodBody));
  });

  test("npx cairn build makes an image that runs in podman", { skip: !available().podman && "podman is not installed (.ci/run installs it)" }, async () => {
    await writeFile(join(app, "image.ts"), definitionFor("cairn-build", goodBody));
    await command("mkdir", ["-p", join(app, "site")]);
    await writeFile(join(app, "site/index.html"), "<h1>my site</h1>\n");
    const r = await npx(["cairn", "build"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim().split("\n").pop()!, /^sha256:[0-9a-f]{64}$/);
    const engine = await podman();
    try {
      const ref = await engine.load(join(app, "result"));
      const run = await engine.run([ref]);
      assert.equal(run.stdout, "<h1>my site</h1>\n", run.stderr);
    } finally {
      await engine.cleanup();
    }
  });

  test('a definition that imports "cairn" still builds, to the same image', async () => {
    const a = await npx(["cairn", "build", "-o", "a.tar", "--no-typecheck"]);
    await writeFile(join(app, "image.ts"), definitionFor("cairn", goodBody));
    const b = await npx(["cairn", "build", "-o", "b.tar"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.trim().split("\n").pop(), a.stdout.trim().split("\n").pop(), "the import's name is not part of the image");
  });
});
