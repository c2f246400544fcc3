// A small OCI distribution client on node:http/https (not fetch: a per-registry CA and a streamed
// upload body with a known length need no extra dependency this way). It knows three things:
// auth (anonymous, Basic, the Bearer token flow with a token per scope), retries (5xx, 429 with
// Retry-After, dropped connections) and messages that name the registry and the step, never the
// credentials.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import { CairnError, ErrorCode } from "../../errors.js";
import { parseChallenges, registryErrorText, retryAfterMs, type Challenge } from "./challenge.js";
import { registryBaseUrl } from "./reference.js";

export interface Credentials {
  username: string;
  password: string;
}

export interface ClientOptions {
  registry: string;
  repository: string;
  credentials?: Credentials;
  /** Plain http (or https without verifying the certificate, if the registry only speaks TLS). */
  insecure?: boolean;
  /** PEM file of the CA that signed the registry's certificate; implies https. */
  caFile?: string;
  /** What the client is doing, to begin every message: "pushing to 127.0.0.1:5000/redis". */
  action: string;
  /** Attempts per request for 5xx/429/dropped connections; default 4. */
  attempts?: number;
  /** First backoff delay, doubled per attempt; default 500 ms. */
  retryDelayMs?: number;
}

export interface RequestSpec {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH";
  /** A path under the registry (`/v2/…`) or an absolute URL (an upload Location). */
  url: string;
  /** The step, for messages: "uploading blob sha256:…". */
  step: string;
  /** Statuses that count as success; others are errors (404 is yours to list for HEAD). */
  ok: number[];
  headers?: Record<string, string>;
  /** A buffer, or a factory of fresh streams (called again on each retry) with `contentLength`. */
  body?: Buffer | (() => Readable);
  contentLength?: number;
  /** Called with each chunk's size as an uploaded stream body is sent. */
  onSent?(bytes: number): void;
  /** false: a dropped connection is not retried here, because resending would be wrong (an upload
   *  session whose state the registry may have advanced); the caller recovers. Default true. */
  retryDropped?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ECONNABORTED", "UND_ERR_SOCKET"]);
const IDLE_TIMEOUT_MS = 120_000;

export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  private base: string;
  private readonly opts: ClientOptions;
  private readonly tls: https.AgentOptions;
  /** Once a challenge said Basic, every request carries it, so uploads are never sent twice. */
  private basic = false;
  private token?: string;
  private readonly tokens = new Map<string, string>();

  private constructor(opts: ClientOptions) {
    this.opts = opts;
    this.registry = opts.registry;
    this.repository = opts.repository;
    this.base = registryBaseUrl(opts.registry, { insecure: opts.insecure, tls: !!opts.caFile });
    const ca = opts.caFile ? readCa(opts.caFile, opts.action) : undefined;
    this.tls = { ...(ca ? { ca } : {}), ...(opts.insecure ? { rejectUnauthorized: false } : {}) };
  }

  /** Checks the registry speaks the v2 API and settles auth before any upload. */
  static async open(opts: ClientOptions): Promise<RegistryClient> {
    const c = new RegistryClient(opts);
    let r = await c.request({ method: "GET", url: "/v2/", step: "checking the registry API", ok: [200, 400, 404] });
    // A TLS-only registry on a loopback address answers plain http with this 400 (Go's server does).
    if (r.status === 400 && c.base.startsWith("http:") && /HTTP request to an HTTPS server/i.test(r.body.toString())) {
      c.base = "https:" + c.base.slice("http:".length);
      r = await c.request({ method: "GET", url: "/v2/", step: "checking the registry API", ok: [200, 404] });
    }
    if (r.status !== 200) {
      throw new CairnError(ErrorCode.REGISTRY_UNREACHABLE, `${opts.action}: ${opts.registry} does not serve the registry API at /v2/ (HTTP ${r.status})`,
        `check that ${opts.registry} is an OCI/Docker registry and the address is right`);
    }
    return c;
  }

  /** The URL a path or Location header points to. */
  resolve(url: string): URL {
    return new URL(url, this.base + "/");
  }

  async request(spec: RequestSpec): Promise<RegistryResponse> {
    const attempts = this.opts.attempts ?? 4;
    let authRounds = 0;
    for (let attempt = 1; ; attempt++) {
      let r: RegistryResponse;
      // Which token this request carried: concurrent requests may replace this.token meanwhile.
      const sent = this.token;
      try {
        r = await this.send(spec);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (isTlsError(e)) throw this.tlsError(e);
        if (RETRY_CODES.has(code) && attempt < attempts && spec.retryDropped !== false) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new CairnError(ErrorCode.REGISTRY_UNREACHABLE,
          `${this.opts.action}: cannot reach ${this.registry} while ${spec.step} (${code || (e as Error).message})`,
          `check the address and that the registry is running${this.base.startsWith("https:") ? " (and speaks https)" : ""}`, { cause: e });
      }
      if (r.status === 401 && authRounds < 2) {
        authRounds++;
        await this.answerChallenge(r, spec.step, sent);
        continue;
      }
      if (RETRY_STATUS.has(r.status) && attempt < attempts) {
        await sleep(retryAfterMs(header(r, "retry-after"), Date.now()) ?? this.backoff(attempt));
        continue;
      }
      if (spec.ok.includes(r.status)) return r;
      throw this.statusError(r, spec.step);
    }
  }

  private backoff(attempt: number): number {
    return (this.opts.retryDelayMs ?? 500) * 2 ** (attempt - 1);
  }

  /** Picks up Basic or fetches a Bearer token for the challenge's scope; throws if that cannot help. */
  private async answerChallenge(r: RegistryResponse, step: string, sent: string | undefined): Promise<void> {
    const challenges = parseChallenges(header(r, "www-authenticate") ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    if (bearer) {
      const scope = bearer.params.scope ?? `repository:${this.repository}:pull,push`;
      const cached = this.tokens.get(scope);
      if (cached && cached !== sent) { this.token = cached; return; }
      if (cached) throw this.authError(401, step); // the token we had was refused
      this.token = await this.fetchToken(bearer, scope);
      this.tokens.set(scope, this.token);
      return;
    }
    if (challenges.some((c) => c.scheme === "basic") && this.opts.credentials && !this.basic) {
      this.basic = true;
      return;
    }
    throw this.authError(401, step);
  }

  private async fetchToken(c: Challenge, scope: string): Promise<string> {
    const url = new URL(c.params.realm);
    if (c.params.service) url.searchParams.set("service", c.params.service);
    // A challenge may name several scopes, space-separated (a mount: target and source); the token
    // protocol wants each as its own parameter.
    for (const one of scope.split(/\s+/).filter(Boolean)) url.searchParams.append("scope", one);
    const headers: Record<string, string> = {};
    if (this.opts.credentials) headers.authorization = basicHeader(this.opts.credentials);
    let r: RegistryResponse;
    try {
      r = await this.sendTo(url, { method: "GET", url: url.href, step: "getting a token", ok: [200] }, headers);
    } catch (e) {
      if (isTlsError(e)) throw this.tlsError(e);
      throw new CairnError(ErrorCode.REGISTRY_UNREACHABLE, `${this.opts.action}: cannot reach ${url.host}, the token service of ${this.registry} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        "check the network; the registry sends clients there to log in", { cause: e });
    }
    if (r.status === 401 || r.status === 403) throw this.authError(r.status, "getting a token");
    if (r.status !== 200) throw this.statusError(r, `getting a token from ${url.host}`);
    const json = JSON.parse(r.body.toString("utf8")) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new CairnError(ErrorCode.REGISTRY_REJECTED, `${this.opts.action}: the token service ${url.host} answered without a token`, "check the registry's auth configuration");
    return token;
  }

  private send(spec: RequestSpec): Promise<RegistryResponse> {
    const url = this.resolve(spec.url);
    const headers: Record<string, string> = {};
    // Credentials go only to the registry itself, never to another host a Location points to.
    if (url.origin === new URL(this.base).origin) {
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      else if (this.basic && this.opts.credentials) headers.authorization = basicHeader(this.opts.credentials);
    }
    return this.sendTo(url, spec, headers);
  }

  private sendTo(url: URL, spec: RequestSpec, auth: Record<string, string>): Promise<RegistryResponse> {
    const mod = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = { "user-agent": "cairn", ...spec.headers, ...auth };
    const body = spec.body;
    if (Buffer.isBuffer(body)) headers["content-length"] = String(body.length);
    else if (body) headers["content-length"] = String(spec.contentLength ?? 0);
    else if (spec.method === "PUT" || spec.method === "POST" || spec.method === "PATCH") headers["content-length"] = "0";
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method: spec.method, headers, ...(url.protocol === "https:" ? this.tls : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      if (Buffer.isBuffer(body)) req.end(body);
      else if (body) {
        const stream = body();
        stream.on("error", (e) => req.destroy(e));
        req.on("error", () => stream.destroy());
        if (spec.onSent) stream.on("data", (c: Buffer) => spec.onSent!(c.length));
        stream.pipe(req);
      } else req.end();
    });
  }

  private authError(status: number, step: string): CairnError {
    const had = this.opts.credentials ? "authentication failed" : "the registry wants credentials and none were given";
    return new CairnError(ErrorCode.REGISTRY_AUTH, `${this.opts.action}: ${had} (HTTP ${status}) while ${step}`,
      this.opts.credentials ? `check the credentials for ${this.registry}`
        : `log in with \`docker login ${this.registry}\` or \`podman login ${this.registry}\`, or pass --creds USER:PASSWORD, or set CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD`);
  }

  /** The error for a status the caller could not accept. */
  statusError(r: RegistryResponse, step: string): CairnError {
    if (r.status === 401 || r.status === 403) {
      if (r.status === 403) {
        return new CairnError(ErrorCode.REGISTRY_AUTH, `${this.opts.action}: access denied (HTTP 403) while ${step}`,
          `check that the account for ${this.registry} may ${/^push/.test(this.opts.action) ? "push to" : "pull from"} ${this.repository}`);
      }
      return this.authError(r.status, step);
    }
    const said = registryErrorText(r.body);
    const code = RETRY_STATUS.has(r.status) ? ErrorCode.REGISTRY_UNREACHABLE : ErrorCode.REGISTRY_REJECTED;
    return new CairnError(code, `${this.opts.action}: ${step} failed (HTTP ${r.status}${said ? ` ${said}` : ""})`,
      code === ErrorCode.REGISTRY_UNREACHABLE ? `${this.registry} kept failing; try again later` : `the registry ${this.registry} refused it; its log may say more`);
  }

  private tlsError(e: unknown): CairnError {
    return new CairnError(ErrorCode.REGISTRY_UNREACHABLE,
      `${this.opts.action}: the TLS connection to ${this.registry} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      `if ${this.registry} uses a private CA, pass its certificate file (--ca-file, caFile in the API); for a registry without TLS, --insecure (insecure)`, { cause: e });
  }
}

function readCa(file: string, action: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CairnError(ErrorCode.REGISTRY_UNREACHABLE, `${action}: cannot read the CA file ${file} (${(e as NodeJS.ErrnoException).code})`, "check the path of the CA certificate", { cause: e });
  }
}

function isTlsError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  return /CERT|SELF_SIGNED|TLS|SSL|EPROTO|HOSTNAME|ALTNAME/i.test(code);
}

function basicHeader(c: Credentials): string {
  return "Basic " + Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64");
}

function header(r: RegistryResponse, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
