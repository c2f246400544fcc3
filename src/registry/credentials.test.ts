import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { credentialsFromConfigFiles } from "./credentials.js";

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
