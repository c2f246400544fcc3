import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../../errors.js";
import { credentialsFromConfigFiles, registryAccess } from "./credentials.js";

test("auths entries of docker and podman config files give credentials, first file first", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cairn-creds-"));
  const docker = join(dir, "config.json");
  const podman = join(dir, "auth.json");
  await writeFile(docker, JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw:with:colons").toString("base64") } } }));
  await writeFile(podman, JSON.stringify({ auths: { "127.0.0.1:5000": { auth: Buffer.from("me:secret").toString("base64") } } }));
  const files = [join(dir, "missing.json"), docker, podman];
  assert.deepEqual(await credentialsFromConfigFiles("docker.io", files), { username: "hub", password: "pw:with:colons" });
  assert.deepEqual(await credentialsFromConfigFiles("127.0.0.1:5000", files), { username: "me", password: "secret" });
  assert.equal(await credentialsFromConfigFiles("127.0.0.1:5001", files), undefined);
});

test("credHelpers and credsStore ask docker-credential-<name>, with the registry on stdin", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cairn-creds-"));
  const helper = join(dir, "docker-credential-cairntest");
  // The helper answers only for the registry it is asked about, like real helpers do.
  await writeFile(helper, `#!/bin/sh\nread server\n[ "$1" = get ] || exit 2\ncase "$server" in\n  127.0.0.1:5000) echo '{"ServerURL":"127.0.0.1:5000","Username":"helped","Secret":"from-helper"}' ;;\n  *) echo "credentials not found in native keychain" >&2; exit 1 ;;\nesac\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  const perRegistry = join(dir, "helpers.json");
  await writeFile(perRegistry, JSON.stringify({ credHelpers: { "127.0.0.1:5000": "cairntest" } }));
  assert.deepEqual(await credentialsFromConfigFiles("127.0.0.1:5000", [perRegistry], env), { username: "helped", password: "from-helper" });
  const store = join(dir, "store.json");
  await writeFile(store, JSON.stringify({ auths: { "127.0.0.1:5000": {}, "127.0.0.1:6000": {} }, credsStore: "cairntest" }));
  assert.deepEqual(await credentialsFromConfigFiles("127.0.0.1:5000", [store], env), { username: "helped", password: "from-helper" });
  assert.equal(await credentialsFromConfigFiles("127.0.0.1:6000", [store], env), undefined, "not found is no credentials");
  await writeFile(perRegistry, JSON.stringify({ credHelpers: { "127.0.0.1:5000": "missing-helper" } }));
  await assert.rejects(credentialsFromConfigFiles("127.0.0.1:5000", [perRegistry], env), /docker-credential-missing-helper.*cannot be run/);
});

test("registryAccess: --creds, then the environment, then login files; flags only for the registry pushed to", async () => {
  const home = await mkdtemp(join(tmpdir(), "cairn-home-"));
  const dockerConfig = await mkdtemp(join(tmpdir(), "cairn-docker-config-"));
  await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { "127.0.0.1:5000": { auth: Buffer.from("file:from-file").toString("base64") } } }));
  const env = { DOCKER_CONFIG: dockerConfig, CAIRN_REGISTRY_USER: "env", CAIRN_REGISTRY_PASSWORD: "from-env" };
  const flag = { username: "flag", password: "from-flag" };

  const pulling = registryAccess({ creds: "flag:from-flag", caFile: "/ca.pem" }, env, home);
  assert.deepEqual(await pulling("127.0.0.1:5000"), { credentials: flag, caFile: "/ca.pem" }, "--creds first");
  assert.deepEqual(await pulling("other.example"), { credentials: flag, caFile: "/ca.pem" }, "with no push, for every registry");
  assert.deepEqual(await registryAccess({}, env, home)("127.0.0.1:5000"), { credentials: { username: "env", password: "from-env" } }, "then the environment");
  assert.deepEqual(await registryAccess({}, { DOCKER_CONFIG: dockerConfig }, home)("127.0.0.1:5000"), { credentials: { username: "file", password: "from-file" } }, "then docker's config");
  assert.deepEqual(await registryAccess({}, {}, home)("127.0.0.1:5000"), {}, "else anonymous");

  // Pushing to one registry, a base from another never gets the push's password or TLS settings.
  const pushing = registryAccess({ creds: "flag:from-flag", insecure: true, only: "push.example" }, env, home);
  assert.deepEqual(await pushing("push.example"), { credentials: flag, insecure: true });
  assert.deepEqual(await pushing("127.0.0.1:5000"), { credentials: { username: "file", password: "from-file" } });
  assert.deepEqual(await pushing("docker.io"), {});

  assert.throws(() => registryAccess({ creds: "no-colon" }, {}, home), (e) => isCairnError(e) && e.code === ErrorCode.USAGE && /--creds must be USER:PASSWORD/.test(e.message));
});
