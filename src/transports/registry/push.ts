// The registry sink: every blob the registry lacks (layers, config), then the manifest under the
// reference's tag. Blobs are skipped by a HEAD check, or mounted from a sibling repository when
// asked, so a re-push of an unchanged image sends only the manifest.
import { Readable } from "node:stream";
import { CairnError, ErrorCode, isCairnError } from "../../errors.js";
import { MediaType, type Image, type ImageIndex } from "../../image/types.js";
import type { Reporter } from "../../report.js";
import { RegistryClient, type Credentials, type RegistryResponse, type RequestSpec } from "./client.js";
import { formatReference, parseReference } from "./reference.js";

export interface PushOptions {
  credentials?: Credentials;
  /** Plain http, or https without certificate checks (loopback registries are plain http anyway). */
  insecure?: boolean;
  /** PEM file of a private CA the registry's certificate is signed by. */
  caFile?: string;
  /** A repository on the same registry to mount existing blobs from instead of uploading them. */
  mountFrom?: string;
  /** Per blob: its state, and bytes sent so far while uploading. */
  onProgress?(p: BlobProgress): void;
  /** One progress bar of bytes uploaded, and a closing line. */
  reporter?: Reporter;
  /** Blobs uploaded at once; default 3. */
  concurrency?: number;
  /** Blobs larger than this go up in PATCH chunks of this size (kept in memory for retries); default 64 MiB. */
  chunkSize?: number;
  /** For tests: retry attempts and the first backoff delay. */
  attempts?: number;
  retryDelayMs?: number;
}

export interface BlobProgress {
  digest: string;
  size: number;
  state: "skipped" | "mounted" | "uploading" | "uploaded";
  /** Bytes of this blob sent so far. */
  sent: number;
}

export interface PushResult {
  /** The manifest digest, as the registry reported it (equal to image.manifestDigest). */
  digest: string;
  /** The full reference pushed, e.g. 127.0.0.1:5000/team/redis:7. */
  reference: string;
  uploadedBytes: number;
  /** Blobs the registry already had (including mounted ones). */
  skippedBlobs: number;
  mountedBlobs: number;
}

// One request per blob is fastest; chunks keep a big layer under proxies' request size limits.
const DEFAULT_CHUNK = 64 * 1024 * 1024;

interface Blob {
  digest: string;
  size: number;
  open(): Readable;
}

export async function pushImage(image: Image, ref: string, opts: PushOptions = {}): Promise<PushResult> {
  const parsed = parseReference(ref);
  const where = `${parsed.registry}/${parsed.repository}`;
  if (parsed.digest && parsed.digest !== image.manifestDigest) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `pushing to ${formatReference(parsed)}: the reference names digest ${parsed.digest} but the image's manifest is ${image.manifestDigest}`,
      "push by tag, or use the image's own digest");
  }
  const client = await RegistryClient.open({
    registry: parsed.registry, repository: parsed.repository, credentials: opts.credentials, insecure: opts.insecure,
    caFile: opts.caFile, action: `pushing to ${where}`, attempts: opts.attempts, retryDelayMs: opts.retryDelayMs,
  });
  const repo = `/v2/${parsed.repository}`;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;

  // The config is a blob like the layers; duplicates (two identical layers) go up once.
  const blobs = new Map<string, Blob>();
  for (const l of image.layers) blobs.set(l.digest, { digest: l.digest, size: l.size, open: () => l.compressed() });
  blobs.set(image.configDigest, { digest: image.configDigest, size: image.config.length, open: () => readableOf(image.config) });

  const total = [...blobs.values()].reduce((n, b) => n + b.size, 0);
  const bar = opts.reporter?.progress(`pushing ${where}`, total, "bytes");
  let uploadedBytes = 0;
  let skippedBlobs = 0;
  let mountedBlobs = 0;

  const pushBlob = async (b: Blob) => {
    const short = b.digest.slice(0, 19);
    const head = await client.request({ method: "HEAD", url: `${repo}/blobs/${b.digest}`, step: `checking blob ${short}`, ok: [200, 404] });
    if (head.status === 200) {
      skippedBlobs++;
      bar?.advance(b.size);
      opts.onProgress?.({ digest: b.digest, size: b.size, state: "skipped", sent: 0 });
      return;
    }
    const mount = opts.mountFrom && opts.mountFrom !== parsed.repository
      ? `?mount=${encodeURIComponent(b.digest)}&from=${encodeURIComponent(opts.mountFrom)}` : "";
    // High-water mark of bytes sent: a restarted upload re-sends bytes the bar already counted.
    let sent = 0;
    const reached = (at: number) => {
      if (at <= sent) return;
      bar?.advance(at - sent);
      sent = at;
      opts.onProgress?.({ digest: b.digest, size: b.size, state: "uploading", sent });
    };
    const step = `uploading blob ${short}`;
    const rounds = opts.attempts ?? 4;
    for (let round = 1; ; round++) {
      const start = await client.request({ method: "POST", url: `${repo}/blobs/uploads/${mount}`, step: `starting the upload of blob ${short}`, ok: [201, 202] });
      if (start.status === 201) {
        skippedBlobs++;
        mountedBlobs++;
        bar?.advance(b.size - sent);
        opts.onProgress?.({ digest: b.digest, size: b.size, state: "mounted", sent: 0 });
        return;
      }
      const location = start.headers.location;
      if (!location) {
        throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pushing to ${where}: the registry started an upload of blob ${short} without saying where to send it (no Location header)`,
          `${parsed.registry} does not follow the OCI distribution spec`);
      }
      try {
        if (b.size > chunkSize) {
          await uploadChunked(client, location, b, chunkSize, step, reached);
        } else {
          const target = client.resolve(location);
          target.searchParams.set("digest", b.digest);
          let at = 0;
          await sessionRequest(client, {
            method: "PUT", url: target.href, step, ok: [201, 204],
            headers: { "content-type": "application/octet-stream" }, body: b.open, contentLength: b.size, onSent: (n) => reached(at += n),
          });
        }
        break;
      } catch (e) {
        const failure = e instanceof SessionLost ? e.failure : e;
        if (!(e instanceof SessionLost || (isCairnError(e) && e.code === ErrorCode.REGISTRY_UNREACHABLE)) || round >= rounds) throw failure;
        // The session broke (a dropped connection, a stale upload URL): the blob may have landed
        // all the same (only the answer was lost); if not, start a fresh upload from byte 0.
        const again = await client.request({ method: "HEAD", url: `${repo}/blobs/${b.digest}`, step: `checking blob ${short}`, ok: [200, 404] });
        if (again.status === 200) break;
      }
    }
    reached(b.size);
    uploadedBytes += b.size;
    opts.onProgress?.({ digest: b.digest, size: b.size, state: "uploaded", sent: b.size });
  };

  try {
    await inBatches([...blobs.values()], opts.concurrency ?? 3, pushBlob);
  } finally {
    bar?.done();
  }

  const manifestType = mediaTypeOf(image.manifest);
  const put = await client.request({
    method: "PUT", url: `${repo}/manifests/${parsed.tag ?? image.manifestDigest}`, step: "uploading the manifest", ok: [201, 200],
    headers: { "content-type": manifestType }, body: image.manifest,
  });
  const reported = put.headers["docker-content-digest"];
  const digest = typeof reported === "string" && reported ? reported : image.manifestDigest;
  if (digest !== image.manifestDigest) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pushing to ${where}: the registry stored the manifest as ${digest}, but its digest is ${image.manifestDigest}`,
      `${parsed.registry} rewrote the manifest; pull by tag, or push to a registry that keeps manifests as sent`);
  }
  const reference = formatReference({ ...parsed, digest: undefined });
  opts.reporter?.info(`pushed ${reference}@${digest} (${uploadedBytes} bytes uploaded, ${skippedBlobs} blobs already there)`);
  return { digest, reference, uploadedBytes, skippedBlobs, mountedBlobs };
}

/**
 * An image index: each platform's image pushed by its digest (its blobs first, shared ones once),
 * then the index under the reference's tag, as `docker buildx` and skopeo push one.
 */
export async function pushIndex(index: ImageIndex, ref: string, opts: PushOptions = {}): Promise<PushResult> {
  const parsed = parseReference(ref);
  const where = `${parsed.registry}/${parsed.repository}`;
  if (parsed.digest && parsed.digest !== index.indexDigest) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `pushing to ${formatReference(parsed)}: the reference names digest ${parsed.digest} but the image index is ${index.indexDigest}`,
      "push by tag, or use the index's own digest");
  }
  let uploadedBytes = 0;
  let skippedBlobs = 0;
  let mountedBlobs = 0;
  for (const { image } of index.manifests) {
    const byDigest = formatReference({ ...parsed, tag: undefined, digest: image.manifestDigest });
    // One closing line for the whole index, not one per platform.
    const rep = opts.reporter;
    const r = await pushImage(image, byDigest, { ...opts, reporter: rep && { info: () => {}, warn: (m) => rep.warn(m), progress: (t, n, u) => rep.progress(t, n, u) } });
    uploadedBytes += r.uploadedBytes;
    skippedBlobs += r.skippedBlobs;
    mountedBlobs += r.mountedBlobs;
  }
  const client = await RegistryClient.open({
    registry: parsed.registry, repository: parsed.repository, credentials: opts.credentials, insecure: opts.insecure,
    caFile: opts.caFile, action: `pushing to ${where}`, attempts: opts.attempts, retryDelayMs: opts.retryDelayMs,
  });
  const put = await client.request({
    method: "PUT", url: `/v2/${parsed.repository}/manifests/${parsed.tag ?? index.indexDigest}`, step: "uploading the image index", ok: [201, 200],
    headers: { "content-type": MediaType.ociIndex }, body: index.index,
  });
  const reported = put.headers["docker-content-digest"];
  const digest = typeof reported === "string" && reported ? reported : index.indexDigest;
  if (digest !== index.indexDigest) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pushing to ${where}: the registry stored the image index as ${digest}, but its digest is ${index.indexDigest}`,
      `${parsed.registry} rewrote the index; push to a registry that keeps manifests as sent`);
  }
  const reference = formatReference({ ...parsed, digest: undefined });
  opts.reporter?.info(`pushed ${reference}@${digest}: an index of ${index.manifests.length} platforms (${uploadedBytes} bytes uploaded, ${skippedBlobs} blobs already there)`);
  return { digest, reference, uploadedBytes, skippedBlobs, mountedBlobs };
}

/** The upload session is gone or confused (the registry refused its URL or offset); `failure` says how. */
class SessionLost extends Error {
  constructor(readonly failure: CairnError) {
    super(failure.message);
  }
}

/** A request inside an upload session: a dropped connection is the caller's to recover (a blind
 *  resend could repeat bytes the registry already took), and 400/404/416 mean the session is lost. */
async function sessionRequest(client: RegistryClient, spec: RequestSpec): Promise<RegistryResponse> {
  const r = await client.request({ ...spec, ok: [...spec.ok, 400, 404, 416], retryDropped: false });
  if (spec.ok.includes(r.status)) return r;
  throw new SessionLost(client.statusError(r, spec.step));
}

/** The spec's chunked upload: PATCH each piece with its Content-Range, following Location, then PUT ?digest=.
 *  When a PATCH fails, the registry is asked how far it got (GET on the upload URL: 204 with Range)
 *  and the upload goes on from there; if it cannot say, SessionLost tells the caller to start over. */
async function uploadChunked(client: RegistryClient, location: string, b: Blob, size: number, step: string, reached: (at: number) => void): Promise<void> {
  let url = location;
  let offset = 0;
  for await (const chunk of rechunk(b.open(), size)) {
    const end = offset + chunk.length;
    let resumes = 0;
    while (offset < end) {
      const piece = chunk.subarray(chunk.length - (end - offset));
      try {
        const r = await sessionRequest(client, {
          method: "PATCH", url, step, ok: [202], body: piece,
          headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${end - 1}` },
        });
        offset = end;
        if (typeof r.headers.location === "string" && r.headers.location) url = r.headers.location;
      } catch (e) {
        if (!(e instanceof SessionLost || (isCairnError(e) && e.code === ErrorCode.REGISTRY_UNREACHABLE))) throw e;
        const status = await uploadStatus(client, url, step);
        // Only an offset inside the piece still held in memory can be resumed from.
        if (!status || status.received < end - chunk.length || status.received > end || ++resumes > 3) throw e;
        url = status.location;
        offset = status.received;
      }
      reached(offset);
    }
  }
  const target = client.resolve(url);
  target.searchParams.set("digest", b.digest);
  await sessionRequest(client, { method: "PUT", url: target.href, step, ok: [201, 204] });
}

/** How many bytes the registry holds of an upload, and its URL now; undefined if it cannot tell. */
async function uploadStatus(client: RegistryClient, url: string, step: string): Promise<{ received: number; location: string } | undefined> {
  try {
    const r = await client.request({ method: "GET", url, step: `${step} (asking how much arrived)`, ok: [204, 400, 404, 416] });
    const range = /^(?:bytes=)?0-(\d+)$/.exec(String(r.headers.range ?? ""));
    const location = r.headers.location;
    // "0-0" is ambiguous (nothing, or one byte, as distribution writes it): start over instead.
    if (r.status !== 204 || !range || range[1] === "0" || typeof location !== "string" || !location) return undefined;
    return { received: Number(range[1]) + 1, location };
  } catch {
    return undefined;
  }
}

/** Re-cuts a stream into pieces of exactly `size` bytes (the last one shorter). */
async function* rechunk(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    parts.push(c);
    held += c.length;
    while (held >= size) {
      const all = Buffer.concat(parts);
      yield all.subarray(0, size);
      parts = [all.subarray(size)];
      held -= size;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}

function mediaTypeOf(manifest: Buffer): string {
  try {
    const m = JSON.parse(manifest.toString("utf8")) as { mediaType?: string };
    return m.mediaType ?? MediaType.ociManifest;
  } catch {
    return MediaType.ociManifest;
  }
}

/** A fresh stream per call, as Layer.compressed() gives, so a retry can resend. */
function readableOf(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}

/** Runs fn over items, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
