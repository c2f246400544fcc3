import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, isCairnError } from "../errors.js";
import { buildImage, compose } from "./index.js";

const web = buildImage({ name: "web" });
const db = buildImage({ name: "db", tag: "15" });

function rejects(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), String(e));
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    for (const p of parts) assert.ok(e.message.includes(p), `${JSON.stringify(e.message)} should say ${p}`);
    return true;
  });
}

test("compose() is plain data: services sorted, environment sorted, defaults filled in", () => {
  const spec = compose({
    name: "shop",
    services: {
      web: { image: web, ports: ["8080:80", "127.0.0.1:8443:443", "53:53/udp"], environment: { Z: "1", A: "$HOME" }, dependsOn: ["db", "db"], command: ["serve", "--port", "80"] },
      db: { image: db },
    },
  });
  assert.equal(spec.kind, "compose");
  assert.equal(spec.name, "shop");
  assert.deepEqual(Object.keys(spec.services), ["db", "web"]);
  assert.deepEqual(Object.keys(spec.services.web!.environment), ["A", "Z"]);
  assert.deepEqual(spec.services.web!.dependsOn, ["db"]);
  assert.deepEqual(spec.services.db, { image: db, ports: [], environment: {}, dependsOn: [] });
  assert.equal(spec.services.web!.image, web, "the image is the definition's own object, so cairn compose can find its export");
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
});

test("compose() names what is wrong", () => {
  rejects(() => compose({ services: {} }), "compose().services", "at least one service");
  rejects(() => compose({ name: "Shop", services: { web: { image: web } } }), "compose().name");
  rejects(() => compose({ services: { "-web": { image: web } } }), "compose().services.-web", "not a service name");
  rejects(() => compose({ services: { web: { image: { kind: "pulled-image" } as never } } }), "compose().services.web.image", "must be an image");
  rejects(() => compose({ services: { web: { image: web, ports: ["80:80:80:80"] } } }), "compose().services.web.ports[0]");
  rejects(() => compose({ services: { web: { image: web, ports: ["70000:80"] } } }), "outside 1–65535");
  rejects(() => compose({ services: { web: { image: web, environment: { "A-B": "x" } } } }), "compose().services.web.environment.A-B", "not a variable name");
  rejects(() => compose({ services: { web: { image: web, environment: { A: 1 as never } } } }), "must be a string");
  rejects(() => compose({ services: { web: { image: web, dependsOn: ["cache"] } } }), '"cache", which is not a service');
  rejects(() => compose({ services: { web: { image: web, dependsOn: ["web"] } } }), "the service itself");
  rejects(() => compose({ services: { web: { image: web, command: [] } } }), "compose().services.web.command", "must not be empty");
  rejects(() => compose({ services: { web: { image: web, volumes: [] } as never } }), "compose().services.web.volumes", "not a known field");
  rejects(
    () => compose({ services: { a: { image: web, dependsOn: ["b"] }, b: { image: db, dependsOn: ["c"] }, c: { image: db, dependsOn: ["a"] } } }),
    "in a cycle: a → b → c → a",
  );
});
