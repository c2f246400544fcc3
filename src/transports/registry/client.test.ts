// The Bearer token flow and the retry rules, against a loopback server playing registry + token
// service (the Debian registry used by test/real/push.test.ts only does Basic auth).
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { ErrorCode, isCairnError } from "../../errors.js";
import { RegistryClient } from "./client.js";

let server: Server;
let host: string;
const hits = new Map<string, number>();
const tokenRequests: { scope: string | null; service: string | null; auth: string | undefined }[] = [];
const seenAuth: (string | undefined)[] = [];
const GOOD = "Basic " + Buffer.from("alice:s3cret").toString("base64");

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, `http://${host}`);
  const n = (hits.get(url.pathname) ?? 0) + 1;
  hits.set(url.pathname, n);
  if (url.pathname === "/token") {
    tokenRequests.push({ scope: url.searchParams.get("scope"), service: url.searchParams.get("service"), auth: req.headers.authorization });
    if (req.headers.authorization !== GOOD) return res.writeHead(401).end();
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `tok:${url.searchParams.get("scope")}` }));
  }
  seenAuth.push(req.headers.authorization);
  const scope = url.pathname.startsWith("/v2/other/") ? "repository:other:pull" : "repository:team/app:pull,push";
  if (req.headers.authorization !== `Bearer tok:${scope}`) {
    return res.writeHead(401, { "www-authenticate": `Bearer realm="http://${host}/token",service="loopback",scope="${scope}"` }).end();
  }
  if (url.pathname === "/v2/team/app/flaky" && n <= 3) return res.writeHead(503, { "retry-after": "0" }).end();
  if (url.pathname === "/v2/team/app/reset" && n <= 2) return req.socket.destroy();
  if (url.pathname === "/v2/team/app/down") return res.writeHead(503).end();
  if (url.pathname === "/v2/team/app/bad") {
    return res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_INVALID", message: "manifest invalid" }] }));
  }
  res.writeHead(200).end("ok");
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((ok) => server.close(() => ok())));

const open = (password = "s3cret") => RegistryClient.open({
  registry: host, repository: "team/app", credentials: { username: "alice", password }, action: `pushing to ${host}/team/app`, retryDelayMs: 5,
});

test("a Bearer challenge is answered with a token per scope, fetched once", async () => {
  tokenRequests.length = 0;
  const c = await open();
  // /v2/ pinged at open: the token is for the repository's pull,push scope, asked with Basic credentials.
  assert.deepEqual(tokenRequests, [{ scope: "repository:team/app:pull,push", service: "loopback", auth: GOOD }]);
  assert.equal((await c.request({ method: "GET", url: "/v2/team/app/x", step: "x", ok: [200] })).body.toString(), "ok");
  await c.request({ method: "GET", url: "/v2/other/y", step: "y", ok: [200] });
  await c.request({ method: "GET", url: "/v2/team/app/z", step: "z", ok: [200] });
  await c.request({ method: "GET", url: "/v2/other/w", step: "w", ok: [200] });
  assert.deepEqual(tokenRequests.map((t) => t.scope), ["repository:team/app:pull,push", "repository:other:pull"]);
  // The registry itself never sees the password, only tokens.
  assert.ok(seenAuth.every((a) => a === undefined || a.startsWith("Bearer ")));
});

test("a refused token request is an auth error naming the registry, not the password", async () => {
  await assert.rejects(open("nope-nope"), (e) => {
    assert.ok(isCairnError(e) && e.code === ErrorCode.REGISTRY_AUTH);
    assert.match(e.message, new RegExp(`^pushing to ${host}/team/app: authentication failed \\(HTTP 401\\)`));
    assert.match(e.hint ?? "", new RegExp(`check the credentials for ${host}`));
    assert.ok(!`${e.message}${e.hint}`.includes("nope-nope"));
    return true;
  });
});

test("503 with Retry-After and dropped connections are retried; a registry that stays down is named", async () => {
  const c = await open();
  const before = hits.get("/v2/team/app/flaky") ?? 0;
  await c.request({ method: "GET", url: "/v2/team/app/flaky", step: "flaky", ok: [200] });
  assert.equal(hits.get("/v2/team/app/flaky")! - before, 4); // three 503s, then 200
  await c.request({ method: "GET", url: "/v2/team/app/reset", step: "reset", ok: [200] });
  await assert.rejects(c.request({ method: "PUT", url: "/v2/team/app/down", step: "uploading the manifest", ok: [201] }),
    (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_UNREACHABLE && e.message === `pushing to ${host}/team/app: uploading the manifest failed (HTTP 503)`);
  assert.equal(hits.get("/v2/team/app/down"), 4);
});

test("a refusal quotes the registry's own error", async () => {
  const c = await open();
  await assert.rejects(c.request({ method: "PUT", url: "/v2/team/app/bad", step: "uploading the manifest", ok: [201] }),
    (e) => isCairnError(e) && e.code === ErrorCode.REGISTRY_REJECTED && /HTTP 400 MANIFEST_INVALID: manifest invalid/.test(e.message));
});
