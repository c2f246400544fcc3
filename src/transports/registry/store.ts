// cairn's store on a repository of any OCI registry: what a CI fleet shares instead of each runner
// downloading, unpacking and compressing everything again. Everything is an OCI artifact (an image
// manifest with an artifactType), tagged by kind and hash so the registry's garbage collection
// keeps it and no blob is orphaned:
//   blob-<sha256>          a blob (a .deb, a layer) as the manifest's one layer; read by its digest
//   <kind>-<input hash>    an "inputs → result" entry: the config is the entry's JSON, signed
//                          (ed25519, manifest annotations); the blobs it names are its layers
// Tags stay under the 128 characters registries allow; the referrers API is not needed.
import { Readable } from "node:stream";
import { CairnError, ErrorCode, isCairnError } from "../../errors.js";
import { layerOf } from "../../image/layer.js";
import { MediaType, type DiffId, type Digest, type Image } from "../../image/types.js";
import type { Reporter } from "../../report.js";
import type { RemoteBlob, RemoteStore } from "../../store/remote.js";
import type { Signer, TrustedKeys } from "../../store/signing.js";
import { canonicalJson, sha256Hex, type Store } from "../../store/store.js";
import type { Credentials } from "./client.js";
import { fetchBlob, fetchManifest, openSession, type Session } from "./pull.js";
import { pushImage } from "./push.js";
import { formatReference, parseReference } from "./reference.js";
import { EMPTY_CONFIG } from "./referrers.js";

/** Failures that mean the store cannot be used now (down, refusing, asking for credentials): said once, built without. */
const UNAVAILABLE: ReadonlySet<string> = new Set([ErrorCode.REGISTRY_UNREACHABLE, ErrorCode.REGISTRY_AUTH, ErrorCode.REGISTRY_REJECTED]);

export const STORE_BLOB_TYPE = "application/vnd.cairn.store.blob.v1";
export const STORE_ENTRY_TYPE = "application/vnd.cairn.store.entry.v1";
const ENTRY_CONFIG_TYPE = "application/vnd.cairn.store.entry.v1+json";
const SIGNATURE = "dev.cairn.store.signature";
const KEY_ID = "dev.cairn.store.key";

export interface RegistryStoreOptions {
  /** `registry/repository`, no tag. */
  ref: string;
  push: boolean;
  signer?: Signer;
  trusted: TrustedKeys;
  credentials?: Credentials;
  insecure?: boolean;
  caFile?: string;
  reporter: Reporter;
}

/** An entry as stored: what its signature covers. */
interface EntryBody {
  kind: string;
  key: string;
  value: unknown;
}

export function registryStore(o: RegistryStoreOptions): RemoteStore {
  const parsed = parseReference(o.ref);
  const repo = formatReference({ ...parsed, tag: undefined, digest: undefined });
  const label = `the registry store ${repo}`;
  const access = { ...(o.credentials ? { credentials: o.credentials } : {}), ...(o.insecure ? { insecure: true } : {}), ...(o.caFile ? { caFile: o.caFile } : {}) };
  let session: Promise<Session> | undefined;
  const open = () => (session ??= openSession(repo, access, "reading"));
  // Said once per kind of trouble: a store that is down is not a failed build, just a slower one.
  const said = new Set<string>();
  const sayOnce = (what: string, text: string) => {
    if (said.has(what)) return;
    said.add(what);
    o.reporter.warn(text);
  };
  const unavailable = (e: unknown): boolean => {
    if (!isCairnError(e) || !UNAVAILABLE.has(e.code)) return false;
    sayOnce("down", `${label} cannot be read (${e.message}); building without it`);
    return true;
  };
  const notFound = (e: unknown) => isCairnError(e) && e.code === ErrorCode.IMAGE_NOT_FOUND;

  /** A manifest tagged `tag` is there; a store that cannot be read counts as having it (nothing is written). */
  const has = async (tag: string): Promise<boolean> => {
    try {
      await fetchManifest(await open(), tag);
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      if (unavailable(e)) return true;
      throw e;
    }
  };

  /** Pushes an artifact: `config` and the store's own blobs as layers, tagged. */
  const pushArtifact = async (tag: string, artifactType: string, config: { mediaType: string; bytes: Buffer }, blobs: readonly RemoteBlob[], local: Store, annotations?: Record<string, string>) => {
    const configDigest = `sha256:${sha256Hex(config.bytes)}` as Digest;
    const manifest = Buffer.from(canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType,
      config: { mediaType: config.mediaType, digest: configDigest, size: config.bytes.length },
      layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: `sha256:${b.hex}`, size: b.size })),
      ...(annotations ? { annotations } : {}),
    }));
    const artifact: Image = {
      repoTags: [], config: config.bytes, configDigest, manifest, manifestDigest: `sha256:${sha256Hex(manifest)}` as Digest,
      layers: blobs.map((b) => layerOf({ digest: `sha256:${b.hex}` as Digest, diffId: `sha256:${b.hex}` as DiffId, size: b.size, mediaType: b.mediaType, compressed: () => local.openBlob(b.hex) })),
    };
    try {
      await pushImage(artifact, `${repo}:${tag}`, access);
    } catch (e) {
      // The build is done; a store that refuses the write makes the next machine slower, not this build wrong.
      if (!isCairnError(e) || !UNAVAILABLE.has(e.code)) throw e;
      sayOnce("push", `${label} did not take what this build made (${e.message}); the build goes on without writing it`);
    }
  };

  return {
    label,
    ref: repo,
    pushing: o.push,

    async openBlob(hex, what) {
      try {
        return Readable.from([await fetchBlob(await open(), `sha256:${hex}`, `fetching ${what}`)]);
      } catch (e) {
        if (notFound(e) || unavailable(e)) return undefined;
        throw e;
      }
    },

    async fetchBlob(hex, local, what) {
      let bytes: Buffer;
      try {
        bytes = await fetchBlob(await open(), `sha256:${hex}`, `fetching ${what}`);
      } catch (e) {
        if (notFound(e) || unavailable(e)) return false;
        throw e;
      }
      try {
        await local.writeBlobStream(Readable.from([bytes]), hex, `${what} from ${label}`);
      } catch (e) {
        if (!isCairnError(e) || e.code !== ErrorCode.BAD_CHECKSUM) throw e;
        sayOnce(`bad-${hex}`, `${label} served other bytes for ${what} than its sha256 ${hex.slice(0, 12)}…; not used`);
        return false;
      }
      return true;
    },

    async getEntry<T>(kind: string, key: string): Promise<T | undefined> {
      const tag = `${kind}-${key}`;
      let manifest: { json: any };
      try {
        manifest = await fetchManifest(await open(), tag);
      } catch (e) {
        if (notFound(e) || unavailable(e)) return undefined;
        throw e;
      }
      const refuse = (why: string): undefined => {
        o.reporter.warn(`${ErrorCode.STORE_UNTRUSTED}: ${label}'s entry ${tag.slice(0, 40)}… ${why}; not used, the work is done here instead`);
        return undefined;
      };
      const m = manifest.json;
      const signature = m?.annotations?.[SIGNATURE];
      const keyId = m?.annotations?.[KEY_ID];
      const configDigest = m?.config?.digest;
      if (m?.artifactType !== STORE_ENTRY_TYPE || typeof configDigest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(configDigest)) return refuse("is not a cairn store entry");
      if (typeof signature !== "string" || typeof keyId !== "string") return refuse("is not signed");
      if (!o.trusted.ids.includes(keyId)) return refuse(`is signed by key ${keyId}, which is not trusted here (--store-trust FILE.pub)`);
      let bytes: Buffer;
      try {
        bytes = await fetchBlob(await open(), configDigest, `fetching the entry ${tag.slice(0, 40)}…`);
      } catch (e) {
        if (notFound(e) || unavailable(e)) return undefined;
        throw e;
      }
      if (`sha256:${sha256Hex(bytes)}` !== configDigest) return refuse("came with other bytes than its digest");
      if (!o.trusted.verify(bytes, keyId, signature)) return refuse(`does not match its signature by key ${keyId} (it was changed after it was signed)`);
      let body: EntryBody;
      try {
        body = JSON.parse(bytes.toString("utf8")) as EntryBody;
      } catch {
        return refuse("is not JSON");
      }
      // Signed, but for another question: an entry moved to another tag answers nothing here.
      if (body.kind !== kind || body.key !== key) return refuse(`answers ${body.kind} ${String(body.key).slice(0, 12)}…, not this`);
      return body.value as T;
    },

    hasEntry: (kind, key) => has(`${kind}-${key}`),

    async putBlobs(blobs, local) {
      for (const b of blobs) {
        if (!(await local.hasBlob(b.hex))) continue;
        const tag = `blob-${b.hex}`;
        if (await has(tag)) continue;
        await pushArtifact(tag, STORE_BLOB_TYPE, { mediaType: EMPTY_CONFIG.mediaType, bytes: Buffer.from("{}") }, [b], local);
      }
    },

    async putEntry(kind, key, value, blobs, local) {
      if (!o.signer) {
        sayOnce("unsigned", `${label}: entries are not written without a key to sign them (--store-key FILE); blobs are`);
        return this.putBlobs(blobs, local);
      }
      const tag = `${kind}-${key}`;
      if (await has(tag)) return;
      const bytes = Buffer.from(canonicalJson({ kind, key, value } satisfies EntryBody));
      await pushArtifact(tag, STORE_ENTRY_TYPE, { mediaType: ENTRY_CONFIG_TYPE, bytes }, blobs, local, { [KEY_ID]: o.signer.keyId, [SIGNATURE]: o.signer.sign(bytes) });
    },
  };
}

/** A store reference names a repository: a tag or digest in it is a mistake worth naming. */
export function checkStoreRef(ref: string): void {
  const p = parseReference(ref);
  if (p.digest || (p.tag && p.tag !== "latest" && ref.endsWith(`:${p.tag}`))) {
    throw new CairnError(ErrorCode.USAGE, `--store ${ref}: a store is a repository, without a tag or digest.`, `Use --store ${formatReference({ ...p, tag: undefined, digest: undefined })}.`);
  }
}
