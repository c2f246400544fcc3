// `cairn verify` for real: the cheap examples rebuild to the same digest in a fresh cache; a step
// that writes the time, or a derivation that writes a random id, is caught and its file named;
// --against compares the build with an image tar. (Every example, timed by hand: see the report
// of issue 7 — the rest rebuild JREs and Python trees, too slow for the suite.)
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { cairn, lastLine, project } from "../support/cairn.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

describe("cairn verify", () => {
  let dir: string;
  let cache: string;
  const verify = (...args: string[]) => cairn(["verify", ...args, "--cache-dir", cache]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-verify-"));
    cache = join(dir, "cache");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The cheap ones (the rest, and runAsRoot's examples, are covered by hand and by steps.test.ts).
  for (const [example, exportName] of [["dummy", "dummy"], ["redis", "redis"]] as const) {
    test(`examples/${example} -A ${exportName}: the fresh cache builds the same digest`, async () => {
      const r = await verify(join(examples, example, "image.ts"), "-A", exportName, "--frozen");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(lastLine(r), /^reproducible: sha256:[0-9a-f]{64}$/);
      // The .debs came from the cache (pinned in the lock); nothing else did.
      assert.match(r.stdout, /^rebuilt in a fresh cache: [1-9]\d* \.deb files? \([\d.]+ MB\) reused from the cache — pinned by sha256 in cairn\.lock/m);
      // The same digest `cairn build` prints.
      const b = await cairn(["build", join(examples, example, "image.ts"), "-A", exportName, "-o", join(dir, `${example}.tar`), "--frozen", "--cache-dir", cache]);
      assert.equal(`reproducible: ${lastLine(b)}`, lastLine(r));
      // The fresh cache is gone.
      assert.deepEqual((await readdir(join(cache, "tmp"))).filter((n) => !n.startsWith(".")), []);
    });
  }

  describe("a build that is not reproducible", () => {
    let proj: string;
    before(async () => {
      proj = await project({
        "image.ts": `import { buildLayeredImage, debian, derivation } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const stamped = buildLayeredImage({
  name: "stamped",
  contents: [pkgs("dash")],
  runAsRoot: "mkdir -p /etc/build && date +%s%N > /etc/build/stamp && echo same > /etc/build/same",
});
export const uuid = buildLayeredImage({
  name: "uuid",
  contents: [pkgs("dash"), derivation({ name: "uuid", build: "mkdir -p $out/etc && cat /proc/sys/kernel/random/uuid > $out/etc/build-id && echo same > $out/etc/same" })],
});
`,
      });
    });
    after(async () => {
      await rm(proj, { recursive: true, force: true });
    });

    test("runAsRoot writing the time: the layer and /etc/build/stamp are named, exit 1", async () => {
      const r = await verify(join(proj, "image.ts"), "-A", "stamped");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^not reproducible: sha256:[0-9a-f]{64} \(your cache\) ≠ sha256:[0-9a-f]{64} \(fresh cache\)$/m);
      assert.match(r.stdout, /^layer #\d+ \(.*runAsRoot.*\): sha256:/m);
      assert.match(r.stdout, /^  etc\/build\/stamp: content sha256:[0-9a-f]{12}… → sha256:[0-9a-f]{12}…$/m);
      assert.doesNotMatch(r.stdout, /etc\/build\/same/);
      assert.match(r.stderr, /error\[CAIRN_E801\]: .*-A stamped is not reproducible: layer #\d+ \(.*\) differs in \/etc\/build\/stamp \(content\)\./);
      assert.match(r.stderr, /hint: .*SOURCE_DATE_EPOCH/);
    });

    test("a derivation writing a random id: /etc/build-id is named", async () => {
      const r = await verify(join(proj, "image.ts"), "-A", "uuid");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^  etc\/build-id: content sha256:/m);
      assert.match(r.stderr, /differs in \/etc\/build-id \(content\)/);
    });

    test("--keep keeps the fresh cache and says where", async () => {
      const r = await verify(join(proj, "image.ts"), "-A", "stamped", "--keep");
      assert.equal(r.code, 1);
      const kept = /^the fresh cache is kept at (.+)$/m.exec(r.stdout)?.[1];
      assert.ok(kept, r.stdout);
      assert.ok((await readdir(join(kept, "blobs", "sha256"))).length > 0);
      await rm(kept, { recursive: true, force: true });
    });
  });

  test("--against an image tar: the same image passes, another one fails naming the layer", async () => {
    const def = join(examples, "redis/image.ts");
    const tar = join(dir, "redis-against.tar");
    const b = await cairn(["build", def, "-A", "redis", "-o", tar, "--frozen", "--cache-dir", cache]);
    assert.equal(b.code, 0, b.stderr);
    const ok = await verify(def, "-A", "redis", "--frozen", "--against", tar);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^reproducible: /m);
    const dummyTar = join(dir, "dummy-against.tar");
    assert.equal((await cairn(["build", join(examples, "dummy/image.ts"), "-o", dummyTar, "--frozen", "--cache-dir", cache])).code, 0);
    const bad = await verify(def, "-A", "redis", "--frozen", "--against", dummyTar);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stderr, /error\[CAIRN_E801\]: .*-A redis is not reproducible: layer #0/);
  });
});
