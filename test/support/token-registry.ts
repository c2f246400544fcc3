// A real registry (Debian's docker-registry, distribution 2.8) configured for the Docker token
// flow, with a small token issuer beside it: node:http on loopback, HTTP Basic login, RS256 JWTs
// signed by a throwaway key whose self-signed certificate is the registry's rootcertbundle. It
// counts the scopes it was asked for, so tests can check that clients reuse their tokens.
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "./command.js";
import { freePort } from "./engines.js";
import { serveRegistry } from "./registry.js";

export interface TokenRegistry {
  /** "127.0.0.1:PORT", as it appears in image references. */
  host: string;
  /** "http://127.0.0.1:PORT". */
  url: string;
  /** The issuer's token endpoint, "http://127.0.0.1:PORT/token". */
  realm: string;
  user: string;
  password: string;
  /** The scopes of every token request that got a token, in order, space-separated ("" when none was asked). */
  tokenRequests: string[];
  close(): Promise<void>;
}

const USER = "cairn";
const PASSWORD = "cairn-token-secret";
const SERVICE = "cairn-test-registry";
const ISSUER = "cairn-test-issuer";

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * The key id distribution looks a signing key up by (libtrust's): SHA-256 of the DER
 * SubjectPublicKeyInfo, its first 240 bits in base32, in 12 colon-separated groups of 4.
 */
export function libtrustKeyId(spkiDer: Buffer): string {
  const bits = createHash("sha256").update(spkiDer).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "", acc = 0, n = 0;
  for (const byte of bits) {
    acc = (acc << 8) | byte;
    n += 8;
    while (n >= 5) { out += alphabet[(acc >> (n - 5)) & 31]; n -= 5; }
    acc &= (1 << n) - 1;
  }
  return out.match(/.{4}/g)!.join(":");
}

/**
 * One `scope` query parameter ("repository:team/app:pull,push") → the access entry a token grants
 * (everything asked: the login decides, not the scope). The token spec sends several scopes as
 * repeated parameters, so a space inside one is malformed and grants nothing, as strict issuers do.
 */
export function accessFor(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const m = /^([a-z]+):([^\s:]+):([a-z*,]+)$/.exec(scope);
  return m ? { type: m[1], name: m[2], actions: m[3].split(",").filter(Boolean) } : undefined;
}

function jwt(keyPem: string, kid: string, scopes: string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "RS256", kid };
  const claims = { iss: ISSUER, sub: USER, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access: scopes.flatMap((s) => accessFor(s) ?? []) };
  const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(signed), createPrivateKey(keyPem));
  return `${signed}.${b64url(signature)}`;
}

function basicOk(req: IncomingMessage): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return !!m && Buffer.from(m[1], "base64").toString("utf8") === `${USER}:${PASSWORD}`;
}

export async function tokenRegistry(): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-token-registry-"));
  const keyFile = join(dir, "signer.key"), certFile = join(dir, "signer.crt");
  await command("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=cairn-test-token-signer",
    "-keyout", keyFile, "-out", certFile]);
  const keyPem = await readFile(keyFile, "utf8");
  const kid = libtrustKeyId(createPublicKey(keyPem).export({ type: "spki", format: "der" }));

  const tokenRequests: string[] = [];
  const issuer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://issuer");
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== "/token") return json(404, { error: "not found" });
    if (!basicOk(req)) return json(401, { error: "wrong or missing credentials" }, { "www-authenticate": 'Basic realm="cairn-test-issuer"' });
    if (url.searchParams.get("service") !== SERVICE) return json(400, { error: `unknown service ${url.searchParams.get("service")}` });
    const scopes = url.searchParams.getAll("scope");
    tokenRequests.push(scopes.join(" "));
    const token = jwt(keyPem, kid, scopes);
    json(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((ok) => issuer.listen(0, "127.0.0.1", ok));
  const realm = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/token`;

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    "version: 0.1",
    "log:\n  level: warn",
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true`,
    `http:\n  addr: ${host}\n  secret: cairn-test-secret`,
    `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${certFile}`,
  ];
  const close = await serveRegistry(dir, config, port, async () => {
    issuer.closeAllConnections();
    await new Promise<void>((ok) => issuer.close(() => ok()));
  });
  return { host, url: `http://${host}`, realm, user: USER, password: PASSWORD, tokenRequests, close };
}
