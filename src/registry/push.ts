// The registry sink: every blob the registry lacks (layers, config), then the manifest under the
// reference's tag. Blobs are skipped by a HEAD check, or mounted from a sibling repository when
// asked, so a re-push of an unchanged image sends only the manifest.
import { Readable } from "node:stream";
import { CairnError, ErrorCode } from "../errors.js";
import { MediaType, type Image } from "../image/types.js";
import type { Reporter } from "../pipeline/context.js";
import { RegistryClient, type Credentials } from "./client.js";
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
    const start = await client.request({ method: "POST", url: `${repo}/blobs/uploads/${mount}`, step: `starting the upload of blob ${short}`, ok: [201, 202] });
    if (start.status === 201) {
      skippedBlobs++;
      mountedBlobs++;
      bar?.advance(b.size);
      opts.onProgress?.({ digest: b.digest, size: b.size, state: "mounted", sent: 0 });
      return;
    }
    const location = start.headers.location;
    if (!location) {
      throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pushing to ${where}: the registry started an upload of blob ${short} without saying where to send it (no Location header)`,
        `${parsed.registry} does not follow the OCI distribution spec`);
    }
    let sent = 0;
    const onSent = (n: number) => {
      sent += n;
      bar?.advance(n);
      opts.onProgress?.({ digest: b.digest, size: b.size, state: "uploading", sent });
    };
    const step = `uploading blob ${short}`;
    if (b.size > chunkSize) {
      await uploadChunked(client, location, b, chunkSize, step, onSent);
    } else {
      const target = client.resolve(location);
      target.searchParams.set("digest", b.digest);
      await client.request({
        method: "PUT", url: target.href, step, ok: [201, 204],
        headers: { "content-type": "application/octet-stream" }, body: b.open, contentLength: b.size, onSent,
      });
    }
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

/** The spec's chunked upload: PATCH each piece with its Content-Range, following Location, then PUT ?digest=. */
async function uploadChunked(client: RegistryClient, location: string, b: Blob, size: number, step: string, onSent: (n: number) => void): Promise<void> {
  let url = location;
  let offset = 0;
  for await (const chunk of rechunk(b.open(), size)) {
    const r = await client.request({
      method: "PATCH", url, step, ok: [202], body: chunk,
      headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + chunk.length - 1}` },
    });
    offset += chunk.length;
    onSent(chunk.length);
    if (typeof r.headers.location === "string" && r.headers.location) url = r.headers.location;
  }
  const target = client.resolve(url);
  target.searchParams.set("digest", b.digest);
  await client.request({ method: "PUT", url: target.href, step, ok: [201, 204] });
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
