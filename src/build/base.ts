// The base image of `fromImage`: its layers, reused byte for byte from the store, its config, and
// what the build needs to know of its files — every path (so the closure counts what the base
// already provides) and the account and package databases that cairn's own would otherwise hide.
import { pipeline } from "node:stream/promises";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../errors.js";
import { flatten, listLayer } from "../image/flatten.js";
import { storedLayer, type LayerRecord } from "../image/layer.js";
import type { Layer } from "../image/types.js";
import type { BaseView } from "../fs/types.js";
import { parseReference } from "../transports/registry/reference.js";
import type { BuildContext } from "./context.js";
import { dockerArchive, isDirectory, storeDockerArchive } from "../transports/archive/source.js";

/** Bumped when what is read from base layers changes. */
const BASE_FORMAT = 1;
const WANTED = new Set(["etc/passwd", "etc/group", "var/lib/dpkg/status"]);

export interface BaseImage extends BaseView {
  reference: string;
  layers: Layer[];
  config: { config?: Record<string, unknown>; history?: unknown[]; rootfs?: { diff_ids?: string[] } };
}

interface LayerScan {
  entries: [string, "file" | "dir" | "symlink" | "hardlink", string][];
  files: Record<string, string>;
}

export async function loadBase(reference: string, digest: string, architecture: string, ctx: BuildContext): Promise<BaseImage> {
  const key = `${BASE_FORMAT}-${digest}-${architecture}`;
  let record = await ctx.store.getEntry<{ reference: string; config: BaseImage["config"]; layers: LayerRecord[] }>("base", key);
  const present = record && (await Promise.all(record.layers.map((l) => ctx.store.hasBlob(l.digest.slice(7))))).every(Boolean);
  if ((!record || !present) && reference.startsWith("/")) {
    record = await loadArchive(reference, digest, ctx);
    await ctx.store.putEntry("base", key, record);
  } else if (!record || !present) {
    if (ctx.offline) throw new CairnError(ErrorCode.OFFLINE_MISSING, `--offline, but the cache lacks the base image ${reference}@${digest}.`, "Build once without --offline to fill the cache.");
    const { pullImage } = await import("../transports/registry/pull.js");
    const registry = parseReference(reference).registry;
    const access = (await ctx.registryAccess?.(registry)) ?? {};
    const pulled = await pullImage(`${reference.replace(/[:@][^/]*$/, "")}@${digest}`, {
      store: ctx.store, platform: { os: "linux", architecture }, reporter: ctx.reporter, ...access,
    });
    record = { reference: pulled.reference, config: pulled.configJson, layers: pulled.layers.map((l) => ({ diffId: l.diffId, digest: l.digest, size: l.size, mediaType: l.mediaType })) };
    await ctx.store.putEntry("base", key, record);
  }
  return baseFromLayers(record.reference, record.layers.map((l) => storedLayer(l, ctx.store)), record.config, ctx);
}

/** A base from layers at hand (pulled, from a file, or built by this definition). */
export async function baseFromLayers(reference: string, layers: Layer[], config: BaseImage["config"], ctx: BuildContext): Promise<BaseImage> {
  // Each layer listed from its cached scan, the few files wanted riding along with their entries.
  const final = await flatten(layers, async (layer) => {
    const scan = await scanLayer(layer, ctx);
    return scan.entries.map(([path, type, linkname]) => ({ path, type, linkname, text: scan.files[path] }));
  });
  const paths: BaseImage["paths"] = new Map();
  const files = new Map<string, string>();
  for (const [p, e] of final) {
    paths.set(p, { type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}) });
    if (e.text !== undefined) files.set(p, e.text);
  }
  return { reference, layers, config, paths, files };
}

/** Every blob of an image tar into the store, each verified against its name; then the image. */
async function loadArchive(file: string, digest: string, ctx: BuildContext): Promise<{ reference: string; config: BaseImage["config"]; layers: LayerRecord[] }> {
  if (await isDirectory(file)) {
    // An OCI layout directory: its blobs are files already.
    const dir = path.join(file, "blobs", "sha256");
    for (const hex of (await readdir(dir)).sort()) {
      if (/^[0-9a-f]{64}$/.test(hex) && !(await ctx.store.hasBlob(hex))) await ctx.store.writeBlobStream(createReadStream(path.join(dir, hex)), hex, `blob ${hex.slice(0, 12)} of ${file}`);
    }
  } else {
    const tar = await import("tar-stream");
    const extract = tar.extract();
    const feeding = pipeline(createReadStream(file), extract);
    feeding.catch(() => {});
    let oci = false;
    for await (const item of extract) {
      const m = /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/.exec(item.header.name);
      if (/^(?:\.\/)?index\.json$/.test(item.header.name)) oci = true;
      if (m && item.header.type === "file") await ctx.store.writeBlobStream(item as unknown as AsyncIterable<Uint8Array>, m[1], `blob ${m[1].slice(0, 12)} of ${file}`);
      else item.resume();
    }
    await feeding;
    if (!oci) {
      // A docker-archive (docker save before 25, skopeo's docker-archive:): the manifest made for it.
      const archive = await dockerArchive(file, ctx.store);
      if (archive.digest !== digest) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file} changed since cairn.lock pinned it (${digest}; it is now ${archive.digest}).`, "Run `cairn lock` to pin it anew.");
      await storeDockerArchive(file, archive, ctx.store);
    }
  }
  const json = async (d: string) => JSON.parse((await ctx.store.readBlob(d.slice(7))).toString("utf8"));
  const manifest = await json(digest);
  if (!Array.isArray(manifest.layers) || !manifest.config?.digest) {
    throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: ${digest} is not a single-image manifest.`, "Give an archive of one image (cairn build, skopeo copy --override-arch ..., docker save of one tag).");
  }
  const config = await json(manifest.config.digest);
  const diffIds: string[] = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: the config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}.`, "The archive is inconsistent; write it again.");
  const layers = (manifest.layers as { digest: string; size: number; mediaType: string }[]).map((l, i) => ({ digest: l.digest, diffId: diffIds[i]!, size: l.size, mediaType: l.mediaType }));
  for (const l of layers) if (!/tar(\+gzip)?$|tar\.gzip$/.test(l.mediaType)) throw new CairnError(ErrorCode.BAD_REFERENCE, `${file}: layer ${l.digest} is ${l.mediaType}; cairn reads tar and tar+gzip layers.`, "Convert it with skopeo copy to oci-archive: first.");
  return { reference: `file:${file}`, config, layers: layers as unknown as LayerRecord[] };
}

/** A layer's entries and the few files cairn merges with, cached by the layer's digest. */
async function scanLayer(layer: Layer, ctx: BuildContext): Promise<LayerScan> {
  const key = `${BASE_FORMAT}-${layer.digest.slice(7)}`;
  const cached = await ctx.store.getEntry<LayerScan>("base-layer", key);
  if (cached) return cached;
  const scan: LayerScan = { entries: [], files: {} };
  for (const e of await listLayer(layer, (p) => WANTED.has(p))) {
    // As this cache has always held them: whatever is not a directory or a link counts as a file.
    scan.entries.push([e.path, e.type === "other" ? "file" : e.type, e.linkname ?? ""]);
    if (e.content) scan.files[e.path] = e.content.toString("utf8");
  }
  await ctx.store.putEntry("base-layer", key, scan);
  return scan;
}
