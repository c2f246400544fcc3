// `cairn diff` for real: examples/redis-gosu's `redis` against `redisPinned` (another redis-server
// version), as definitions, as an image tar against a definition, and as an OCI archive made by
// skopeo against cairn's own tar.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { cairn } from "../support/cairn.js";
import { command } from "../support/command.js";

const definition = fileURLToPath(new URL("../../examples/redis-gosu/image.ts", import.meta.url));
const lock = JSON.parse(await readFile(fileURLToPath(new URL("../../examples/redis-gosu/cairn.lock", import.meta.url)), "utf8"));
const versionIn = (exportName: string, pkg: string): string => lock.images[exportName].packages.find((k: string) => k.startsWith(`${pkg} `)).split(" ")[1];
const latest = versionIn("redis", "redis-server");
const pinned = versionIn("redisPinned", "redis-server");
const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;

describe("cairn diff: redis against redisPinned (examples/redis-gosu)", () => {
  let dir: string;
  let cache: string;
  let pinnedTar: string;
  const diff = (...args: string[]) => cairn(["diff", ...args, "--frozen", "--cache-dir", cache]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-diff-"));
    cache = join(dir, "cache");
    pinnedTar = join(dir, "pinned.tar");
    const r = await cairn(["build", definition, "-A", "redisPinned", "-o", pinnedTar, "--frozen", "--cache-dir", cache]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("two definitions: the changed package with both versions, the changed files and layers, exit 0", async () => {
    assert.notEqual(latest, pinned);
    const r = await diff(`${definition}#redis`, `${definition}#redisPinned`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^  ~ redis-server ${esc(latest)} → ${esc(pinned)}$`, "m"));
    assert.match(r.stdout, /^packages: 0 added, 0 removed, \d+ changed$/m);
    // The binaries come from redis-tools; their bytes differ between the two builds of redis.
    assert.match(r.stdout, /^    ~ usr\/bin\/redis-check-rdb: .*content.*\(redis-tools\)$/m);
    assert.match(r.stdout, /^    ~ var\/lib\/dpkg\/status: /m);
    assert.match(r.stdout, /^layers: \d+ shared, [1-9]\d* only in A, [1-9]\d* only in B$/m);
    assert.match(r.stdout, /^  [-+] #\d+ sha256:[0-9a-f]{12}… [\d.]+ [kM]?B  cairn: redis-tools$/m);
    assert.match(r.stdout, /^size: [\d.]+ MB → [\d.]+ MB stored \([-+±]/m);
  });

  test("--json: the same report as data", async () => {
    const r = await diff(`${definition}#redis`, `${definition}#redisPinned`, "--json");
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.deepEqual(d.packages.changed.find((c: { name: string }) => c.name === "redis-server"), { name: "redis-server", from: latest, to: pinned });
    assert.deepEqual(d.packages.added, []);
    const rdb = d.files.find((f: { path: string }) => f.path === "usr/bin/redis-check-rdb");
    assert.ok(rdb.how.includes("content"), JSON.stringify(rdb));
    assert.ok(d.layers.onlyA.length > 0 && d.layers.shared.length > 0);
    assert.equal(d.identical, false);
  });

  test("an image tar against definitions: identical to its own, different from the other (--exit-code)", async () => {
    const same = await diff(pinnedTar, `${definition}#redisPinned`, "--exit-code");
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /no differences/);
    const other = await diff(pinnedTar, `${definition}#redis`, "--exit-code");
    assert.equal(other.code, 1, other.stderr);
    assert.match(other.stdout, new RegExp(`~ redis-server ${esc(pinned)} → ${esc(latest)}`));
  });

  test("skopeo's OCI archive of the tar: the same image, layers matched by diff_id", { skip: !hasSkopeo && "skopeo missing" }, async () => {
    const oci = join(dir, "pinned-oci.tar");
    await command("skopeo", ["copy", "-q", `docker-archive:${pinnedTar}`, `oci-archive:${oci}`]);
    const r = await diff(oci, pinnedTar, "--exit-code", "--json");
    assert.equal(r.code, 0, r.stdout.slice(0, 2000));
    const d = JSON.parse(r.stdout);
    assert.equal(d.identical, true);
    assert.deepEqual([d.layers.onlyA, d.layers.onlyB], [[], []]);
  });

  test("a side that does not exist is named", async () => {
    const r = await diff(join(dir, "nope.tar"), pinnedTar);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error\[CAIRN_E601\]: cairn diff: .*nope\.tar does not exist\./);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\~]/g, "\\$&");
}
