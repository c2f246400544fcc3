// A cache that cannot be poisoned: a .deb or an unpacked file changed in the cache after cairn
// put it there gives the clean image's digest online (with a warning), and a named error offline.
// Against a signed repository the test serves on 127.0.0.1.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
  await flipByte(join(cache, "trees", `deb-3-${sha("tiny-base")}`, "files", "bin", "busybox"), (n) => n >> 1);
  await flipByte(join(cache, "blobs", "sha256", sha("hello")), (n) => n - 100);
  // A .deb is checked when it is used: with its unpacked tree gone, it must be unpacked again.
  const helloTree = join(cache, "trees", `deb-3-${sha("hello")}`);
  await rm(helloTree, { recursive: true });

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
  // While its tree is whole the damaged .deb is not read, and the build is right without it.
  const untouched = await cairn(["build", "--offline", "-o", join(dir, "third.tar"), "--cache-dir", cache], { cwd: dir });
  assert.equal(untouched.code, 0, untouched.stderr);
  await rm(helloTree, { recursive: true });
  await writeFile(join(dir, "image.ts"), definition("fourth"));
  const offline = await cairn(["build", "--offline", "--cache-dir", cache], { cwd: dir });
  assert.equal(offline.code, 1, offline.stderr);
  assert.match(offline.stderr, /error\[CAIRN_E304\]: The cache's copy of hello 1\.0-1 .* no longer matches its sha256/);
});

/** A machine of its own: its own config folder (and so cache key), or the shared CAIRN_CACHE_KEY. */
async function machine(sharedKey?: string): Promise<NodeJS.ProcessEnv> {
  const config = await mkdtemp(join(tmpdir(), "cairn-machine-"));
  return { XDG_CONFIG_HOME: config, ...(sharedKey ? { CAIRN_CACHE_KEY: sharedKey } : { CAIRN_CACHE_KEY: undefined }) };
}

test("a file rewritten with its manifest, a forged layer record and a changed layer blob are all caught", async () => {
  const dir = await project({ "image.ts": definition("forged") });
  const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  const env = await machine();
  const clean = await cairn(["build", "--cache-dir", cache], { cwd: dir, env });
  assert.equal(clean.code, 0, clean.stderr);
  const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8")) as { packages: Record<string, { sha256: string }> };
  const sha = (name: string) => Object.entries(lock.packages).find(([k]) => k.startsWith(`${name} `))![1].sha256;

  // The attacker rewrites busybox and the manifest's record of it, so the two agree.
  const tree = join(cache, "trees", `deb-3-${sha("tiny-base")}`);
  const manifestFile = join(tree, "manifest.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { entries: { path: string; sha256?: string; size: number }[] };
  const evil = Buffer.from("#!/bin/sh\necho pwned\n");
  await writeFile(join(tree, "files", "bin", "busybox"), evil);
  const bb = manifest.entries.find((e) => e.path === "bin/busybox")!;
  Object.assign(bb, { sha256: createHash("sha256").update(evil).digest("hex"), size: evil.length });
  await writeFile(manifestFile, JSON.stringify(manifest) + "\n");
  await writeFile(join(dir, "image.ts"), definition("forged, again"));
  const rebuilt = await cairn(["build", "--cache-dir", cache], { cwd: dir, env });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.match(rebuilt.stderr, /warning: the cache's unpacked copy of tiny-base 1\.0-1 was changed \(its manifest\.json\)/);
  // The digest the definition as it now stands gives from a fresh cache.
  const cleanDigest = async () => {
    const r = await cairn(["build", "-o", join(dir, "clean.tar"), "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-cache-"))], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    return lastLine(r);
  };
  assert.equal(lastLine(rebuilt), await cleanDigest(), "the rewritten tree gives the clean image");

  // Layer records pointing elsewhere, written without the key: ignored, the layers are made again.
  const layers = join(cache, "entries", "layer");
  const records = await readdir(layers);
  for (const r of records) {
    const text = await readFile(join(layers, r), "utf8");
    const [seal, json] = text.split("\n");
    await writeFile(join(layers, r), `${seal}\n${json!.replace(/"digest":"sha256:[0-9a-f]+"/, `"digest":"sha256:${sha("hello")}"`)}`);
  }
  await writeFile(join(dir, "image.ts"), definition("forged, a third time"));
  const forged = await cairn(["build", "--cache-dir", cache], { cwd: dir, env });
  assert.equal(forged.code, 0, forged.stderr);
  assert.match(forged.stderr, /holds records not sealed with this machine's cache key/);
  assert.equal(lastLine(forged), await cleanDigest());

  // A layer blob changed in place: the build fails naming it rather than ship it; cache verify
  // names it too, --repair takes it out, and the next build is clean again.
  const digests = await Promise.all((await readdir(layers)).map(async (r) => /"digest":"sha256:([0-9a-f]+)"/.exec(await readFile(join(layers, r), "utf8"))![1]!));
  const blob = join(cache, "blobs", "sha256", digests.find((d) => d !== sha("hello"))!);
  await flipByte(blob, (n) => n >> 1);
  await writeFile(join(dir, "image.ts"), definition("forged, a fourth time"));
  const damaged = await cairn(["build", "--cache-dir", cache], { cwd: dir, env });
  assert.equal(damaged.code, 1, damaged.stderr);
  assert.match(damaged.stderr, /error\[CAIRN_E304\]: The cache's blob .* no longer matches its sha256/);
  assert.match(damaged.stderr, /cairn cache verify --repair/);
  const verify = await cairn(["cache", "verify", "--cache-dir", cache], { env });
  assert.equal(verify.code, 1, verify.stdout + verify.stderr);
  assert.ok(verify.stdout.includes(`changed: ${blob}: its bytes no longer hash to its name`), verify.stdout);
  const repair = await cairn(["cache", "verify", "--repair", "--cache-dir", cache], { env });
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, /took out 1 damaged entry/);
  const healed = await cairn(["build", "--cache-dir", cache], { cwd: dir, env });
  assert.equal(healed.code, 0, healed.stderr);
  assert.equal(lastLine(healed), await cleanDigest());
});

test("machines that share CAIRN_CACHE_KEY share a cache; another key's records are not trusted", async () => {
  const dir = await project({ "image.ts": definition("shared") });
  const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
  const key = "a secret only the CI's trusted jobs hold";
  const first = await cairn(["build", "--cache-dir", cache], { cwd: dir, env: await machine(key) });
  assert.equal(first.code, 0, first.stderr);
  const second = await cairn(["build", "--cache-dir", cache], { cwd: dir, env: await machine(key) });
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /not sealed/);
  // The second machine trusts the first's records: no layer is made again.
  assert.match(second.stderr, /nothing changed in the layers; reusing \d+ cached layers/);
  const stranger = await cairn(["build", "--cache-dir", cache], { cwd: dir, env: await machine() });
  assert.equal(stranger.code, 0, stranger.stderr);
  assert.match(stranger.stderr, /holds records not sealed with this machine's cache key .* share one secret in CAIRN_CACHE_KEY/);
  assert.doesNotMatch(stranger.stderr, /nothing changed in the layers/, "another key's layer records are not reused");
  assert.equal(lastLine(stranger), lastLine(first), "the same image, made again rather than taken on trust");
});
