// An image's final filesystem: its layers read bottom first through `uncompressed()`, each entry
// in tar order, a whiteout removing what it names from the layers below (an opaque one, what its
// directory holds). The one reader of layer tars for every caller that wants files, not tar bytes:
// base images, build steps, inspect. Each caller may list a layer from its own cache instead.
import { pipeline } from "node:stream/promises";
import { applyWhiteout } from "../fs/whiteout.js";
import type { Layer } from "./types.js";

export type LayerEntryType = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface LayerEntry {
  /** As in the tar without a leading `./` or `/` and a trailing `/`; a whiteout keeps its `.wh.` name. */
  path: string;
  /** `other`: a device node, fifo or anything else only an engine makes. */
  type: LayerEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file's content; 0 for the rest. */
  size: number;
  /** A link's target exactly as the tar holds it. */
  linkname?: string;
}

/** A layer entry, with the bytes of the files asked for. */
export interface FlatEntry extends LayerEntry {
  content?: Buffer;
}

/**
 * One pass over a layer's tar: `visit` sees each entry (the root itself left out) with a stream of
 * its content, which it may read to the end; what it leaves unread is skipped. Resolves with the
 * tar's size in bytes.
 */
export async function readLayer(layer: Pick<Layer, "uncompressed">, visit: (entry: LayerEntry, content: AsyncIterable<Buffer>) => Promise<void> | void): Promise<number> {
  const tar = await import("tar-stream");
  const extract = tar.extract();
  let tarSize = 0;
  const feeding = pipeline(layer.uncompressed(), async function* (bytes: AsyncIterable<Buffer>) {
    for await (const chunk of bytes) {
      tarSize += chunk.length;
      yield chunk;
    }
  }, extract);
  feeding.catch(() => {}); // the loop below sees the error; this keeps it from being unhandled meanwhile
  for await (const item of extract) {
    const h = item.header;
    const p = h.name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
    if (!p) {
      item.resume();
      continue;
    }
    const type: LayerEntryType = h.type === "file" || h.type === "contiguous-file" ? "file"
      : h.type === "directory" ? "dir" : h.type === "symlink" ? "symlink" : h.type === "link" ? "hardlink" : "other";
    const entry: LayerEntry = {
      path: p, type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, size: type === "file" ? (h.size ?? 0) : 0,
      ...(h.linkname ? { linkname: h.linkname } : {}),
    };
    await visit(entry, item as unknown as AsyncIterable<Buffer>);
    item.resume();
  }
  await feeding;
  return tarSize;
}

/** A layer's entries in tar order, with the content of the regular files `want` names. */
export async function listLayer(layer: Layer, want: (path: string) => boolean = () => false): Promise<FlatEntry[]> {
  const out: FlatEntry[] = [];
  await readLayer(layer, async (e, content) => {
    if (e.type !== "file" || !want(e.path)) return void out.push(e);
    const chunks: Buffer[] = [];
    for await (const c of content) chunks.push(c);
    out.push({ ...e, content: Buffer.concat(chunks) });
  });
  return out;
}

/**
 * The final filesystem, path → entry. `list` gives a layer's entries in tar order, whiteouts as
 * their `.wh.` paths (default: read from the layer, with the content of the files `want` names);
 * the caller's own entry type passes through, so a cached listing flattens the same way.
 */
export async function flatten<E extends { path: string } = FlatEntry>(
  layers: readonly Layer[],
  list: (layer: Layer, index: number) => Promise<Iterable<E>> = (layer) => listLayer(layer) as unknown as Promise<E[]>,
): Promise<Map<string, E>> {
  const byPath = new Map<string, E>();
  for (const [index, layer] of layers.entries()) {
    for (const e of await list(layer, index)) if (!applyWhiteout(byPath, e.path)) byPath.set(e.path, e);
  }
  return byPath;
}

/** `flatten` of the layers as they are, with the content of the regular files `want` names. */
export function flattenWanting(layers: readonly Layer[], want: (path: string) => boolean): Promise<Map<string, FlatEntry>> {
  return flatten(layers, (layer) => listLayer(layer, want));
}
