import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PATH } from "../closure/programs.js";
import { buildConfig, defaultEnv } from "./config.js";
import type { DiffId } from "./types.js";

const d1 = `sha256:${"1".repeat(64)}` as DiffId;
const d2 = `sha256:${"2".repeat(64)}` as DiffId;
const epoch = "1970-01-01T00:00:00Z";

test("config JSON: exact canonical bytes", () => {
  const bytes = buildConfig({
    config: { Cmd: ["redis-server"], Env: [DEFAULT_PATH], ExposedPorts: { "6379/tcp": {} }, WorkingDir: "/data" },
    diffIds: [d1, d2],
    created: epoch,
    architecture: "amd64",
    os: "linux",
  });
  const expected =
    `{"architecture":"amd64","config":{"Cmd":["redis-server"],"Env":["${DEFAULT_PATH}"],` +
    `"ExposedPorts":{"6379/tcp":{}},"WorkingDir":"/data"},"created":"${epoch}",` +
    `"history":[{"created":"${epoch}"},{"created":"${epoch}"}],"os":"linux",` +
    `"rootfs":{"diff_ids":["${d1}","${d2}"],"type":"layers"}}`;
  assert.equal(bytes.toString("utf8"), expected);
});

test("empty and undefined config keys are left out; key order of the input does not matter", () => {
  const a = buildConfig({
    config: { Cmd: ["sh"], Env: [], Labels: {}, Volumes: {}, WorkingDir: "", User: undefined },
    diffIds: [d1], created: epoch, architecture: "amd64", os: "linux",
  });
  const b = buildConfig({ os: "linux", architecture: "amd64", created: epoch, diffIds: [d1], config: { Cmd: ["sh"] } });
  assert.deepEqual(a, b);
  assert.deepEqual(JSON.parse(a.toString()).config, { Cmd: ["sh"] });
});

test("history entries get the fixed time; empty_layer entries do not count as layers", () => {
  const cfg = JSON.parse(buildConfig({
    config: {}, diffIds: [d1], created: epoch, architecture: "arm64", os: "linux",
    history: [{ created_by: "cairn: packages", comment: "libc6" }, { created_by: "ENV", empty_layer: true }],
  }).toString());
  assert.deepEqual(cfg.history, [
    { created: epoch, created_by: "cairn: packages", comment: "libc6" },
    { created: epoch, created_by: "ENV", empty_layer: true },
  ]);
  assert.throws(
    () => buildConfig({ config: {}, diffIds: [d1, d2], created: epoch, architecture: "amd64", os: "linux", history: [{}] }),
    /1 history entries make layers but there are 2 diffIDs/,
  );
});

test("created must be RFC 3339", () => {
  assert.throws(
    () => buildConfig({ config: {}, diffIds: [], created: "yesterday", architecture: "amd64", os: "linux" }),
    /RFC 3339/,
  );
  assert.doesNotThrow(() => buildConfig({ config: {}, diffIds: [], created: "2024-05-01T12:00:00.5+02:00", architecture: "amd64", os: "linux" }));
});

test("defaultEnv: defaults first unless overridden, then the user's in order", () => {
  assert.deepEqual(defaultEnv(undefined), [DEFAULT_PATH]);
  assert.deepEqual(defaultEnv(["LANG=C.UTF-8", "A=1"]), [DEFAULT_PATH, "LANG=C.UTF-8", "A=1"]);
  assert.deepEqual(defaultEnv(["A=1", "PATH=/opt/bin:/usr/bin"]), ["A=1", "PATH=/opt/bin:/usr/bin"]);
  // A PATHX variable is not PATH.
  assert.deepEqual(defaultEnv(["PATHX=1"]), [DEFAULT_PATH, "PATHX=1"]);
});
