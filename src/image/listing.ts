// A layer's listing: its entries in tar order and the text of the few small files readers want
// (dpkg's database, copyrights, os-release), kept in the store by the layer's digest. cairn writes
// it when it makes a layer, from the very entries it tars; a reader writes it the first time it
// reads a layer. Either way, an SBOM, a size report or a graph of a layer listed before needs no
// pass over its bytes — `push --sbom` streams each layer once, to the registry.
import { readFile } from "node:fs/promises";
import type { FsEntry } from "../fs/types.js";
import type { Store } from "../store/store.js";
import type { LayerEntry } from "./flatten.js";
import type { Layer } from "./types.js";

/** Bumped when what a listing holds changes. */
const LISTING_FORMAT = 2; // 2: language packages' manifests too

/** Small files worth keeping the text of while the layers stream past. */
export const LISTED_TEXTS = new RegExp([
  /^(var\/lib\/dpkg\/status|var\/lib\/dpkg\/status\.d\/[^/]+|var\/lib\/dpkg\/info\/[^/]+\.(list|md5sums)|usr\/share\/doc\/[^/]+\/copyright|etc\/os-release|usr\/lib\/os-release)$/.source,
  // Language packages, for the SBOM: an npm package's manifest, a Python distribution's metadata.
  /(^|\/)node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.source,
  /(^|\/)(site|dist)-packages\/[^/]+\.dist-info\/METADATA$/.source,
].join("|"));
/** A text larger than this is not kept (no package database is near it). */
export const MAX_LISTED_TEXT = 4 << 20;

export interface LayerListing {
  /** As `readLayer` sees them, in tar order. */
  entries: LayerEntry[];
  /** path → text, for the regular files LISTED_TEXTS names (up to MAX_LISTED_TEXT bytes). */
  texts: Record<string, string>;
  /** Bytes of the layer's tar. */
  tarSize: number;
}

export const wantsText = (path: string, size: number) => LISTED_TEXTS.test(path) && size <= MAX_LISTED_TEXT;

// By the digest of the stored blob, which the store checked when it took the blob in: a diffId is
// only what a config claims, and an image someone else made could claim another layer's.
const keyOf = (layer: Pick<Layer, "digest">) => `${LISTING_FORMAT}-${layer.digest.slice(7)}`;

/** Only for layers whose blobs are in this store (built, pulled or loaded by cairn): see keyOf. */
export function getListing(store: Store, layer: Pick<Layer, "digest">): Promise<LayerListing | undefined> {
  return store.getEntry<LayerListing>("layer-listing", keyOf(layer));
}

export function putListing(store: Store, layer: Pick<Layer, "digest">, listing: LayerListing): Promise<void> {
  return store.putEntry("layer-listing", keyOf(layer), listing);
}

/** The listing of the layer cairn tars from `entries` (in their order, as the tar writer takes them). */
export async function listingOf(entries: readonly FsEntry[], tarSize: number): Promise<LayerListing> {
  const texts: Record<string, string> = {};
  const listed: LayerEntry[] = [];
  for (const e of entries) {
    listed.push({
      path: e.path, type: e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.type === "file" ? e.size : 0,
      ...(e.linkname ? { linkname: e.linkname } : {}),
    });
    if (e.type === "file" && wantsText(e.path, e.size) && e.content) {
      texts[e.path] = (e.content.kind === "bytes" ? e.content.data : await readFile(e.content.path)).toString("utf8");
    }
  }
  return { entries: listed, texts, tarSize };
}
