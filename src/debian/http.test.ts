import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCode } from "../errors.js";
import { httpFetcher, isNotFound, redactUrl } from "./http.js";

// A loopback server whose behaviour per path is scripted by the tests.
const hits = new Map<string, number>();
let lastAuth: string | undefined;
let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((req, res) => {
    const p = req.url!;
    const n = (hits.get(p) ?? 0) + 1;
    hits.set(p, n);
    lastAuth = req.headers.authorization;
    if (p === "/ok") return res.end("hello");
    if (p === "/flaky-503" && n <= 2) return res.writeHead(503).end();
    if (p === "/flaky-503") return res.end("finally");
    if (p === "/busy-429" && n === 1) return res.writeHead(429).end();
    if (p === "/busy-429") return res.end("ok now");
    if (p === "/always-500") return res.writeHead(500).end();
    if (p === "/reset" && n === 1) return req.socket.destroy();
    if (p === "/reset") return res.end("after reset");
    if (p === "/truncated") {
      res.writeHead(200, { "content-length": "1000" });
      res.write("x".repeat(10));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (p === "/forbidden") return res.writeHead(403).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

const fetcher = httpFetcher({ retries: 2, backoffMs: 5 });

test("get and stream return the body; stream reports the size", async () => {
  assert.equal((await fetcher.get(`${base}/ok`, "a test file")).toString(), "hello");
  const { body, size } = await fetcher.stream(`${base}/ok`, "a test file");
  assert.equal(size, 5);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), "hello");
});

test("404 is a NotFoundError naming the thing and the URL, not retried", async () => {
  hits.delete("/missing");
  await assert.rejects(fetcher.get(`${base}/missing`, "InRelease of sid"), (e: any) => {
    assert.ok(isNotFound(e));
    assert.equal(e.code, ErrorCode.UNREACHABLE);
    assert.match(e.message, /InRelease of sid was not found at http:\/\/127\.0\.0\.1:\d+\/missing/);
    return true;
  });
  assert.equal(hits.get("/missing"), 1);
});

test("5xx and 429 are retried with backoff, then succeed", async () => {
  assert.equal((await fetcher.get(`${base}/flaky-503`, "x")).toString(), "finally");
  assert.equal(hits.get("/flaky-503"), 3);
  assert.equal((await fetcher.get(`${base}/busy-429`, "x")).toString(), "ok now");
  assert.equal(hits.get("/busy-429"), 2);
});

test("a reset connection is retried", async () => {
  assert.equal((await fetcher.get(`${base}/reset`, "x")).toString(), "after reset");
  assert.equal(hits.get("/reset"), 2);
});

test("a persistent 500 gives up after the bounded retries with UNREACHABLE and the --offline hint", async () => {
  await assert.rejects(fetcher.get(`${base}/always-500`, "the index"), (e: any) => {
    assert.equal(e.code, ErrorCode.UNREACHABLE);
    assert.match(e.message, /Cannot fetch the index from http:\/\/127\.0\.0\.1:\d+\/always-500: HTTP 500 .*after 3 tries/);
    assert.match(e.hint, /--offline/);
    return true;
  });
  assert.equal(hits.get("/always-500"), 3);
});

test("403 is not retried", async () => {
  await assert.rejects(fetcher.get(`${base}/forbidden`, "x"), (e: any) => e.code === ErrorCode.UNREACHABLE && /HTTP 403/.test(e.message));
  assert.equal(hits.get("/forbidden"), 1);
});

test("a body cut off mid-way is UNREACHABLE, not a bare socket error", async () => {
  await assert.rejects(fetcher.get(`${base}/truncated`, "a big file"), (e: any) => e.code === ErrorCode.UNREACHABLE && /download of a big file .* broke off/.test(e.message));
});

test("a server that is down is UNREACHABLE with the URL", async () => {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  await assert.rejects(fetcher.get(`http://127.0.0.1:${port}/dists/x/InRelease`, "InRelease of x"), (e: any) => {
    assert.equal(e.code, ErrorCode.UNREACHABLE);
    assert.ok(e.message.includes(`http://127.0.0.1:${port}/dists/x/InRelease`), e.message);
    assert.match(e.message, /refused/);
    return true;
  });
});

test("credentials in the URL go out as Basic auth and never into messages", async () => {
  const withCreds = base.replace("http://", "http://alice:s3cret@");
  assert.equal((await fetcher.get(`${withCreds}/ok`, "x")).toString(), "hello");
  assert.equal(lastAuth, `Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
  await assert.rejects(fetcher.get(`${withCreds}/missing`, "x"), (e: any) => !e.message.includes("s3cret") && !e.message.includes("alice") && e.message.includes("/missing"));
  assert.equal(redactUrl("https://u:p@host.example/pkgs"), "https://host.example/pkgs");
  assert.equal(redactUrl("https://host.example/pkgs"), "https://host.example/pkgs");
});

test("file: URLs read from disk; a missing file is NotFound", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cairn-http-"));
  try {
    await fs.writeFile(path.join(dir, "Release"), "Suite: x\n");
    const url = pathToFileURL(path.join(dir, "Release")).href;
    assert.equal((await fetcher.get(url, "x")).toString(), "Suite: x\n");
    assert.equal((await fetcher.stream(url, "x")).size, 9);
    await assert.rejects(fetcher.get(`${url}.gpg`, "x"), (e: any) => isNotFound(e));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("an unsupported scheme is refused with a clear message", async () => {
  await assert.rejects(fetcher.get("ftp://archive.example/debian/x", "x"), (e: any) => e.code === ErrorCode.UNREACHABLE && /ftp:/.test(e.message));
});
