// One suite of one archive: its signed Release and its Packages indexes, checked against it.
// Indexes are cached in the store by their sha256 from the verified Release, so an unchanged
// index is never downloaded twice; only the (small) InRelease is fetched every time.
import { CairnError, ErrorCode } from "../errors.js";
import { sha256Hex, type Store } from "../store/store.js";
import { parseParagraphChunks } from "./control.js";
import { compressionOf, decompressChunks } from "./decompress.js";
import { isNotFound, redactUrl, type Fetcher } from "./http.js";
import { checkValidUntil, parseRelease, verifyDetached, verifyInRelease, type Key, type Release, type ReleaseFile } from "./release.js";
import type { Paragraph, RepositoryId } from "./types.js";
import { INDEX_FIELDS } from "./universe.js";

export interface LoadRepositoryArgs {
  /** The archive root, as in the apt source (`http://host/path`). */
  uri: string;
  suite: string;
  components: string[];
  architecture: string;
  keys: Key[];
  fetcher: Fetcher;
  store: Store;
  /** The time Valid-Until and key validity are judged at. */
  now: Date;
  /** Default true; false for pinned snapshot archives whose Valid-Until has passed on purpose. */
  checkValidUntil?: boolean;
}

export interface RepositoryIndex {
  repository: RepositoryId;
  paragraphs: Paragraph[];
}

export interface LoadedRepository {
  release: Release;
  indexes: RepositoryIndex[];
}

// Smallest download first; the security suite lists only .xz, and Release also lists an
// uncompressed Packages that mirrors no longer serve, so plain comes last.
const INDEX_NAMES = ["Packages.xz", "Packages.gz", "Packages"];

export async function loadRepository(args: LoadRepositoryArgs): Promise<LoadedRepository> {
  const dists = `${args.uri.replace(/\/+$/, "")}/dists/${args.suite}/`;
  const { release, url: releaseUrl } = await fetchRelease(dists, args);
  if (args.checkValidUntil !== false) checkValidUntil(release, args.now, `The Release file at ${redactUrl(releaseUrl)}`);
  if (release.architectures.length > 0 && !release.architectures.includes(args.architecture)) {
    throw new CairnError(
      ErrorCode.INDEX_MISSING,
      `Suite "${args.suite}" at ${redactUrl(args.uri)} has no packages for architecture ${args.architecture}; it has ${release.architectures.join(", ")}.`,
      "Build for one of those architectures, or use an archive that carries this one.",
    );
  }
  const indexes: RepositoryIndex[] = [];
  for (const component of args.components) {
    const { name, file } = pickIndex(release, component, args, releaseUrl);
    const data = await fetchIndex(dists, name, file, release.acquireByHash, args);
    const what = `${redactUrl(dists)}${name}`;
    const paragraphs = await parseParagraphChunks(decompressChunks(compressionOf(name), data, what), what, INDEX_FIELDS);
    indexes.push({ repository: { suite: args.suite, component }, paragraphs });
  }
  return { release, indexes };
}

async function fetchRelease(dists: string, args: LoadRepositoryArgs): Promise<{ release: Release; url: string }> {
  const inRelease = `${dists}InRelease`;
  try {
    const text = (await args.fetcher.get(inRelease, `InRelease of ${args.suite}`)).toString("utf8");
    const verified = await verifyInRelease(text, args.keys, redactUrl(inRelease), args.now);
    return { release: parseRelease(verified, `The Release file at ${redactUrl(inRelease)}`), url: inRelease };
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  // Older or simpler archives only have Release + Release.gpg.
  const plain = `${dists}Release`;
  let bytes: Buffer;
  try {
    bytes = await args.fetcher.get(plain, `Release of ${args.suite}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw new CairnError(
      ErrorCode.INDEX_MISSING,
      `Suite "${args.suite}" does not exist at ${redactUrl(args.uri)}: neither ${redactUrl(inRelease)} nor ${redactUrl(plain)} was found.`,
      "Check the suite name (e.g. bookworm, bookworm-updates) and the URI in the apt source.",
      { cause: e },
    );
  }
  let sig: Buffer;
  try {
    sig = await args.fetcher.get(`${plain}.gpg`, `Release.gpg of ${args.suite}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw new CairnError(
      ErrorCode.BAD_SIGNATURE,
      `${redactUrl(plain)} is not signed: there is no InRelease and no Release.gpg beside it.`,
      "cairn only uses signed archives. Sign the repository (InRelease or Release.gpg), or use another archive.",
      { cause: e },
    );
  }
  const verified = await verifyDetached(bytes, sig, args.keys, redactUrl(plain), args.now);
  return { release: parseRelease(verified, `The Release file at ${redactUrl(plain)}`), url: plain };
}

function pickIndex(release: Release, component: string, args: LoadRepositoryArgs, releaseUrl: string): { name: string; file: ReleaseFile } {
  const dir = `${component}/binary-${args.architecture}/`;
  for (const n of INDEX_NAMES) {
    const file = release.files.get(dir + n);
    if (file) return { name: dir + n, file };
  }
  throw new CairnError(
    ErrorCode.INDEX_MISSING,
    `The Release file at ${redactUrl(releaseUrl)} lists no Packages index for ${dir.slice(0, -1)}` +
      (release.components.length ? ` (its components: ${release.components.join(", ")}).` : "."),
    "Check the Components of the apt source (main, contrib, non-free, non-free-firmware) and the architecture you build for.",
  );
}

async function fetchIndex(dists: string, name: string, file: ReleaseFile, byHash: boolean, args: LoadRepositoryArgs): Promise<Buffer> {
  if (await args.store.hasBlob(file.sha256)) {
    const cached = await args.store.readBlob(file.sha256);
    // The store names blobs by content; re-check anyway, a damaged cache must not poison a build.
    if (sha256Hex(cached) === file.sha256) return cached;
  }
  const plainUrl = `${dists}${name}`;
  const what = `the ${args.suite} index ${name}`;
  let data: Buffer | undefined;
  let url = plainUrl;
  if (byHash) {
    // by-hash never changes under a reader mid-update; fall back to the plain name as apt does
    // when a mirror has not caught up with its own by-hash directory.
    url = `${dists}${name.slice(0, name.lastIndexOf("/") + 1)}by-hash/SHA256/${file.sha256}`;
    try {
      data = await args.fetcher.get(url, what);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      url = plainUrl;
    }
  }
  if (data === undefined) {
    try {
      data = await args.fetcher.get(plainUrl, what);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      throw new CairnError(
        ErrorCode.INDEX_MISSING,
        `${what} is listed in the signed Release but missing at ${redactUrl(plainUrl)}.`,
        "The mirror is broken or mid-update: try again later or use another mirror.",
        { cause: e },
      );
    }
  }
  const hex = sha256Hex(data);
  if (data.length !== file.size || hex !== file.sha256) {
    throw new CairnError(
      ErrorCode.BAD_CHECKSUM,
      `${what} from ${redactUrl(url)} does not match the signed Release: expected ${file.size} bytes with sha256 ${file.sha256}, got ${data.length} bytes with sha256 ${hex}.`,
      "The mirror served different bytes than its signed Release promises (mid-update, or a caching proxy in the way): try again later or use another mirror.",
    );
  }
  await args.store.writeBlob(data, file.sha256, what);
  return data;
}
