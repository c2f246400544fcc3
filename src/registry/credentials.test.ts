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
