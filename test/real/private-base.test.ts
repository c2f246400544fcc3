// A base image in a private registry (docker-registry with htpasswd auth and a self-signed
// certificate): `cairn build`, `lock` and `push` pull it with the credentials a user gives in any of
// the ways pushes take them (--creds, CAIRN_REGISTRY_USER/PASSWORD, docker's or podman's login file),
// over TLS trusted with --ca-file or --insecure; with none, the error names the registry and how to log in.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../src/image/types.js";
import { pushImage } from "../../src/transports/registry/push.js";
import { busyboxImage } from "../support/busybox-image.js";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { registry, type Registry } from "../support/registry.js";

describe("fromImage: pullImage from a registry with htpasswd auth and TLS", () => {
  let reg: Registry;
  let base: Image;
  let work: string;
  /** No login file of the machine's user, no credentials in the environment: only what each test gives. */
  let clean: NodeJS.ProcessEnv;

  before(async () => {
    [reg, base, work] = await Promise.all([registry({ auth: true, tls: true }), busyboxImage("private base"), mkdtemp(join(tmpdir(), "cairn-private-base-"))]);
    await pushImage(base, `${reg.host}/private/busybox:1`, { credentials: { username: reg.user!, password: reg.password! }, caFile: reg.caFile });
    const home = await mkdtemp(join(work, "home-"));
    clean = { HOME: home, DOCKER_CONFIG: undefined, REGISTRY_AUTH_FILE: undefined, XDG_RUNTIME_DIR: undefined, CAIRN_REGISTRY_USER: undefined, CAIRN_REGISTRY_PASSWORD: undefined };
  });
  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const app = () => project({ "image.ts": `import { buildImage, pullImage, text } from "cairn";
export default buildImage({
  name: "on-private", tag: "1",
  fromImage: pullImage({ imageName: "${reg.host}/private/busybox", tag: "1" }),
  contents: [text("/etc/app.conf", "private base\\n")],
});` });
  const freshCache = () => mkdtemp(join(work, "cache-"));

  /** The build pinned the pushed base and put its layer, byte for byte, under the image's own. */
  async function assertOnBase(dir: string): Promise<void> {
    const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
    assert.equal(lock.images.default.base.digest, base.manifestDigest, "the tag is pinned to the pushed digest");
    const built = await extractImage(join(dir, "result"));
    assert.equal(built.manifest.Layers[0], `blobs/sha256/${base.layers[0]!.digest.slice(7)}`, "the base's layer comes first, as pushed");
    assert.equal(await readFile(join(built.root, "marker"), "utf8"), "private base");
    assert.equal(await readFile(join(built.root, "etc/app.conf"), "utf8"), "private base\n");
  }

  test("--creds with --ca-file", async () => {
    const dir = await app();
    const r = await cairn(["build", "--cache-dir", await freshCache(), "--creds", `${reg.user}:${reg.password}`, "--ca-file", reg.caFile!], { cwd: dir, env: clean });
    assert.equal(r.code, 0, r.stderr);
    await assertOnBase(dir);
  });

  test("CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD, with --insecure", async () => {
    const dir = await app();
    const r = await cairn(["build", "--cache-dir", await freshCache(), "--insecure"], {
      cwd: dir, env: { ...clean, CAIRN_REGISTRY_USER: reg.user!, CAIRN_REGISTRY_PASSWORD: reg.password! },
    });
    assert.equal(r.code, 0, r.stderr);
    await assertOnBase(dir);
  });

  test("docker's config.json (DOCKER_CONFIG) and podman's auth.json (REGISTRY_AUTH_FILE)", async () => {
    const auths = JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.user}:${reg.password}`).toString("base64") } } });
    const dockerConfig = await mkdtemp(join(work, "docker-config-"));
    await writeFile(join(dockerConfig, "config.json"), auths);
    const dir = await app();
    const r = await cairn(["build", "--cache-dir", await freshCache(), "--ca-file", reg.caFile!], { cwd: dir, env: { ...clean, DOCKER_CONFIG: dockerConfig } });
    assert.equal(r.code, 0, r.stderr);
    await assertOnBase(dir);

    const authFile = join(work, "auth.json");
    await writeFile(authFile, auths);
    const dir2 = await app();
    const r2 = await cairn(["build", "--cache-dir", await freshCache(), "--ca-file", reg.caFile!], { cwd: dir2, env: { ...clean, REGISTRY_AUTH_FILE: authFile } });
    assert.equal(r2.code, 0, r2.stderr);
    await assertOnBase(dir2);
    assert.equal(lastLine(r2), lastLine(r), "the same base, the same image");
  });

  test("cairn lock pins with --creds; a later build pulls the pinned digest with them", async () => {
    const dir = await app();
    const creds = ["--creds", `${reg.user}:${reg.password}`, "--ca-file", reg.caFile!];
    const locked = await cairn(["lock", "--cache-dir", await freshCache(), ...creds], { cwd: dir, env: clean });
    assert.equal(locked.code, 0, locked.stderr);
    // A fresh cache: the build finds the digest in the lock and has to pull the layers.
    const cache = await freshCache();
    const without = await cairn(["build", "--frozen", "--cache-dir", cache, "--ca-file", reg.caFile!], { cwd: dir, env: clean });
    assert.equal(without.code, 1, without.stderr);
    assert.match(without.stderr, new RegExp(`CAIRN_E602.*pulling ${reg.host}/private/busybox: the registry wants credentials and none were given`));
    const r = await cairn(["build", "--frozen", "--cache-dir", cache, ...creds], { cwd: dir, env: clean });
    assert.equal(r.code, 0, r.stderr);
    await assertOnBase(dir);
  });

  test("cairn push to another registry: --creds are for that one, the base comes with its own login", async () => {
    const target = await registry({ auth: { user: "pusher", password: "push-secret" } });
    try {
      const dockerConfig = await mkdtemp(join(work, "docker-config-"));
      await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.user}:${reg.password}`).toString("base64") } } }));
      const dir = await app();
      // The base's CA trusted machine-wide (as a user with a private CA would): the push's flags say nothing about the base.
      const r = await cairn(["push", "--cache-dir", await freshCache(), "--creds", "pusher:push-secret", `${target.host}/app:1`], {
        cwd: dir, env: { ...clean, DOCKER_CONFIG: dockerConfig, NODE_EXTRA_CA_CERTS: reg.caFile! },
      });
      // Had --creds gone to the base's registry too, it would have refused them.
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8")).images.default.base.digest, base.manifestDigest);
      const inspected = await command("skopeo", ["inspect", "--tls-verify=false", "--creds", "pusher:push-secret", `docker://${target.host}/app:1`]);
      assert.equal(JSON.parse(inspected.stdout).Digest, lastLine(r));
    } finally {
      await target.close();
    }
  });

  test("without credentials: CAIRN_E602 naming the registry and how to log in", async () => {
    const dir = await app();
    const r = await cairn(["build", "--cache-dir", await freshCache(), "--ca-file", reg.caFile!], { cwd: dir, env: clean });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`error\\[CAIRN_E602\\]: resolving ${reg.host}/private/busybox: the registry wants credentials and none were given`));
    assert.match(r.stderr, new RegExp(`hint: log in with \`docker login ${reg.host}\` or \`podman login ${reg.host}\`, or pass --creds USER:PASSWORD`));
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);

    // A wrong password is refused as such; an untrusted certificate says which flag fixes it.
    const wrong = await cairn(["build", "--cache-dir", await freshCache(), "--ca-file", reg.caFile!, "--creds", `${reg.user}:wrong-password-456`], { cwd: dir, env: clean });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`CAIRN_E602.*${reg.host}/private/busybox: authentication failed`));
    assert.ok(!wrong.stderr.includes("wrong-password-456"));
    const untrusted = await cairn(["build", "--cache-dir", await freshCache(), "--creds", `${reg.user}:${reg.password}`], { cwd: dir, env: clean });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`CAIRN_E603.*TLS connection to ${reg.host} failed`));
    assert.match(untrusted.stderr, /--ca-file/);
  });

  test("skopeo agrees the base needs the login cairn used", async () => {
    // The independent check that the registry really is private: anonymous skopeo is refused.
    const anonymous = await command("skopeo", ["inspect", "--cert-dir", reg.certDir!, `docker://${reg.host}/private/busybox:1`], { allowFail: true, env: { ...process.env, ...clean } });
    assert.notEqual(anonymous.code, 0);
    const inspected = await command("skopeo", ["inspect", "--cert-dir", reg.certDir!, "--creds", `${reg.user}:${reg.password}`, `docker://${reg.host}/private/busybox:1`], { env: { ...process.env, ...clean } });
    assert.equal(JSON.parse(inspected.stdout).Digest, base.manifestDigest);
  });
});
