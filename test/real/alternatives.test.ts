// DESIGN.md §5 "update-alternatives links (java!)": Debian's JRE has no /usr/bin/java until its
// postinst runs; cairn generates the links, so `Cmd: ["java", "-version"]` works.
import assert from "node:assert/strict";
import { lstat, mkdtemp, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { after, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, podman } from "../support/engines.js";

const work = await mkdtemp(join(tmpdir(), "cairn-alternatives-"));
after(() => rm(work, { recursive: true, force: true }));
const out = join(work, "java.tar");

/** Follow links inside root (absolute targets are root-relative, as in the container); the chain of paths visited. */
async function resolveIn(root: string, p: string): Promise<string[]> {
  const chain = [p];
  let parts = p.split("/").filter(Boolean);
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const here = "/" + parts.slice(0, i + 1).join("/");
    const st = await lstat(join(root, here)).catch(() => undefined);
    if (!st?.isSymbolicLink()) continue;
    assert.ok(++hops < 40, `too many links resolving ${p}`);
    const target = await readlink(join(root, here));
    const next = posix.normalize(target.startsWith("/") ? target : posix.join(posix.dirname(here), target));
    parts = [...next.split("/").filter(Boolean), ...parts.slice(i + 1)];
    chain.push("/" + parts.join("/"));
    i = -1;
  }
  return chain;
}

test("openjdk-17-jre-headless: /usr/bin/java goes through /etc/alternatives to the JRE's java", async (t) => {
  const d = await project({ "image.ts": `import { buildLayeredImage, debian } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export const java = buildLayeredImage({
  name: "java", contents: [pkgs("openjdk-17-jre-headless"), pkgs("mawk")],
  config: { Cmd: ["java", "-version"] },
});` });
  const r = await cairn(["build", "--cache-dir", sharedCache(), "-o", out], { cwd: d, timeoutMs: 600_000 });
  assert.equal(r.code, 0, r.stderr);
  const { root } = await extractImage(out);

  assert.equal(await readlink(join(root, "usr/bin/java")), "/etc/alternatives/java");
  const chain = await resolveIn(root, "/usr/bin/java");
  assert.equal(chain[1], "/etc/alternatives/java");
  assert.match(chain.at(-1)!, /^\/usr\/lib\/jvm\/java-17-openjdk-[a-z0-9]+\/bin\/java$/);
  assert.ok((await stat(join(root, chain.at(-1)!))).isFile());
  assert.deepEqual((await resolveIn(root, "/usr/bin/awk")).at(-1), "/usr/bin/mawk");
  assert.match((await resolveIn(root, "/usr/bin/keytool")).at(-1)!, /\/bin\/keytool$/);
  await assert.rejects(lstat(join(root, "usr/bin/javac")), "javac's package (the JDK) is not in the image");

  const du = (await command("du", ["-sb", "--apparent-size", root])).stdout.split("\t")[0];
  t.diagnostic(`image: ${((await stat(out)).size / 1e6).toFixed(1)} MB compressed, ${(Number(du) / 1e6).toFixed(1)} MB unpacked`);
});

test("the image runs `java -version` in podman", { skip: !available().podman && "podman missing" }, async () => {
  const engine = await podman();
  try {
    const ref = await engine.load(out);
    const run = await engine.run([ref], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /openjdk version "17/);
    const awk = await engine.run([ref, "awk", "BEGIN { print 6 * 7 }"]);
    assert.equal(awk.stdout, "42\n", awk.stderr);
  } finally {
    await engine.cleanup();
  }
});
