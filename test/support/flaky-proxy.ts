// A reverse proxy on 127.0.0.1 in front of a real registry that misbehaves on purpose, the way a
// flaky network or an overloaded registry does: 5xx, 429 with Retry-After, connections cut in the
// middle of an upload or of an answer. Faults come from a seeded PRNG (repeatable for one order of
// requests) and stop after a budget, so a client with retries must get through.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const FAULT_KINDS = ["status500", "status503", "status503RetryAfter", "status429", "dropRequest", "dropResponse"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FlakyProxyOptions {
  /** "127.0.0.1:PORT" of the plain-http registry behind. */
  upstream: string;
  seed: number;
  /** Per request, the chance of each fault (their sum at most 1). dropRequest applies only to
   *  PATCH/PUT with a body: part of it is forwarded, then both connections are cut. dropResponse
   *  lets the registry act, then cuts the client off partway through (or before) the answer. */
  rates: Partial<Record<FaultKind, number>>;
  /** No faults after this many in all. */
  maxFaults: number;
  /** No faults of one kind after this many; a capped kind's rate goes to the others. */
  maxPerKind?: number;
}

export interface FlakyProxy {
  /** "127.0.0.1:PORT", for image references. */
  host: string;
  url: string;
  /** Faults injected so far, by kind. */
  readonly faults: Record<FaultKind, number>;
  /** Requests seen (faulted or not). */
  readonly requests: number;
  /** One line per fault: "dropRequest PATCH /v2/…", for failure messages. */
  readonly log: string[];
  close(): Promise<void>;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"];

export async function flakyProxy(opts: FlakyProxyOptions): Promise<FlakyProxy> {
  const random = prng(opts.seed);
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const log: string[] = [];
  let requests = 0;
  let total = 0;
  const agent = new http.Agent({ keepAlive: true });
  const [upHost, upPort] = splitHost(opts.upstream);
  let self = "";

  const pick = (req: http.IncomingMessage, u: number): FaultKind | undefined => {
    if (total >= opts.maxFaults) return undefined;
    const hasBody = (req.method === "PATCH" || req.method === "PUT") && Number(req.headers["content-length"] ?? 0) > 0;
    const open = FAULT_KINDS.filter((k) => (opts.rates[k] ?? 0) > 0 && (k !== "dropRequest" || hasBody)
      && (opts.maxPerKind === undefined || faults[k] < opts.maxPerKind));
    // Capped or ineligible kinds give their share to the rest, so every kind keeps coming up.
    const all = FAULT_KINDS.reduce((n, k) => n + (opts.rates[k] ?? 0), 0);
    const weight = open.reduce((n, k) => n + (opts.rates[k] ?? 0), 0);
    if (!weight || u >= all) return undefined;
    let at = (u / all) * weight;
    for (const k of open) {
      at -= opts.rates[k] ?? 0;
      if (at < 0) return k;
    }
    return open[open.length - 1];
  };

  const forwardHeaders = (req: http.IncomingMessage): http.OutgoingHttpHeaders => {
    const h: http.OutgoingHttpHeaders = { ...req.headers, host: opts.upstream };
    for (const k of HOP_BY_HOP) delete h[k];
    return h;
  };
  const answerHeaders = (res: http.IncomingMessage): http.OutgoingHttpHeaders => {
    const h: http.OutgoingHttpHeaders = { ...res.headers };
    for (const k of HOP_BY_HOP) delete h[k];
    // The registry names itself in upload URLs; the client must keep coming through the proxy.
    const loc = res.headers.location;
    if (loc) h.location = loc.replace(new RegExp(`^(https?://)${escape(opts.upstream)}(?=/|$)`), `$1${self}`);
    return h;
  };

  const server = http.createServer((req, res) => {
    requests++;
    // Two draws per request whatever happens (the fault, where to cut), so the sequence stays aligned.
    const u = random();
    const where = random();
    const kind = pick(req, u);
    if (kind) {
      total++;
      faults[kind]++;
      log.push(`${kind} ${req.method} ${req.url}`);
    }
    if (kind === "status500" || kind === "status503" || kind === "status503RetryAfter" || kind === "status429") {
      // Read the whole body first, as a registry would, so the client gets the answer cleanly.
      const status = kind === "status500" ? 500 : kind === "status429" ? 429 : 503;
      const retryAfter = kind === "status503RetryAfter" || kind === "status429" ? { "retry-after": "1" } : {};
      const body = JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: `injected ${kind}` }] });
      req.resume();
      req.on("end", () => res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...retryAfter }).end(body));
      return;
    }
    const up = http.request({ host: upHost, port: upPort, method: req.method, path: req.url, headers: forwardHeaders(req), agent }, (upRes) => {
      if (kind === "dropResponse") {
        const length = Number(upRes.headers["content-length"] ?? -1);
        if (req.method === "HEAD" || length === 0) {
          // No body to cut: the registry acted, and the client never hears back.
          upRes.resume();
          upRes.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, answerHeaders(upRes));
        upRes.once("data", (c: Buffer) => {
          upRes.destroy();
          res.write(c.subarray(0, Math.max(0, Math.min(c.length, length > 0 ? length : c.length) - 1)), () => req.socket.destroy());
        });
        upRes.once("end", () => req.socket.destroy());
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, answerHeaders(upRes));
      upRes.pipe(res);
    });
    up.on("error", () => req.socket.destroy());
    if (kind === "dropRequest") {
      // Forward a part of the body (at least a byte, never all), then cut both sides mid-upload.
      const length = Number(req.headers["content-length"]);
      const cut = 1 + Math.floor(where * (length - 1));
      let forwarded = 0;
      req.on("data", (c: Buffer) => {
        if (forwarded >= cut) return;
        const take = Math.min(c.length, cut - forwarded);
        forwarded += take;
        if (forwarded < cut) { up.write(c); return; }
        req.pause();
        up.write(c.subarray(0, take), () => {
          // Give the registry a moment to read the bytes before the cut.
          setTimeout(() => { up.destroy(); req.socket.destroy(); }, 50);
        });
      });
      return;
    }
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    url: `http://${self}`,
    faults,
    get requests() { return requests; },
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      agent.destroy();
    },
  };
}

function splitHost(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(":");
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
