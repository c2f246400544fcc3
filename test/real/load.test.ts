// `cairn build --load`: the image piped into podman's storage, then run from there.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, podmanConfig, removeTree } from "../support/engines.js";

const dummy = fileURLToPath(new URL("../../examples/dummy/image.ts", import.meta.url));

test("cairn build --load --engine podman puts the image into podman, which runs it", { skip: !available().podman && "podman missing" }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "cairn-load-"));
  try {
    // podman's storage for this test only, through the configuration podman itself reads.
    const env = { ...(await podmanConfig(dir)), DOCKER_HOST: "", PATH: `/usr/bin:/bin:/usr/sbin:/sbin` };
    const r = await cairn(["build", dummy, "--load", "--engine", "podman", "-o", join(dir, "dummy.tar"), "--cache-dir", sharedCache()], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /cairn: podman: Loaded image.*dummy:latest/);
    const run = await command("podman", ["--runtime", "runc", "run", "--rm", "dummy:latest", "sh", "-c", "echo loaded"], { env: { ...process.env, ...env } });
    assert.equal(run.stdout, "loaded\n");
  } finally {
    await command("podman", ["rmi", "-a", "-f"], { env: { ...process.env, CONTAINERS_STORAGE_CONF: join(dir, "storage.conf") }, allowFail: true });
    await removeTree(dir).catch(() => {});
  }
});
