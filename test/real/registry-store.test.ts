// A store on a real registry (Debian's docker-registry on 127.0.0.1), shared by two "machines"
// (two cache folders): A builds with --store-push; B, with an empty cache and the Debian
// repository gone, builds the same definition --frozen to the same digest from the store alone.
// Entries are used only when signed by a trusted key; a tampered, unsigned or untrusted one is
// refused by name and B does the work instead, from the store's .debs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MediaType, type Digest, type Image } from "../../src/image/types.js";
import { pushImage } from "../../src/transports/registry/push.js";
import { cairn, lastLine, project } from "../support/cairn.js";
import { sharedCache } from "../support/cache.js";
import { command } from "../support/command.js";
import { registry, type Registry } from "../support/registry.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

const hasRegistry = (await command("sh", ["-c", "command -v docker-registry"], { allowFail: true })).code === 0;

let repo: Repo;
let reg: Registry;
let dir: string;
let keys: string;
let store: string;
let digest: string;

const fresh = () => mkdtemp(join(tmpdir(), "cairn-cache-"));

async function tags(): Promise<string[]> {
  const r = await fetch(`${reg.url}/v2/cairn-store/tags/list?n=1000`);
  return ((await r.json()) as { tags?: string[] }).tags ?? [];
}

describe("a store on a registry", { skip: !hasRegistry && "docker-registry is not installed (apt-get install docker-registry)" }, () => {
  before(async () => {
    const busybox = await readFile(staticBinary());
    repo = await makeRepo({
      packages: [
        { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: busybox, mode: 0o755 } } },
        { name: "hello", version: "1.0-1", depends: "tiny-base", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello\n", mode: 0o755 } } },
      ],
    });
    reg = await registry();
    store = `${reg.host}/cairn-store`;
    dir = await project({
      "image.ts": `import { buildLayeredImage, debian, text } from "cairn";
const pkgs = debian({ sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }] });
export const hello = buildLayeredImage({ name: "hello", tag: "1", contents: [pkgs("hello"), text("/etc/greeting", "hi\\n")], config: { Cmd: ["hello"] } });
`,
    });
    keys = await mkdtemp(join(tmpdir(), "cairn-keys-"));
  });

  after(async () => {
    await repo?.close();
    await reg?.close();
    if (keys) await rm(keys, { recursive: true, force: true });
  });

  test("cairn store keygen writes a key pair, and will not overwrite one", async () => {
    for (const name of ["ci", "other"]) {
      const r = await cairn(["store", "keygen", "-o", join(keys, name)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /key [0-9a-f]{16}/);
    }
    assert.equal((await stat(join(keys, "ci"))).mode & 0o777, 0o600);
    assert.match(await readFile(join(keys, "ci.pub"), "utf8"), /BEGIN PUBLIC KEY/);
    const again = await cairn(["store", "keygen", "-o", join(keys, "ci")]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
  });

  test("machine A builds with --store-push: its layers, their entry and its .debs go to the store", async () => {
    const r = await cairn(["build", "--cache-dir", await fresh(), "--store", store, "--store-push", "--store-key", join(keys, "ci")], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    digest = lastLine(r);
    const t = await tags();
    for (const d of repo.debs) assert.ok(t.includes(`blob-${d.sha256}`), `${d.name}'s .deb is in the store: ${t.join(", ")}`);
    assert.ok(t.some((x) => /^image-layers-[0-9a-f]{64}$/.test(x)), "the layers' entry is in the store");
  });

  test("machine B, an empty cache and no Debian repository, builds the same digest from the store", async () => {
    await repo.close(); // the mirror is gone: nothing may come from it
    const r = await cairn(["build", "--frozen", "--cache-dir", await fresh(), "--store", store, "--store-trust", join(keys, "ci.pub")], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.match(r.stderr, /layers? from the registry store/);
    assert.doesNotMatch(r.stderr, /downloading/, "no package was needed");
  });

  test("a project's cairn.config.json names the store and the key to trust: no flags needed", async () => {
    const withConfig = await project({ "image.ts": await readFile(join(dir, "image.ts"), "utf8"), "cairn.lock": await readFile(join(dir, "cairn.lock"), "utf8") });
    await writeFile(join(withConfig, "cairn.config.json"), JSON.stringify({ store: { ref: store, trust: [join(keys, "ci.pub")] } }));
    const r = await cairn(["build", "--frozen", "--cache-dir", await fresh()], { cwd: withConfig });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.match(r.stderr, /layers? from the registry store/);
  });

  test("with no trusted key, the entries are not used: B does the work, from the store's .debs", async () => {
    const r = await cairn(["build", "--frozen", "--cache-dir", await fresh(), "--store", store], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.match(r.stderr, /no key is trusted/);
    assert.match(r.stderr, /downloading 2 packages/);
  });

  test("an entry signed by a key B does not trust is refused by name, and B does the work", async () => {
    const r = await cairn(["build", "--frozen", "--cache-dir", await fresh(), "--store", store, "--store-trust", join(keys, "other.pub")], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.match(r.stderr, /CAIRN_E306: .*signed by key [0-9a-f]{16}, which is not trusted here/);
  });

  test("a tampered entry (its record changed, the signature kept) is refused by name, and B does the work", async () => {
    const tag = (await tags()).find((x) => x.startsWith("image-layers-"))!;
    const accept = { accept: MediaType.ociManifest };
    const manifest = (await (await fetch(`${reg.url}/v2/cairn-store/manifests/${tag}`, { headers: accept })).json()) as any;
    const config = Buffer.from(await (await fetch(`${reg.url}/v2/cairn-store/blobs/${manifest.config.digest}`)).arrayBuffer());
    const entry = JSON.parse(config.toString("utf8"));
    entry.value.descriptions = entry.value.descriptions.map(() => "rewritten by the registry");
    const forged = Buffer.from(JSON.stringify(entry));
    const { createHash } = await import("node:crypto");
    const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}` as Digest;
    const forgedManifest = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: sha(forged), size: forged.length }, layers: [] }));
    const image: Image = { repoTags: [], config: forged, configDigest: sha(forged), manifest: forgedManifest, manifestDigest: sha(forgedManifest), layers: [] };
    await pushImage(image, `${store}:${tag}`, {});

    const r = await cairn(["build", "--frozen", "--cache-dir", await fresh(), "--store", store, "--store-trust", join(keys, "ci.pub")], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.match(r.stderr, /CAIRN_E306: .*does not match its signature/);
    assert.doesNotMatch(r.stderr, /rewritten by the registry/);
  });

  test("an image pushed to another repository of that registry mounts the store's layers: nothing is uploaded twice", async () => {
    const cache = await fresh();
    const built = await cairn(["build", "--frozen", "--cache-dir", cache, "--store", store], { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    const r = await cairn(["push", "--frozen", "--cache-dir", cache, "--store", store, `${reg.host}/apps/hello:1`], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    // The registry has every layer from the store (mounted, or found there by its digest): only the
    // image's own config, which the store does not hold, goes up.
    const sent = Number(/\((\d+) bytes uploaded/.exec(r.stderr)?.[1] ?? NaN);
    const config = Number(JSON.parse((await command("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/apps/hello:1`])).stdout).config.size);
    assert.equal(sent, config, r.stderr);
  });
});

describe("a store on a registry: derivation and step outputs", { skip: !hasRegistry && "docker-registry is not installed (apt-get install docker-registry)" }, () => {
  let reg2: Registry;
  let keys2: string;
  let ref: string;
  let dir2: string;
  before(async () => {
    reg2 = await registry();
    ref = `${reg2.host}/steps-store`;
    keys2 = await mkdtemp(join(tmpdir(), "cairn-keys-"));
    assert.equal((await cairn(["store", "keygen", "-o", join(keys2, "ci")])).code, 0);
    // New each run, so that A really runs the derivation and the step (the shared cache keeps earlier runs' results).
    const token = randomBytes(8).toString("hex");
    dir2 = await project({
      "hello.c": `#include <stdio.h>\nint main(void) { puts("hello from the store ${token}"); return 0; }\n`,
      "image.ts": `import { buildImage, debian, derivation, files } from "cairn";
const pkgs = debian({ suite: "bookworm" });
const hello = derivation({
  name: "hello",
  inputs: [pkgs("gcc"), pkgs("libc6-dev"), files("./hello.c", "/src/hello.c")],
  build: "gcc -O2 -o hello /src/hello.c && install -D hello \\"$out/usr/bin/hello\\"",
});
export const image = buildImage({
  name: "hello-steps", tag: "1",
  contents: [pkgs("libc6"), pkgs("dash"), hello],
  runAsRoot: "mkdir -p /etc/made && echo by-the-step-${token} > /etc/made/by",
  config: { Cmd: ["/usr/bin/hello"] },
});
`,
    });
  });
  after(async () => {
    await reg2?.close();
    if (keys2) await rm(keys2, { recursive: true, force: true });
  });

  test("B takes the derivation's and the step's outputs from the store, checked, instead of running them", async () => {
    const a = await cairn(["build", "--cache-dir", sharedCache(), "--store", ref, "--store-push", "--store-key", join(keys2, "ci")], { cwd: dir2 });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /derivation hello: building/);
    assert.match(a.stderr, /runAsRoot: running in the sandbox/);
    const tagList = ((await (await fetch(`${reg2.url}/v2/steps-store/tags/list?n=1000`)).json()) as { tags: string[] }).tags;
    assert.ok(tagList.some((t) => t.startsWith("derivation-")) && tagList.some((t) => t.startsWith("step-")), tagList.join(", "));
    // Take the layers' entry out, so that B must make the layers, and so meet the derivation and the step.
    const layersTag = tagList.find((t) => t.startsWith("image-layers-"))!;
    const head = await fetch(`${reg2.url}/v2/steps-store/manifests/${layersTag}`, { method: "HEAD", headers: { accept: MediaType.ociManifest } });
    const del = await fetch(`${reg2.url}/v2/steps-store/manifests/${head.headers.get("docker-content-digest")}`, { method: "DELETE" });
    assert.equal(del.status, 202);

    const b = await cairn(["build", "--frozen", "--cache-dir", await fresh(), "--store", ref, "--store-trust", join(keys2, "ci.pub")], { cwd: dir2 });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(lastLine(b), lastLine(a), "the same image");
    assert.match(b.stderr, /derivation hello: its output from the registry store/);
    assert.match(b.stderr, /runAsRoot: its output from the registry store/);
    assert.doesNotMatch(b.stderr, /derivation hello: building|runAsRoot: running in the sandbox/);
  });
});
