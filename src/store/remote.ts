// A store elsewhere that the local one reads through and may write to: a repository of an OCI
// registry (transports/registry/store.ts). Blobs are had by their sha256 and checked on the way
// in; an entry is used only when a trusted key signed it.
import type { Store } from "./store.js";

export interface RemoteBlob {
  hex: string;
  size: number;
  mediaType: string;
}

export interface RemoteStore {
  /** How messages name it: "the registry store REF". */
  readonly label: string;
  /** `registry/repository`: an image pushed to the same registry mounts the store's blobs from it. */
  readonly ref: string;
  /** Whether built results are written to it (`--store-push`). */
  readonly pushing: boolean;
  /** The blob's bytes as the remote sends them (the caller checks them), or undefined when it lacks it. */
  openBlob(hex: string, what: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** The blob, verified, into `local`; false when the remote lacks it. */
  fetchBlob(hex: string, local: Store, what: string): Promise<boolean>;
  /** The entry's value when there is one a trusted key signed; one that is not is said and skipped. */
  getEntry<T>(kind: string, key: string): Promise<T | undefined>;
  /** Writes these blobs of `local` (each under its own tag, so the registry keeps it); skips what is there. */
  putBlobs(blobs: readonly RemoteBlob[], local: Store): Promise<void>;
  /** Whether an entry is there under this kind and key (signed or not): writing it again can be skipped. */
  hasEntry(kind: string, key: string): Promise<boolean>;
  /** Writes the signed entry, referencing `blobs` (pushed with it, so the registry keeps them). */
  putEntry(kind: string, key: string, value: unknown, blobs: readonly RemoteBlob[], local: Store): Promise<void>;
}
