// Debian 13 on this Debian 12 host: a suite the host's apt configuration does not list is taken
// from the host's own mirror (same URIs and keys, its companions where they exist), for images and
// for `cairn shell --suite`. trixie's t64 library names, and base-files that ships the merged-/usr
// links itself, are what such a build meets.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, lastLine, project } from "../support/cairn.js";
import { available, podman, type Engine } from "../support/engines.js";

let dir: string;
let engine: Engine | undefined;

before(async () => {
  dir = await project({
    "image.ts": `import { buildImage, debian } from "cairn";
const pkgs = debian({ suite: "trixie" });
export const t = buildImage({
  name: "trixie-test", tag: "1",
  contents: [pkgs("dash"), pkgs("coreutils"), pkgs("libssl3t64"), pkgs("base-files")],
  config: { Cmd: ["/bin/dash", "-c", "ls --version | head -1; . /etc/os-release; echo $VERSION_CODENAME; ls -ld /bin"] },
});
`,
  });
});
after(async () => {
  await engine?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test("an image from trixie, which the host's apt sources do not list, builds from the host's mirror and runs", { skip: !available().podman && "podman is not installed (apt-get install podman runc)", timeout: 300_000 }, async () => {
  const r = await cairn(["build", "--cache-dir", sharedCache(), "-o", join(dir, "trixie.tar")], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /reading \d+ package indexes \(trixie, trixie-updates, trixie-security\)/);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
  assert.equal(lock.images.t.distribution.codename, "trixie");
  assert.ok(Object.keys(lock.packages).some((k) => k.startsWith("libssl3t64 ")), "a t64 library");
  engine = await podman();
  const ref = await engine.load(join(dir, "trixie.tar"));
  const run = await engine.run([ref]);
  assert.equal(run.code, 0, run.stderr);
  const [ls, codename, bin] = run.stdout.trim().split("\n");
  assert.match(ls!, /^ls \(GNU coreutils\) 9\./, "trixie's coreutils, not bookworm's 9.1");
  assert.equal(codename, "trixie");
  assert.match(bin!, /bin -> usr\/bin$/, "one merged-/usr link, cairn's, though base-files ships its own");
  assert.match(lastLine(r), /^sha256:/);
});

test("cairn shell --suite trixie", { timeout: 300_000 }, async () => {
  const r = await cairn(["shell", "-p", "coreutils", "--suite", "trixie", "--run", "ls --version | head -1", "--cache-dir", sharedCache()], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ls \(GNU coreutils\) 9\./);
});
