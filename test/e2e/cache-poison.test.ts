// A cache that cannot be poisoned: a .deb or an unpacked file changed in the cache after cairn
// put it there gives the clean image's digest online (with a warning), and a named error offline.
// Against a signed repository the test serves on 127.0.0.1.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cairn, lastLine, project } from "../support/cairn.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

let repo: Repo;

const definition = (extra: string) => `import { buildLayeredImage, debian, text } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
export default buildLayeredImage({ name: "poison", tag: "1", contents: [pkgs("hello"), text("/etc/which", ${JSON.stringify(extra)})], config: { Cmd: ["hello"] } });
`;

before(async () => {
  repo = await makeRepo({
    packages: [
      { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } } },
      { name: "hello", version: "1.0-1", depends: "tiny-base", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello\n", mode: 0o755 } } },
    ],
  });
});

after(async () => {
  await repo?.close();
});

async function flipByte(file: string, at: (size: number) => number): Promise<void> {
  const bytes = await readFile(file);
  bytes[at(bytes.length)]! ^= 0x01;
  await writeFile(file, bytes);
}

test("a changed .deb and a changed unpacked file are noticed and replaced; offline, a damaged .deb is a named error", async () => {
  const dir = await project({ "image.ts": definition("first") });
  const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  const first = await cairn(["build", "--cache-dir", cache], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8")) as { packages: Record<string, { sha256: string }> };
  const sha = (name: string) => Object.entries(lock.packages).find(([k]) => k.startsWith(`${name} `))![1].sha256;

  // An attacker with write access to a shared cache: one byte of busybox in its unpacked tree,
  // and one byte of hello's .deb.
  await flipByte(join(cache, "trees", `deb-2-${sha("tiny-base")}`, "files", "bin", "busybox"), (n) => n >> 1);
  await flipByte(join(cache, "blobs", "sha256", sha("hello")), (n) => n - 100);

  // Another definition, so that its layers are made anew from the cache's packages.
  await writeFile(join(dir, "image.ts"), definition("second"));
  const poisoned = await cairn(["build", "--cache-dir", cache], { cwd: dir });
  assert.equal(poisoned.code, 0, poisoned.stderr);
  assert.match(poisoned.stderr, /warning: the cache's copy of hello 1\.0-1 no longer matched its sha256/);
  assert.match(poisoned.stderr, /warning: the cache's unpacked copy of tiny-base 1\.0-1 was changed \(\/bin\/busybox\)/);

  const clean = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  const reference = await cairn(["build", "-o", join(dir, "clean.tar"), "--cache-dir", clean], { cwd: dir });
  assert.equal(reference.code, 0, reference.stderr);
  assert.equal(lastLine(poisoned), lastLine(reference), "the poisoned cache gives the clean image");

  await flipByte(join(cache, "blobs", "sha256", sha("hello")), (n) => n - 100);
  await writeFile(join(dir, "image.ts"), definition("third"));
  const offline = await cairn(["build", "--offline", "--cache-dir", cache], { cwd: dir });
  assert.equal(offline.code, 1, offline.stderr);
  assert.match(offline.stderr, /error\[CAIRN_E304\]: The cache's copy of hello 1\.0-1 .* no longer matches its sha256/);
});
