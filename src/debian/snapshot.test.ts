import assert from "node:assert/strict";
import { test } from "node:test";
import { snapshotStamp, snapshotUrls } from "./fetch.js";
import type { LockedPackage } from "./lockfile.js";
import { lockChanges, resolutionOf } from "./resolution.js";

/** A loopback stand-in for a snapshot archive's root: the URLs are made, never fetched. */
const SNAP = "http://127.0.0.1:9";

const pkg = (name: string, version: string, suite = "bookworm"): LockedPackage => ({
  name, version, architecture: "amd64", filename: `pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb`, sha256: "0".repeat(64), size: 1, suite, component: "main",
});

test("snapshot URLs: the suite's archive, at the locked Release Date and a day later; an asked moment alone", () => {
  const dates = { bookworm: "2024-02-10T10:05:12.000Z", "bookworm-security": "2024-03-01T00:00:00.000Z" };
  assert.deepEqual(snapshotUrls({ uri: `${SNAP}/` }, pkg("redis", "7"), dates), [
    `${SNAP}/archive/debian/20240210T100512Z/pool/main/r/redis/redis_7_amd64.deb`,
    `${SNAP}/archive/debian/20240211T100512Z/pool/main/r/redis/redis_7_amd64.deb`,
  ]);
  assert.match(snapshotUrls({ uri: SNAP }, pkg("libssl3", "3", "bookworm-security"), dates)[0]!, /\/archive\/debian-security\/20240301T000000Z\//);
  assert.deepEqual(snapshotUrls({ uri: SNAP, at: "20230101T000000Z" }, pkg("redis", "7"), dates), [`${SNAP}/archive/debian/20230101T000000Z/pool/main/r/redis/redis_7_amd64.deb`]);
  // A lock from before cairn recorded dates, and no `at`: nothing to ask for.
  assert.deepEqual(snapshotUrls({ uri: SNAP }, pkg("redis", "7"), {}), []);
  assert.equal(snapshotStamp("Sat, 10 Feb 2024 10:05:12 UTC"), "20240210T100512Z");
});

test("lock changes: by package name, versions both sides", () => {
  const r = (...ps: LockedPackage[]) => resolutionOf({ request: { architecture: "amd64", sources: [], roots: [] }, packages: ps, edges: [], distribution: { origin: "Debian", codename: "bookworm" } });
  const c = lockChanges(r(pkg("redis", "7.0.11"), pkg("libc6", "2.36"), pkg("gone", "1")), r(pkg("redis", "7.0.15"), pkg("libc6", "2.36"), pkg("new", "2")));
  assert.deepEqual(c, { added: [{ name: "new", version: "2" }], removed: [{ name: "gone", version: "1" }], changed: [{ name: "redis", from: "7.0.11", to: "7.0.15" }] });
  assert.deepEqual(lockChanges(undefined, r(pkg("a", "1"))).added, [{ name: "a", version: "1" }]);
});
