// One reading of an image for every inspector (size, diff, graph, why, sbom): each layer's
// entries (whiteouts included, as dive needs them), the final filesystem with the layer each path
// comes from, and the Debian packages installed (dpkg's status and file lists, read from the
// layers themselves — so an image cairn did not build is read the same way).
import { createHash } from "node:crypto";
import { parseParagraphs } from "../debian/control.js";
import { parseRelations } from "../debian/relations.js";
import { mergedUsrPath } from "../fs/usrmerge.js";
import { applyWhiteout, whiteoutOf } from "../fs/whiteout.js";
import { readLayer, type LayerEntry as FlatLayerEntry } from "../image/flatten.js";
import { getListing, putListing, wantsText, type LayerListing } from "../image/listing.js";
import type { ImageConfigJson, ImageView, Layer } from "../image/types.js";
import type { Store } from "../store/store.js";
import { configJson, imageName } from "../image/view.js";

export type EntryKind = "file" | "dir" | "symlink" | "hardlink" | "whiteout" | "opaque" | "other";

export interface LayerEntry {
  /** Path without leading "/"; for whiteouts, the path removed (not the .wh. name). */
  path: string;
  kind: EntryKind;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
}

export interface InspectedLayer {
  index: number;
  digest: string;
  /** Bytes as stored (compressed). */
  storedSize: number;
  /** Sum of the file sizes in the layer's tar. */
  contentSize: number;
  /** Bytes of the layer's tar, uncompressed (headers and padding included). */
  tarSize?: number;
  entries: LayerEntry[];
  /** The config history's `created_by` for this layer. */
  createdBy?: string;
}

export interface FinalFile {
  path: string;
  kind: Exclude<EntryKind, "whiteout" | "opaque">;
  size: number;
  /** Index of the layer the path's final version comes from. */
  layer: number;
  linkname?: string;
  /** The Debian package whose file list names it. */
  package?: string;
  /** sha256 (hex) of a regular file's content; only with `inspect(…, { hashFiles: true })`. */
  sha256?: string;
}

export interface InstalledPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package name (dpkg's Source field, without version), else the name. */
  source: string;
  /** Raw Depends and Pre-Depends, joined. */
  depends: string;
  /** Names of installed packages it depends on (any alternative that is installed). */
  dependsOn: string[];
  /** Files of the final filesystem the package owns (from its .list). */
  files: string[];
  /** Sum of those files' sizes. */
  size: number;
  /** The text of /usr/share/doc/NAME/copyright, when the image has it. */
  copyright?: string;
  /** dpkg's md5sums for its files, when present. */
  md5sums?: Map<string, string>;
}

export interface InspectedImage {
  reference: string;
  manifestDigest?: string;
  config: ImageConfigJson;
  layers: InspectedLayer[];
  files: Map<string, FinalFile>;
  packages: InstalledPackage[];
  /** /etc/os-release fields, when present. */
  osRelease: Record<string, string>;
  /** npm and Python packages installed outside Debian's (an application's node_modules, pip's site-packages). */
  languagePackages?: LanguagePackage[];
}

export interface LanguagePackage {
  ecosystem: "npm" | "pypi";
  name: string;
  version: string;
  /** As the package declares it (package.json's license, METADATA's License-Expression or License). */
  license?: string;
  /** The folder it is installed in (without leading "/"). */
  path: string;
}

export interface InspectOptions {
  /** Hash every regular file (FinalFile.sha256), for diff; off by default, as it reads every byte. */
  hashFiles?: boolean;
  /**
   * Where layer listings are kept: a layer listed before is not read again, one read is listed.
   * Only for an image whose layers are this store's own blobs (a build's), never for a tar's.
   */
  store?: Store;
}

export async function inspect(source: ImageView, options: InspectOptions = {}): Promise<InspectedImage> {
  const layers: InspectedLayer[] = [];
  const files = new Map<string, FinalFile>();
  const texts = new Map<string, string>();
  const config = configJson(source);
  const history = (config.history ?? []).filter((h) => !h.empty_layer);

  for (const [index, layer] of source.layers.entries()) {
    const { listing, hashes } = await listLayer(layer, options);
    const entries: LayerEntry[] = [];
    for (const [i, e] of listing.entries.entries()) {
      const p = e.path;
      const wh = whiteoutOf(p);
      const kind: EntryKind = wh ? (wh.opaque ? "opaque" : "whiteout") : e.type;
      const target = wh ? wh.target : p;
      const size = kind === "file" ? e.size : 0;
      const linkname = e.linkname?.replace(/^\.?\/+/, "");
      entries.push({ path: target, kind, size, mode: e.mode, uid: e.uid, gid: e.gid, ...(linkname ? { linkname } : {}) });
      const text = kind === "file" ? listing.texts[p] : undefined;
      if (text !== undefined) texts.set(p, text);
      const sha256 = hashes[i];
      // The final filesystem, layer over layer.
      if (kind === "whiteout" || kind === "opaque") {
        applyWhiteout(files, p);
        applyWhiteout(texts, p);
      } else if (kind !== "other") {
        files.set(target, { path: target, kind, size, layer: index, ...(linkname ? { linkname } : {}), ...(sha256 ? { sha256 } : {}) });
      }
    }
    layers.push({
      index, digest: layer.digest, storedSize: layer.size, contentSize: entries.reduce((n, e) => n + e.size, 0), tarSize: listing.tarSize, entries,
      ...(history[index]?.created_by ? { createdBy: history[index]!.created_by } : {}),
    });
  }

  const packages = installedPackages(texts, files);
  const languagePackages = languagePackagesOf(texts, files);
  return {
    reference: imageName(source), ...(source.manifestDigest ? { manifestDigest: source.manifestDigest } : {}), config,
    layers, files, packages, osRelease: parseOsRelease(texts.get("etc/os-release") ?? texts.get("usr/lib/os-release") ?? ""),
    ...(languagePackages.length ? { languagePackages } : {}),
  };
}

/**
 * The npm and Python packages of the final filesystem that no Debian package ships (Debian's own
 * python3-* and node-* are listed as the Debian packages they are), sorted by ecosystem, name,
 * version and path. A manifest that does not read is left out.
 */
function languagePackagesOf(texts: Map<string, string>, files: Map<string, FinalFile>): LanguagePackage[] {
  const out: LanguagePackage[] = [];
  for (const [p, text] of texts) {
    if (files.get(p)?.package) continue;
    if (p.endsWith("/package.json") && /(^|\/)node_modules\//.test(p)) {
      let json: { name?: unknown; version?: unknown; license?: unknown };
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        continue;
      }
      if (typeof json.name !== "string" || typeof json.version !== "string") continue;
      const license = typeof json.license === "string" ? json.license : typeof (json.license as { type?: unknown })?.type === "string" ? (json.license as { type: string }).type : undefined;
      out.push({ ecosystem: "npm", name: json.name, version: json.version, ...(license ? { license } : {}), path: p.slice(0, -"/package.json".length) });
    } else if (p.endsWith(".dist-info/METADATA")) {
      const header = text.split(/\r?\n\r?\n/)[0] ?? "";
      const field = (k: string) => new RegExp(`^${k}:[ \\t]*(.+)$`, "mi").exec(header)?.[1]?.trim();
      const name = field("Name");
      const version = field("Version");
      if (!name || !version) continue;
      const license = field("License-Expression") ?? field("License");
      out.push({ ecosystem: "pypi", name, version, ...(license && license !== "UNKNOWN" ? { license } : {}), path: p.slice(0, -"/METADATA".length) });
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => cmp(a.ecosystem, b.ecosystem) || cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.path, b.path));
}

/**
 * A layer's listing: from the store when it was listed before (unless every file is to be hashed,
 * which needs the bytes), else read from its tar — and then kept, when there is a store.
 */
async function listLayer(layer: Layer, options: InspectOptions): Promise<{ listing: LayerListing; hashes: (string | undefined)[] }> {
  const known = options.store && !options.hashFiles ? await getListing(options.store, layer) : undefined;
  if (known) return { listing: known, hashes: [] };
  const entries: FlatLayerEntry[] = [];
  const listedTexts: Record<string, string> = {};
  const hashes: (string | undefined)[] = [];
  const tarSize = await readLayer(layer, async (e, content) => {
    entries.push(e);
    if (e.type === "file" && wantsText(e.path, e.size)) {
      const chunks: Buffer[] = [];
      for await (const c of content) chunks.push(c);
      const bytes = Buffer.concat(chunks);
      listedTexts[e.path] = bytes.toString("utf8");
      if (options.hashFiles) hashes[entries.length - 1] = createHash("sha256").update(bytes).digest("hex");
    } else if (e.type === "file" && options.hashFiles) {
      const hash = createHash("sha256");
      for await (const c of content) hash.update(c);
      hashes[entries.length - 1] = hash.digest("hex");
    }
  });
  const listing: LayerListing = { entries, texts: listedTexts, tarSize };
  if (options.store) await putListing(options.store, layer, listing);
  return { listing, hashes };
}

function installedPackages(texts: Map<string, string>, files: Map<string, FinalFile>): InstalledPackage[] {
  const paragraphs = [
    ...parseParagraphs(texts.get("var/lib/dpkg/status") ?? ""),
    // distroless keeps one status file per package.
    ...[...texts.entries()].filter(([p]) => p.startsWith("var/lib/dpkg/status.d/")).flatMap(([, t]) => parseParagraphs(t)),
  ].filter((p) => p["Package"] && (!p["Status"] || /\binstalled$/.test(p["Status"])));
  const installed = new Set(paragraphs.map((p) => p["Package"]!));
  const out: InstalledPackage[] = [];
  for (const p of paragraphs) {
    const name = p["Package"]!;
    const arch = p["Architecture"] ?? "";
    const list = texts.get(`var/lib/dpkg/info/${name}.list`) ?? texts.get(`var/lib/dpkg/info/${name}:${arch}.list`) ?? "";
    const md5 = texts.get(`var/lib/dpkg/info/${name}.md5sums`) ?? texts.get(`var/lib/dpkg/info/${name}:${arch}.md5sums`);
    // Lists name paths as packaged (bin/ls); on a merged-/usr image they live under usr/.
    const owned = list.split("\n").map((l) => l.replace(/^\/+/, "")).filter(Boolean).map((l) => (files.has(l) ? l : mergedUsrPath(l))).filter((l) => files.has(l) && files.get(l)!.kind !== "dir");
    for (const f of owned) files.get(f)!.package ??= name;
    const depends = [p["Pre-Depends"], p["Depends"]].filter(Boolean).join(", ");
    const dependsOn = [...new Set(parseRelations(depends).flatMap((alts) => alts.map((a) => a.name).filter((n) => installed.has(n)).slice(0, 1)))].sort();
    const copyright = texts.get(`usr/share/doc/${name}/copyright`);
    out.push({
      name, version: p["Version"] ?? "", architecture: arch, source: (p["Source"] ?? name).split(" ")[0]!, depends, dependsOn,
      files: owned.sort(), size: owned.reduce((n, f) => n + (files.get(f)?.size ?? 0), 0),
      ...(copyright ? { copyright } : {}),
      ...(md5 ? { md5sums: new Map(md5.split("\n").filter(Boolean).map((l) => [l.slice(34), l.slice(0, 32)] as [string, string])) } : {}),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  return out;
}
