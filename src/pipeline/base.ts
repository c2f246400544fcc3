// The base image of `fromImage`: its layers, reused byte for byte from the store, its config, and
// what the build needs to know of its files — every path (so the closure counts what the base
// already provides) and the account and package databases that cairn's own would otherwise hide.
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CairnError, ErrorCode } from "../errors.js";
import { storedLayer, type LayerRecord } from "../image/layer.js";
import type { Layer } from "../image/types.js";
import { parseReference } from "../registry/reference.js";
import type { BuildContext } from "./context.js";

/** Bumped when what is read from base layers changes. */
const BASE_FORMAT = 1;
const WANTED = new Set(["etc/passwd", "etc/group", "var/lib/dpkg/status"]);

export interface BaseImage {
  reference: string;
  layers: Layer[];
  config: { config?: Record<string, unknown>; history?: unknown[]; rootfs?: { diff_ids?: string[] } };
  /** Every path in the base's final filesystem, with links. */
  paths: Map<string, { type: "file" | "dir" | "symlink" | "hardlink"; linkname?: string }>;
  /** Final contents of /etc/passwd, /etc/group, /var/lib/dpkg/status, where the base has them. */
  files: Map<string, string>;
}

interface LayerScan {
  entries: [string, "file" | "dir" | "symlink" | "hardlink", string][];
  files: Record<string, string>;
}

export async function loadBase(reference: string, digest: string, architecture: string, ctx: BuildContext): Promise<BaseImage> {
  const key = `${BASE_FORMAT}-${digest}-${architecture}`;
  let record = await ctx.store.getEntry<{ reference: string; config: BaseImage["config"]; layers: LayerRecord[] }>("base", key);
  const present = record && (await Promise.all(record.layers.map((l) => ctx.store.hasBlob(l.digest.slice(7))))).every(Boolean);
  if (!record || !present) {
    if (ctx.offline) throw new CairnError(ErrorCode.OFFLINE_MISSING, `--offline, but the cache lacks the base image ${reference}@${digest}.`, "Build once without --offline to fill the cache.");
    const { pullImage } = await import("../registry/pull.js");
    const registry = parseReference(reference).registry;
    const credentials = await ctx.credentialsFor?.(registry);
    const pulled = await pullImage(`${reference.replace(/[:@][^/]*$/, "")}@${digest}`, {
      store: ctx.store, platform: { os: "linux", architecture }, reporter: ctx.reporter, ...(credentials ? { credentials } : {}),
    });
    record = { reference: pulled.reference, config: pulled.configJson, layers: pulled.layers.map((l) => ({ diffId: l.diffId, digest: l.digest, size: l.size })) };
    await ctx.store.putEntry("base", key, record);
  }
  const layers = record.layers.map((l) => storedLayer(l, ctx.store));
  const paths: BaseImage["paths"] = new Map();
  const files = new Map<string, string>();
  for (const layer of layers) {
    const scan = await scanLayer(layer, ctx);
    for (const [p, type, linkname] of scan.entries) {
      const name = p.split("/").pop()!;
      if (name === ".wh..wh..opq") {
        const dir = p.slice(0, -name.length - 1);
        for (const k of [...paths.keys()]) if (k.startsWith(dir + "/")) paths.delete(k);
        continue;
      }
      if (name.startsWith(".wh.")) {
        const gone = p.slice(0, -name.length) + name.slice(4);
        for (const k of [...paths.keys()]) if (k === gone || k.startsWith(gone + "/")) paths.delete(k);
        files.delete(gone);
        continue;
      }
      paths.set(p, { type, ...(linkname ? { linkname } : {}) });
    }
    for (const [p, text] of Object.entries(scan.files)) files.set(p, text);
  }
  return { reference: record.reference, layers, config: record.config, paths, files };
}

/** A layer's entries and the few files cairn merges with, cached by the layer's digest. */
async function scanLayer(layer: Layer, ctx: BuildContext): Promise<LayerScan> {
  const key = `${BASE_FORMAT}-${layer.digest.slice(7)}`;
  const cached = await ctx.store.getEntry<LayerScan>("base-layer", key);
  if (cached) return cached;
  const tar = await import("tar-stream");
  const extract = tar.extract();
  const scan: LayerScan = { entries: [], files: {} };
  const feeding = pipeline(layer.compressed(), createGunzip(), extract);
  feeding.catch(() => {});
  for await (const item of extract) {
    const h = item.header;
    const p = h.name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
    const type = h.type === "directory" ? "dir" : h.type === "symlink" ? "symlink" : h.type === "link" ? "hardlink" : "file";
    if (p) scan.entries.push([p, type, h.linkname ?? ""]);
    if (type === "file" && WANTED.has(p)) {
      const chunks: Buffer[] = [];
      for await (const c of item as unknown as AsyncIterable<Buffer>) chunks.push(c);
      scan.files[p] = Buffer.concat(chunks).toString("utf8");
    } else item.resume();
  }
  await feeding;
  await ctx.store.putEntry("base-layer", key, scan);
  return scan;
}
