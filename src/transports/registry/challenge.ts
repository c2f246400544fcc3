// The pure parts of registry auth and retry: reading a `WWW-Authenticate` challenge, a
// `Retry-After` header and a registry's error body. No I/O, so the tests hand in header strings.

export interface Challenge {
  /** Lowercased: "basic", "bearer". */
  scheme: string;
  /** Lowercased keys: realm, service, scope, error… */
  params: Record<string, string>;
}

/**
 * Parses `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"`
 * (quoted or bare values, several challenges separated by commas).
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  // A scheme is a token not followed by `=` (that is a parameter): `Negotiate, Basic realm="x"` is two challenges.
  const re = /\s*(?:,\s*)?([A-Za-z][\w-]*)(?![\w-]|\s*=)\s*|\s*,?\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/y;
  let m: RegExpExecArray | null;
  let last = 0;
  while (last < header.length && (m = re.exec(header))) {
    last = re.lastIndex;
    if (m[1] !== undefined) out.push({ scheme: m[1].toLowerCase(), params: {} });
    else if (out.length) out[out.length - 1].params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4];
  }
  return out;
}

/** Milliseconds to wait as a `Retry-After` header says (seconds or an HTTP date), capped; undefined if absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number, capMs = 60_000): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, capMs);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.min(Math.max(0, t - now), capMs);
}

/** The registry's own words from an error body (`{"errors":[{"code":…,"message":…}]}`), for messages; "" if none. */
export function registryErrorText(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { errors?: { code?: string; message?: string }[] };
    const parts = (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(": ")).filter(Boolean);
    return parts.join("; ").slice(0, 300);
  } catch {
    return "";
  }
}
