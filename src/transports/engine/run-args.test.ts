import assert from "node:assert/strict";
import { test } from "node:test";
import { isCairnError } from "../../errors.js";
import { containerName, describeRun, exposedPorts, parsePublish, portMappings, runArgs } from "./run-args.js";

const cairnError = (code: string, text: RegExp) => (e: unknown) => isCairnError(e) && e.code === code && text.test(e.message);

test("exposedPorts reads tcp, udp, bare and ranged keys, sorted", () => {
  assert.deepEqual(exposedPorts({ "8080/tcp": {}, "53/udp": {}, "443": {}, "7000-7002/TCP": {} }), [
    { port: 53, protocol: "udp" },
    { port: 443, protocol: "tcp" },
    { port: 7000, protocol: "tcp" },
    { port: 7001, protocol: "tcp" },
    { port: 7002, protocol: "tcp" },
    { port: 8080, protocol: "tcp" },
  ]);
  assert.deepEqual(exposedPorts(undefined), []);
  assert.throws(() => exposedPorts({ "http/tcp": {} }), cairnError("CAIRN_E003", /"http\/tcp"/));
  assert.throws(() => exposedPorts({ "70000/tcp": {} }), cairnError("CAIRN_E003", /70000/));
});

test("parsePublish takes HOST:CONTAINER with an optional protocol, and rejects the rest", () => {
  assert.deepEqual(parsePublish("16379:6379"), { hostPort: 16379, containerPort: 6379, protocol: "tcp" });
  assert.deepEqual(parsePublish("5353:53/udp"), { hostPort: 5353, containerPort: 53, protocol: "udp" });
  for (const bad of ["6379", "a:b", "127.0.0.1:1:2", "0:80", "80:99999", "1:2/icmp"]) {
    // A bad -p is a usage error (exit 2), not one of the definition.
    assert.throws(() => parsePublish(bad), cairnError("CAIRN_E005", /^-p /), bad);
  }
});

test("portMappings publishes every exposed port on the same host port, -p overriding one", () => {
  const exposed = { "6379/tcp": {}, "53/udp": {}, "53/tcp": {} };
  assert.deepEqual(portMappings(exposed, []), [
    { hostPort: 53, containerPort: 53, protocol: "tcp" },
    { hostPort: 53, containerPort: 53, protocol: "udp" },
    { hostPort: 6379, containerPort: 6379, protocol: "tcp" },
  ]);
  assert.deepEqual(portMappings(exposed, [parsePublish("16379:6379"), parsePublish("5353:53/udp")]), [
    { hostPort: 53, containerPort: 53, protocol: "tcp" },
    { hostPort: 5353, containerPort: 53, protocol: "udp" },
    { hostPort: 16379, containerPort: 6379, protocol: "tcp" },
  ]);
  // A port the image does not expose is published too, as with docker run -p.
  assert.deepEqual(portMappings(undefined, [parsePublish("8080:80")]), [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
});

test("portMappings refuses one host port for two container ports", () => {
  assert.throws(() => portMappings({ "80/tcp": {}, "8080/tcp": {} }, [parsePublish("8080:80")]), cairnError("CAIRN_E005", /Host port 8080\/tcp .* 80 and 8080/));
  // The same number over tcp and udp is two different host ports.
  assert.equal(portMappings({ "53/tcp": {}, "53/udp": {} }, []).length, 2);
});

test("runArgs: --rm, a name, -it only for a terminal, ports, then the image and ARGS replacing Cmd", () => {
  const ports = portMappings({ "6379/tcp": {}, "53/udp": {} }, []);
  assert.deepEqual(runArgs({ image: "redis:7", name: "cairn-run-redis-42", ports, tty: false, args: [] }), [
    "run", "--rm", "--name", "cairn-run-redis-42", "-p", "53:53/udp", "-p", "6379:6379", "redis:7",
  ]);
  assert.deepEqual(runArgs({ image: "dummy:latest", name: "n", ports: [], tty: true, args: ["sh", "-c", "echo hi"] }), [
    "run", "--rm", "--name", "n", "-it", "dummy:latest", "sh", "-c", "echo hi",
  ]);
});

test("containerName is a valid engine name derived from the image", () => {
  assert.equal(containerName("redis:7", 1234), "cairn-run-redis-1234");
  assert.equal(containerName("127.0.0.1:5000/team/my app:1.0", 7), "cairn-run-my-app-7");
  assert.equal(containerName("_x", 1), "cairn-run-x-1");
  assert.match(containerName("+++", 1), /^cairn-run-[a-zA-Z0-9][a-zA-Z0-9_.-]*-1$/);
});

test("describeRun names the engine, the image and where each port is", () => {
  assert.equal(describeRun("redis:7", "podman", portMappings({ "6379/tcp": {} }, [])), "cairn: redis:7 on podman; port 6379 → localhost:6379");
  assert.equal(
    describeRun("dns:1", "docker", portMappings({ "53/udp": {}, "80/tcp": {} }, [parsePublish("8080:80")])),
    "cairn: dns:1 on docker; ports 53/udp → localhost:53, 80 → localhost:8080",
  );
  assert.equal(describeRun("dummy:latest", "podman", []), "cairn: dummy:latest on podman; no ports published");
});
