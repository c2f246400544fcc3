// The registry source: a base image's manifest (through an index to one platform), its config and
// its layer blobs into the content-addressed store, every byte checked against its digest. Blobs
// the store already has are not fetched again; nothing but blobs is cached.
import { Readable } from "node:stream";
import { CairnError, ErrorCode, isCairnError } from "../../errors.js";
import { storedLayer } from "../../image/layer.js";
import { MediaType, type DiffId, type Digest, type Layer } from "../../image/types.js";
import type { Reporter } from "../../report.js";
import { sha256Hex, type Store } from "../../store/store.js";
import { RegistryClient, type Credentials } from "./client.js";
import { formatReference, parseReference, type ImageReference } from "./reference.js";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PullOptions {
  store: Store;
  /** Which image of a multi-platform index; default linux/amd64. */
  platform?: Platform;
  credentials?: Credentials;
  insecure?: boolean;
  caFile?: string;
  reporter?: Reporter;
  /** For tests: retry attempts and the first backoff delay. */
  attempts?: number;
  retryDelayMs?: number;
}

export interface PulledImage {
  /** `registry/repository@sha256:…` of the platform's manifest. */
  reference: string;
  manifestDigest: string;
  /** The config blob's exact bytes. */
  config: Buffer;
  configJson: any;
  /** Bottom first, their blobs in the store. */
  layers: Layer[];
}

export const DockerMediaType = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  manifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  layerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

const ACCEPT = [MediaType.ociManifest, MediaType.ociIndex, DockerMediaType.manifest, DockerMediaType.manifestList].join(", ");
const GZIP_LAYERS = new Set<string>([MediaType.ociLayerGzip, DockerMediaType.layerGzip]);
const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };
const REDIRECTS = [301, 302, 303, 307, 308];

export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export function platformString(p: { os?: string; architecture?: string; variant?: string }): string {
  return `${platformPart(p.os)}/${platformPart(p.architecture)}${p.variant ? `/${platformPart(p.variant)}` : ""}`;
}

/** Index JSON is untrusted: a field that is not a string is shown as JSON, never coerced (which can throw). */
function platformPart(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "?" : JSON.stringify(v);
}

/** arm64 without a variant means v8, as containerd normalises it. */
function variantOf(architecture: string | undefined, variant: string | undefined): string | undefined {
  return architecture === "arm64" && !variant ? "v8" : variant;
}

/**
 * The index entry for `want`: os and architecture equal, and the variant equal when one is asked
 * for. Without a variant asked, an entry with none (or arm64's implied v8) wins over others.
 */
export function selectPlatform(entries: readonly IndexEntry[], want: Platform, where: string): IndexEntry {
  const same = entries.filter((e) => e.platform?.os === want.os && e.platform?.architecture === want.architecture);
  const wanted = variantOf(want.architecture, want.variant);
  const match = wanted
    ? same.find((e) => variantOf(e.platform?.architecture, e.platform?.variant) === wanted)
    : same.find((e) => variantOf(e.platform?.architecture, e.platform?.variant) === variantOf(want.architecture, undefined)) ?? same[0];
  if (match) return match;
  const available = entries.filter((e) => e.platform && e.platform.os !== "unknown").map((e) => platformString(e.platform!));
  throw new CairnError(ErrorCode.PLATFORM_MISSING, `pulling ${where}: the image has no manifest for ${platformString(want)}; it has ${available.length ? available.join(", ") : "no platform-specific manifests"}`,
    "pick one of the listed platforms, or another image that is built for yours");
}

function isIndex(mediaType: string | undefined, json: any): boolean {
  return mediaType === MediaType.ociIndex || mediaType === DockerMediaType.manifestList || (!mediaType && Array.isArray(json?.manifests));
}

function contentType(r: { headers: Record<string, unknown> }): string | undefined {
  const v = r.headers["content-type"];
  return typeof v === "string" ? v.split(";")[0].trim() : undefined;
}

export interface Session {
  client: RegistryClient;
  parsed: ImageReference;
  /** `registry/repository`, for messages. */
  where: string;
  repo: string;
}

export async function openSession(ref: string, opts: Omit<PullOptions, "store">, verb: string): Promise<Session> {
  const parsed = parseReference(ref);
  const where = `${parsed.registry}/${parsed.repository}`;
  const client = await RegistryClient.open({
    registry: parsed.registry, repository: parsed.repository, credentials: opts.credentials, insecure: opts.insecure,
    caFile: opts.caFile, action: `${verb} ${where}`, attempts: opts.attempts, retryDelayMs: opts.retryDelayMs,
  });
  return { client, parsed, where, repo: `/v2/${parsed.repository}` };
}

function notFound(s: Session, what: string): CairnError {
  return new CairnError(ErrorCode.IMAGE_NOT_FOUND, `pulling ${s.where}: the registry has no manifest ${what}`,
    `check the tag or digest; \`skopeo list-tags docker://${s.where}\` shows the tags`);
}

/** A manifest's bytes, checked against `digest` when one is known; otherwise its digest is computed. */
export async function fetchManifest(s: Session, tagOrDigest: string, digest?: string): Promise<{ bytes: Buffer; digest: string; mediaType?: string; json: any }> {
  const r = await s.client.request({
    method: "GET", url: `${s.repo}/manifests/${tagOrDigest}`, step: `fetching manifest ${tagOrDigest.slice(0, 19)}`, ok: [200, 404],
    headers: { accept: ACCEPT },
  });
  if (r.status === 404) throw notFound(s, tagOrDigest.startsWith("sha256:") ? `with digest ${tagOrDigest}` : `tagged ${tagOrDigest}`);
  const actual = `sha256:${sha256Hex(r.body)}`;
  if (digest && actual !== digest) {
    throw new CairnError(ErrorCode.BAD_CHECKSUM, `pulling ${s.where}: the manifest ${digest} the registry sent hashes to ${actual}`,
      `${s.parsed.registry} served different bytes than the digest names; retry, or report it to the registry's operator`);
  }
  let json: any;
  try {
    json = JSON.parse(r.body.toString("utf8"));
  } catch {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: the manifest ${actual} is not JSON`, `${s.parsed.registry} does not serve OCI/Docker manifests`);
  }
  return { bytes: r.body, digest: actual, mediaType: json?.mediaType ?? contentType(r), json };
}

/** A blob's bytes, following a redirect to blob storage (the client sends credentials only to the registry's own origin). */
export async function fetchBlob(s: Session, digest: string, step: string): Promise<Buffer> {
  let url = `${s.repo}/blobs/${digest}`;
  for (let hop = 0; hop < 5; hop++) {
    const r = await s.client.request({ method: "GET", url, step, ok: [200, 404, ...REDIRECTS] });
    if (r.status === 200) return r.body;
    if (r.status === 404) {
      throw new CairnError(ErrorCode.IMAGE_NOT_FOUND, `pulling ${s.where}: the registry lacks blob ${digest} that the manifest names`,
        `the image in ${s.parsed.registry} is incomplete; push it again or pick another tag`);
    }
    const location = r.headers.location;
    if (typeof location !== "string" || !location) break;
    url = s.client.resolve(location).href;
  }
  throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: ${step} led to too many redirects, or one without a Location`,
    `${s.parsed.registry} or its blob storage is misconfigured`);
}

/** Into the store, verified; a mismatch is the registry's fault, so say so. */
async function storeBlob(s: Session, store: Store, digest: string, what: string, bytes: Buffer): Promise<void> {
  try {
    await store.writeBlobStream(Readable.from([bytes]), digest.slice(7), what);
  } catch (e) {
    if (isCairnError(e) && e.code === ErrorCode.BAD_CHECKSUM) {
      throw new CairnError(ErrorCode.BAD_CHECKSUM, `pulling ${s.where}: ${what} does not hash to ${digest}; nothing was stored`,
        `${s.parsed.registry} served corrupt bytes; retry, or report it to the registry's operator`, { cause: e });
    }
    throw e;
  }
}

function checkDigest(s: Session, d: unknown, what: string): string {
  if (typeof d !== "string" || !/^sha256:[a-f0-9]{64}$/.test(d)) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: ${what} has digest ${JSON.stringify(d)}, not sha256:<64 hex>`,
      "cairn pulls only sha256-addressed images");
  }
  return d;
}

export async function pullImage(ref: string, opts: PullOptions): Promise<PulledImage> {
  const s = await openSession(ref, opts, "pulling");
  const want = opts.platform ?? DEFAULT_PLATFORM;
  const { store } = opts;

  let m = await fetchManifest(s, s.parsed.digest ?? s.parsed.tag!, s.parsed.digest);
  if (isIndex(m.mediaType, m.json)) {
    // Entries that are not objects name no platform: skipped, as if absent.
    const listed: unknown[] = Array.isArray(m.json?.manifests) ? m.json.manifests : [];
    const entry = selectPlatform(listed.filter((e) => typeof e === "object" && e !== null) as IndexEntry[], want, formatReference(s.parsed));
    const digest = checkDigest(s, entry.digest, `the ${platformString(want)} manifest`);
    m = await fetchManifest(s, digest, digest);
    if (isIndex(m.mediaType, m.json)) {
      throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: the ${platformString(want)} entry of the index is itself an index`, "cairn follows one level of index; pull that entry's own digest");
    }
  }
  if (m.mediaType && m.mediaType !== MediaType.ociManifest && m.mediaType !== DockerMediaType.manifest) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: the manifest ${m.digest} is a ${m.mediaType}, which cairn cannot use as a base image`,
      "pull an OCI or Docker schema 2 image");
  }
  const configDigest = checkDigest(s, m.json?.config?.digest, "the config");
  const descriptors: { mediaType?: string; digest?: string; size?: number }[] = Array.isArray(m.json?.layers) ? m.json.layers : [];

  const configHex = configDigest.slice(7);
  if (!(await store.hasBlob(configHex))) {
    await storeBlob(s, store, configDigest, `the config ${configDigest.slice(0, 19)}`, await fetchBlob(s, configDigest, `fetching the config ${configDigest.slice(0, 19)}`));
  }
  const config = await store.readBlob(configHex);
  let configJson: any;
  try {
    configJson = JSON.parse(config.toString("utf8"));
  } catch {
    configJson = undefined;
  }
  if (typeof configJson !== "object" || configJson === null || Array.isArray(configJson)) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: the config ${configDigest.slice(0, 19)} is not a JSON object`, "the image is malformed; rebuild or pick another one");
  }
  if (configJson.os && configJson.architecture && (configJson.os !== want.os || configJson.architecture !== want.architecture)) {
    throw new CairnError(ErrorCode.PLATFORM_MISSING, `pulling ${formatReference(s.parsed)}: the image is for ${platformString(configJson)}, not ${platformString(want)}`,
      `ask for platform ${platformString(configJson)}, or pick an image built for ${platformString(want)}`);
  }
  const diffIds: unknown[] = Array.isArray(configJson?.rootfs?.diff_ids) ? configJson.rootfs.diff_ids : [];
  if (diffIds.length !== descriptors.length) {
    throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: the manifest lists ${descriptors.length} layers but the config's rootfs.diff_ids has ${diffIds.length}`,
      "the image is malformed; rebuild or pick another one");
  }

  const missing = [];
  for (const [i, d] of descriptors.entries()) {
    checkDigest(s, d?.digest, `layer ${i + 1}`);
    if (d.size !== undefined && !(Number.isSafeInteger(d.size) && d.size >= 0)) {
      throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: layer ${i + 1} has size ${JSON.stringify(d.size)}, not a byte count`, "the image is malformed; rebuild or pick another one");
    }
    checkDigest(s, diffIds[i], `diff_id ${i + 1}`);
    if (!GZIP_LAYERS.has(d.mediaType ?? "")) {
      throw new CairnError(ErrorCode.REGISTRY_REJECTED, `pulling ${s.where}: layer ${i + 1} (${d.digest!.slice(0, 19)}) is ${d.mediaType ?? "of no media type"}; cairn reads only gzip layers`,
        "pick an image whose layers are tar+gzip (most are; zstd or uncompressed ones are not supported yet)");
    }
    if (!(await store.hasBlob(d.digest!.slice(7)))) missing.push(d);
  }

  const total = missing.reduce((n, d) => n + (d.size ?? 0), 0);
  const bar = missing.length ? opts.reporter?.progress(`pulling ${s.where}`, total, "bytes") : undefined;
  let fetched = 0;
  try {
    for (const d of missing) {
      const short = d.digest!.slice(0, 19);
      const bytes = await fetchBlob(s, d.digest!, `fetching layer ${short}`);
      await storeBlob(s, store, d.digest!, `layer ${short}`, bytes);
      fetched += bytes.length;
      bar?.advance(bytes.length);
    }
  } finally {
    bar?.done();
  }

  const layers: Layer[] = [];
  for (const [i, d] of descriptors.entries()) {
    const digest = d.digest as Digest;
    const size = d.size ?? (await store.readBlob(digest.slice(7))).length;
    layers.push(storedLayer({ digest, diffId: diffIds[i] as DiffId, size }, store));
  }
  const reference = `${s.where}@${m.digest}`;
  opts.reporter?.info(`pulled ${reference} (${fetched} bytes fetched, ${descriptors.length - missing.length} layers already cached)`);
  return { reference, manifestDigest: m.digest, config, configJson, layers };
}

/** The manifest digest a reference names (for a multi-platform image, the index's), e.g. to pin a base in the lock. */
export async function resolveDigest(ref: string, opts: Omit<PullOptions, "store" | "platform" | "reporter"> = {}): Promise<string> {
  const s = await openSession(ref, opts, "resolving");
  const target = s.parsed.digest ?? s.parsed.tag!;
  const head = await s.client.request({
    method: "HEAD", url: `${s.repo}/manifests/${target}`, step: `looking up ${target}`, ok: [200, 404], headers: { accept: ACCEPT },
  });
  if (head.status === 404) throw notFound(s, s.parsed.digest ? `with digest ${target}` : `tagged ${target}`);
  const said = head.headers["docker-content-digest"];
  if (s.parsed.digest) return s.parsed.digest;
  // The header is optional in the spec; without it the bytes decide.
  if (typeof said === "string" && /^sha256:[a-f0-9]{64}$/.test(said)) return said;
  return (await fetchManifest(s, target)).digest;
}
