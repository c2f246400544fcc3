// A build, start to end: resolve → fetch → assemble → layers → image. Each step is a function of
// the previous one's result; the lock is written only once the image is complete.
import * as path from "node:path";
import { readLock, withImage, writeLock, type LockFile } from "../debian/lockfile.js";
import type { ImageSpec } from "../define/spec.js";
import { buildConfig, defaultEnv } from "../image/config.js";
import { buildLayer } from "../image/layer.js";
import { buildManifest, describe, digestOf } from "../image/manifest.js";
import { MediaType, type Image, type Layer } from "../image/types.js";
import { assemble } from "./assemble.js";
import type { BuildContext } from "./context.js";
import { fetchPackages, unpackPackages } from "./fetch.js";
import { planImageLayers } from "./layers.js";
import { resolveImage, type ResolvedImage } from "./resolve.js";

export interface BuildOptions {
  /** The export's name: the image's key in cairn.lock. */
  exportName: string;
  /** The definition file; cairn.lock sits beside it and relative files are taken from its folder. */
  definitionFile: string;
  /** Refuse to change cairn.lock. */
  frozen?: boolean;
}

export interface BuildResult {
  image: Image;
  resolved: ResolvedImage;
  lockWritten: boolean;
}

export function lockPathFor(definitionFile: string): string {
  return path.join(path.dirname(path.resolve(definitionFile)), "cairn.lock");
}

export async function build(spec: ImageSpec, options: BuildOptions, ctx: BuildContext): Promise<BuildResult> {
  const lockPath = lockPathFor(options.definitionFile);
  const lock: LockFile = await readLock(lockPath);
  const resolved = await resolveImage(spec, options.exportName, lock, ctx, { frozen: options.frozen, lockPath });

  await fetchPackages(resolved.packages, resolved.sets, ctx);
  const unpacked = await unpackPackages(resolved.packages, ctx);
  const tree = await assemble(spec, unpacked, resolved.packages.length ? resolved.image.distribution : undefined, path.dirname(path.resolve(options.definitionFile)));

  const graph = {
    nodes: resolved.packages.map((p) => p.name),
    edges: resolved.image.edges.map((e) => e.split(" -> ") as [string, string]),
    roots: resolved.image.request.roots.map((r) => r.split("=")[0]!),
  };
  const plan = planImageLayers(tree, spec.layered, spec.maxLayers, graph);
  ctx.reporter.info(`cairn: ${tree.size} paths in ${plan.layers.length} layer${plan.layers.length > 1 ? "s" : ""}`);
  const layers: Layer[] = [];
  for (const entries of plan.layers) layers.push(await buildLayer(entries, ctx.epoch, ctx.store));

  const image = assembleImage(spec, layers, plan.descriptions, ctx);
  const lockWritten = resolved.changed ? await writeLock(lockPath, withImage(lock, options.exportName, resolved.image, resolved.packages)) : false;
  if (lockWritten) ctx.reporter.info(`cairn: wrote ${path.relative(process.cwd(), lockPath) || lockPath}`);
  return { image, resolved, lockWritten };
}

export function assembleImage(spec: ImageSpec, layers: Layer[], descriptions: string[], ctx: BuildContext): Image {
  const created = spec.created === "now" ? ctx.now.toISOString().replace(/\.\d+Z$/, "Z") : (spec.created ?? new Date(ctx.epoch * 1000).toISOString().replace(/\.\d+Z$/, "Z"));
  const config = buildConfig({
    config: { ...spec.config, Env: defaultEnv(spec.config.Env) },
    diffIds: layers.map((l) => l.diffId),
    created,
    architecture: ociArchitecture(spec.architecture),
    os: "linux",
    history: descriptions.map((d) => ({ created_by: d })),
  });
  const configDesc = describe(MediaType.ociConfig, config);
  const manifest = buildManifest(configDesc, layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })));
  return {
    repoTags: [`${spec.name}:${spec.tag}`],
    config,
    configDigest: configDesc.digest,
    manifest,
    manifestDigest: digestOf(manifest),
    layers,
  };
}

/** Debian's architecture names in the OCI (GOARCH) spelling engines match platforms with. */
export function ociArchitecture(debianArch: string): string {
  const map: Record<string, string> = { i386: "386", armhf: "arm", armel: "arm", ppc64el: "ppc64le", mips64el: "mips64le", mipsel: "mipsle" };
  return map[debianArch] ?? debianArch;
}
