// Getting bytes from an archive: http(s) through Node's built-in fetch, file: from disk.
// Failures become CairnErrors that name the URL (never its credentials) and say what to try.
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { CairnError, ErrorCode } from "../errors.js";

export interface Fetcher {
  /** The whole body. `what` names the thing for messages ("InRelease of bookworm"). */
  get(url: string, what: string): Promise<Buffer>;
  /** The body as a stream, with its size when the server says it. */
  stream(url: string, what: string): Promise<{ body: Readable; size?: number }>;
}

export interface HttpFetcherOptions {
  /** Extra tries after a transient failure (connection reset, 5xx, 429). Default 3. */
  retries?: number;
  userAgent?: string;
  /** First backoff delay; doubles each try. Default 500 ms. */
  backoffMs?: number;
  /** Time allowed until the response headers arrive. Default 60 s. */
  timeoutMs?: number;
}

const HINT =
  "Check the network and the apt source's URI, or build with `--offline` to use only what the cache already holds.";

/** A 404 (or a missing file: URL): callers decide whether that is fatal (InRelease falls back). */
export class NotFoundError extends CairnError {
  readonly url: string;
  constructor(url: string, what: string) {
    super(ErrorCode.UNREACHABLE, `${what} was not found at ${redactUrl(url)} (HTTP 404).`, HINT);
    this.url = url;
  }
}

export function isNotFound(e: unknown): e is NotFoundError {
  return e instanceof NotFoundError;
}

/** The URL with any `user:pass@` removed, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//");
  }
}

export function httpFetcher(opts: HttpFetcherOptions = {}): Fetcher {
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const userAgent = opts.userAgent ?? "cairn";

  async function open(url: string, what: string): Promise<{ body: Readable; size?: number }> {
    const u = parseUrl(url, what);
    if (u.protocol === "file:") return openFile(u, url, what);
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new CairnError(ErrorCode.UNREACHABLE, `Cannot fetch ${what}: the URL ${redactUrl(url)} uses ${u.protocol}, which cairn does not speak.`, "Use an http:, https: or file: URI in the apt source.");
    }
    // fetch refuses URLs with credentials; send them as Basic auth instead.
    const headers: Record<string, string> = { "user-agent": userAgent };
    if (u.username || u.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
      u.username = "";
      u.password = "";
    }
    for (let attempt = 0; ; attempt++) {
      let failure: { transient: boolean; why: string; cause?: unknown };
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(new DOMException(`no response within ${timeoutMs / 1000} s`, "TimeoutError")), timeoutMs);
      try {
        const res = await fetch(u, { headers, signal: ctrl.signal, redirect: "follow" });
        clearTimeout(timer);
        if (res.ok && res.body) {
          const len = Number(res.headers.get("content-length"));
          const body = Readable.from(wrapBody(Readable.fromWeb(res.body as never), url, what));
          return { body, size: Number.isFinite(len) && res.headers.has("content-length") ? len : undefined };
        }
        await res.body?.cancel().catch(() => {});
        if (res.status === 404 || res.status === 410) throw new NotFoundError(url, what);
        failure = { transient: res.status >= 500 || res.status === 429 || res.status === 408, why: `HTTP ${res.status} ${res.statusText}`.trim() };
      } catch (e) {
        clearTimeout(timer);
        if (e instanceof CairnError) throw e;
        failure = { transient: isTransient(e), why: describeNetworkError(e), cause: e };
      }
      if (!failure.transient || attempt >= retries) {
        const tries = attempt > 0 ? ` after ${attempt + 1} tries` : "";
        throw new CairnError(ErrorCode.UNREACHABLE, `Cannot fetch ${what} from ${redactUrl(url)}: ${failure.why}${tries}.`, HINT, { cause: failure.cause });
      }
      await new Promise((r) => setTimeout(r, backoffMs * 2 ** attempt));
    }
  }

  return {
    stream: open,
    async get(url, what) {
      const { body } = await open(url, what);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

function parseUrl(url: string, what: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new CairnError(ErrorCode.BAD_SOURCES, `Cannot fetch ${what}: "${redactUrl(url)}" is not a URL.`, "Fix the URI in the apt source.");
  }
}

async function openFile(u: URL, url: string, what: string): Promise<{ body: Readable; size?: number }> {
  const file = fileURLToPath(u);
  try {
    const st = await fs.stat(file);
    return { body: Readable.from(wrapBody(createReadStream(file), url, what)), size: st.size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(url, what);
    throw new CairnError(ErrorCode.UNREACHABLE, `Cannot read ${what} at ${file}: ${(e as Error).message}.`, "Check the file: URI in the apt source.", { cause: e });
  }
}

// A connection that drops mid-body surfaces as a CairnError too, not a bare socket error.
async function* wrapBody(body: Readable, url: string, what: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch (e) {
    throw new CairnError(ErrorCode.UNREACHABLE, `The download of ${what} from ${redactUrl(url)} broke off: ${describeNetworkError(e)}.`, HINT, { cause: e });
  }
}

const TRANSIENT = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function errorCode(e: unknown): string | undefined {
  // fetch wraps the socket error: TypeError("fetch failed", { cause: { code } }).
  for (let x = e as { code?: string; cause?: unknown } | undefined, i = 0; x && i < 5; x = x.cause as typeof x, i++) {
    if (typeof x.code === "string") return x.code;
  }
  return undefined;
}

function isTransient(e: unknown): boolean {
  const code = errorCode(e);
  if (code) return TRANSIENT.has(code);
  return (e as Error)?.name === "AbortError" || (e as Error)?.name === "TimeoutError";
}

function describeNetworkError(e: unknown): string {
  const code = errorCode(e);
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve (DNS)";
    case "ECONNREFUSED":
      return "the connection was refused (nothing listens there)";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "the connection was reset";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "the connection timed out";
  }
  const cause = (e as { cause?: Error })?.cause;
  const msg = cause instanceof Error ? cause.message : (e as Error)?.message ?? String(e);
  return code ? `${msg} (${code})` : msg;
}
