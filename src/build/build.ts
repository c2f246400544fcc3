// A build, start to end: resolve → fetch → assemble → layers → image. Each step is a function of
// the previous one's result. The build reads no lock and writes none: it starts from the pins it is
// given and returns every resolution it used, for the command to write once the image is complete.
import * as path from "node:path";
import { packagesOf, type Resolution } from "../debian/resolution.js";
import type { LockedPackage, LockedSources } from "../debian/lockfile.js";
import type { ContainerConfig, ImageSpec } from "../define/spec.js";
import { buildConfig, defaultEnv } from "../image/config.js";
import { buildLayer, layerBytes, storedLayer, type LayerRecord } from "../image/layer.js";
import { inputKey } from "../store/store.js";
import { CairnError, ErrorCode } from "../errors.js";
import { cairnFingerprint } from "../fingerprint.js";
import { buildManifest, describe, digestOf } from "../image/manifest.js";
import { MediaType, type Image, type Layer } from "../image/types.js";
import { assemble, userEntries, type UnpackedPackage } from "../fs/assemble.js";
import { checkPrograms, selectPackages, type Said } from "../closure/select.js";
import { baseFromLayers, loadBase, type BaseImage } from "./base.js";
import type { BuildContext } from "./context.js";
import { mapLimit } from "../concurrency.js";
import { timed } from "../timings.js";
import { platformOf } from "../define/platform.js";
import { imageLdSoCache } from "../closure/ld-so-cache.js";
import { fetchPackages } from "../debian/fetch.js";
import { planImageLayers } from "../image/layer-plan.js";
import { packageRequest, resolveImage } from "./resolve.js";
import { fetchSources } from "./fetch-sources.js";
import { notePythonVersions, pinSources } from "./pin-sources.js";
import { expandPythonProjects } from "./python-project.js";
import { environmentsOf, resolveEnvironments, toolsOf, environmentEntries } from "./environment.js";
import { buildDerivation, derivationsOf } from "../steps/derivation.js";
import { runImageStep } from "../steps/image-step.js";
import type { FsEntry } from "../fs/types.js";
import { applyStep, followStepOutputs, stepView, type StepOutput } from "../steps/apply.js";
import { baseEntries } from "../steps/base-files.js";

/** Bumped when how layers are made from the same inputs changes. */
const IMAGE_FORMAT = 1;

export interface BuildOptions {
  /** The export's name: the image's key in cairn.lock. */
  exportName: string;
  /** The definition file: relative files (and a base image file) are taken from its folder. */
  definitionFile: string;
  /** What the lock pins, by name in the lock (`pinsFrom(readLock(...))`); empty for none. */
  pins: ReadonlyMap<string, Resolution>;
  /** Where the pins came from, for messages (the lock's path). */
  lockLabel: string;
  /** Refuse any resolution other than the pins. */
  frozen?: boolean;
  /** The sources cairn.lock pins (fetchurl() hashes, Python requirements), by URL and derivation. */
  sources?: LockedSources;
  /** Of one platform's build of several (`@arm64`): what derivations' names in cairn.lock end with. */
  lockSuffix?: string;
}

/** A built image and everything that went into it: what push, sbom and inspect take, with no lock read again. */
export interface Built {
  image: Image;
  /** The image's own packages (its Depends closure, and its base pin). */
  resolution: Resolution;
  /**
   * Every resolution the build used, by its name in cairn.lock: the image's, its build steps' and
   * derivations' environments, and a base this definition builds (`EXPORT^base`) with its own.
   */
  resolutions: Map<string, Resolution>;
  /** The names of the resolution's packages the image carries; the rest were left out as unused. */
  kept: string[];
  /** The sources it pinned or took from the lock (fetchurl() hashes, Python requirements), for cairn.lock. */
  sources: LockedSources;
}

interface LayersRecord {
  layers: LayerRecord[];
  descriptions: string[];
  kept?: string[];
  /** The closure check's warnings and notes, said again whenever the layers are reused. */
  said?: Said[];
}

export async function build(given: ImageSpec, options: BuildOptions, ctx: BuildContext): Promise<Built> {
  const definitionDir = path.dirname(path.resolve(options.definitionFile));
  const declared = expandPythonProjects(given, definitionDir, (t) => ctx.reporter.info(`cairn: note: ${t}`));
  const resolveOptions = { frozen: options.frozen, lockLabel: options.lockLabel, definitionDir };
  const t = ctx.timings;
  const resolution = await timed(t, "resolve", () => resolveImage(declared, options.exportName, options.pins.get(options.exportName), ctx, resolveOptions));
  notePythonVersions(declared.contents, resolution, (t) => ctx.reporter.info(t));
  const envs = await timed(t, "resolve", () => resolveEnvironments(declared, options.exportName, derivationsOf(declared.contents), options.pins, ctx, resolveOptions, options.lockSuffix));
  // From here on every source is pinned: the spec as built, not as declared.
  const { spec, pinned: sources } = await timed(t, "sources (fetchurl, pip pins)", () => pinSources(declared, {
    locked: options.sources ?? {}, frozen: options.frozen, lockLabel: options.lockLabel, definitionDir,
    toolsOf: (d) => toolsOf(envs.derivations.get(d.name)!, ctx),
  }, ctx));
  const derivations = derivationsOf(spec.contents);
  const resolutions = new Map<string, Resolution>([[options.exportName, resolution], ...environmentsOf(envs).map((e) => [e.lockName, e.resolution] as [string, Resolution])]);
  const allPackages = packagesOf(resolution);

  await timed(t, "sources (fetchurl, pip pins)", () => fetchSources(spec.contents, ctx));
  const user = await userEntries(spec, definitionDir, ctx.store);
  // Derivation outputs count as the user's own files (a layer each), their references checked alike.
  const outputs = new Map<string, FsEntry[]>();
  for (const d of derivations) outputs.set(d.name, await timed(t, "derivations", () => buildDerivation(d, toolsOf(envs.derivations.get(d.name)!, ctx), outputs, definitionDir, ctx)));
  for (const c of spec.contents) if (c.kind === "derivation") user.push(...outputs.get(c.name)!);
  const pin = resolution.base;
  // A file base is named relative to the definition; loadBase takes it by absolute path.
  const baseRef = pin?.reference.startsWith("file:") ? path.resolve(definitionDir, pin.reference.slice(5)) : pin?.reference;
  let base: BaseImage | undefined;
  if (pin) base = await loadBase(baseRef!, pin.digest, platformOf(spec.architecture).architecture, ctx);
  else if (spec.fromImage?.kind === "image") {
    const inner = await builtBase(spec.fromImage, options, ctx);
    base = inner.base;
    for (const [name, r] of inner.built.resolutions) resolutions.set(name, r);
    mergeSources(sources, inner.built.sources);
  }
  // --compressor over the definition's; gzip, the default, keeps the keys it always had.
  const compressor = ctx.compressor ?? spec.compressor ?? "gzip";
  // Everything the layers depend on — not the config, which is cheap to redo.
  const layersKey = inputKey({
    ...(compressor === "gzip" ? {} : { compressor }),
    format: IMAGE_FORMAT,
    cairn: cairnFingerprint(),
    epoch: ctx.epoch,
    packages: allPackages.map((p) => p.sha256),
    edges: resolution.edges.map((e) => `${e.from} -> ${e.to}`),
    distribution: resolution.distribution,
    base: pin?.digest ?? (base ? base.reference : null),
    user: user.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.sha256 ?? e.linkname ?? "", e.origin]),
    steps: environmentsOf(envs).map((e) => [e.lockName, packagesOf(e.resolution).map((p) => p.sha256)]),
    spec: { ...spec, name: undefined, tag: undefined, config: undefined, created: undefined },
  });
  const local = await ctx.store.getEntry<LayersRecord>("image-layers", layersKey);
  const cached = local?.kept && (await allBlobsPresent(local.layers, ctx)) ? local : await remoteLayers(layersKey, ctx);
  if (cached) {
    if (cached !== local) await ctx.store.putEntry("image-layers", layersKey, cached);
    else ctx.reporter.info(`cairn: nothing changed in the layers; reusing ${cached.layers.length} cached layer${cached.layers.length > 1 ? "s" : ""}`);
    sayAgain(cached.said, ctx);
    await shareLayers(layersKey, cached, allPackages, ctx);
    const image = assembleImage(spec, cached.layers.map((l) => storedLayer(l, ctx.store)), cached.descriptions, ctx, base);
    return { image, resolution, resolutions, kept: cached.kept!, sources };
  }

  await timed(t, "fetch .debs", () => fetchPackages(allPackages, packageRequest(spec).sets, ctx, resolution.archiveDates));
  // What the container runs is kept, and checked once the steps (which may make it) are done.
  const config = mergeConfig(base?.config.config ?? {}, spec.config);
  const first = await timed(t, "unpack and closure", () => selectPackages(spec, resolution, user, ctx, base, config));
  const reassemble = (packages: UnpackedPackage[]) => assemble(spec, packages, allPackages.length ? resolution.distribution : undefined, user, { base, report: ctx.reporter, ldSoCache: (tree) => imageLdSoCache(tree, spec.architecture, base) });
  const firstTree = await timed(t, "assemble", () => reassemble(first.packages));
  // The steps see the image as it stands, base image included; what they change replaces it,
  // what they delete leaves cairn's own layers and is whited out of the base's.
  const below = base && (spec.runAsRoot || spec.extraCommands) ? await baseEntries(base.layers, ctx) : [];
  const stepOutputs: StepOutput[] = [];
  for (const kind of ["extraCommands", "runAsRoot"] as const) {
    const step = spec[kind];
    if (!step) continue;
    const view = stepView(firstTree, below);
    const changes = await timed(t, "steps", () => runImageStep({ kind, step, env: toolsOf(envs.steps.get(kind)!, ctx), image: view, ctx }));
    applyStep(firstTree, changes, view, below, `step:${kind}`);
    stepOutputs.push({ kind, changes });
  }
  const tools = (kind: string) => environmentEntries(envs.steps.get(kind)!, ctx);
  const { selection, tree } = await timed(t, "assemble", () => followStepOutputs(stepOutputs, firstTree, first, below, base, tools, reassemble, ctx));
  await checkPrograms(tree.entries(), selection, config, base);

  const keptNames = new Set(selection.packages.map((p) => p.locked.name));
  const kept = [...keptNames].sort();
  const graph = {
    nodes: kept,
    edges: resolution.edges.filter((e) => keptNames.has(e.from) && keptNames.has(e.to)).map((e): [string, string] => [e.from, e.to]),
    roots: resolution.roots.filter((r) => keptNames.has(r)),
  };
  // An entry beneath a link would be written wherever the link points, when the image is unpacked.
  tree.checkNoEntryBeneathLinks(base?.paths);
  const plan = planImageLayers(tree, spec.layered, ownLayerBudget(spec, base, graph.nodes.length > 0), graph);
  ctx.reporter.info(`cairn: ${tree.size} paths in ${plan.layers.length} layer${plan.layers.length > 1 ? "s" : ""}`);
  // Two at a time, each compressing on its own worker thread; the biggest first.
  const layers: Layer[] = await timed(t, `layers (tar, ${compressor})`, () => mapLimit(plan.layers, 2, (entries) => buildLayer(entries, ctx.epoch, ctx.store, compressor), layerBytes));

  const record: LayersRecord = { layers: layers.map((l) => ({ diffId: l.diffId, digest: l.digest, size: l.size, ...(l.mediaType === MediaType.ociLayerGzip ? {} : { mediaType: l.mediaType }) })), descriptions: plan.descriptions, kept, said: selection.said };
  await ctx.store.putEntry("image-layers", layersKey, record);
  await shareLayers(layersKey, record, [...allPackages, ...environmentsOf(envs).flatMap((e) => packagesOf(e.resolution))], ctx);
  const image = assembleImage(spec, layers, plan.descriptions, ctx, base);
  return { image, resolution, resolutions, kept, sources };
}

/** A reused build's findings still stand: what it warned about is in these layers too. */
function sayAgain(said: unknown, ctx: BuildContext): void {
  if (!Array.isArray(said)) return;
  for (const s of said as Said[]) if ((s?.level === "warn" || s?.level === "info") && typeof s.text === "string") ctx.reporter[s.level](s.text);
}

export function mergeSources(into: LockedSources, from: LockedSources): void {
  if (from.fetchurl) into.fetchurl = { ...into.fetchurl, ...from.fetchurl };
  if (from.pip) into.pip = { ...into.pip, ...from.pip };
}

/** The layers from the registry store, when a trusted entry has them for this key and every blob comes. */
async function remoteLayers(key: string, ctx: BuildContext): Promise<LayersRecord | undefined> {
  const remote = ctx.remote;
  const record = await remote?.getEntry<LayersRecord>("image-layers", key);
  if (!remote || !record?.kept || !Array.isArray(record.layers)) return undefined;
  for (const l of record.layers) {
    const hex = typeof l.digest === "string" ? /^sha256:([0-9a-f]{64})$/.exec(l.digest)?.[1] : undefined;
    if (!hex) return undefined;
    if (!(await ctx.store.hasBlob(hex)) && !(await remote.fetchBlob(hex, ctx.store, `layer ${l.digest.slice(0, 19)}`))) return undefined;
  }
  ctx.reporter.info(`cairn: ${record.layers.length} layer${record.layers.length > 1 ? "s" : ""} from ${remote.label}`);
  return record;
}

/** With --store-push: the layers under their key, and the .debs they came from, for the next machine. */
async function shareLayers(key: string, record: LayersRecord, debs: readonly LockedPackage[], ctx: BuildContext): Promise<void> {
  if (!ctx.remote?.pushing) return;
  const blobs = record.layers.map((l) => ({ hex: l.digest.slice(7), size: l.size, mediaType: l.mediaType ?? MediaType.ociLayerGzip }));
  await ctx.remote.putEntry("image-layers", key, record, blobs, ctx.store);
  const unique = [...new Map(debs.map((p) => [p.sha256, p])).values()];
  await ctx.remote.putBlobs(unique.map((p) => ({ hex: p.sha256, size: p.size, mediaType: "application/vnd.debian.binary-package" })), ctx.store);
}

/**
 * How many layers this image may add: `maxLayers` counts the base's layers too, as dockerTools
 * does, so that the image stays under what engines accept (about 127 in all).
 */
function ownLayerBudget(spec: ImageSpec, base: BaseImage | undefined, hasPackages: boolean): number {
  const inBase = base?.layers.length ?? 0;
  const budget = spec.maxLayers - inBase;
  // Packages need a layer of their own below the generated files; files alone need one.
  const needed = spec.layered && hasPackages ? 2 : 1;
  if (spec.layered && budget < needed) {
    throw new CairnError(
      ErrorCode.DEFINITION_INVALID,
      `${spec.name}:${spec.tag}: maxLayers is ${spec.maxLayers}, and its base image ${base?.reference ?? ""} already has ${inBase} layer${inBase === 1 ? "" : "s"}, which leaves ${Math.max(0, budget)} for this image's own (it needs at least ${needed}).`,
      `Raise maxLayers to ${inBase + needed} or more (it counts the base's layers), or start from a base with fewer layers.`,
    );
  }
  return budget;
}

/** A base image this definition declares (`fromImage: base`): built first, locked under `EXPORT^base`. */
async function builtBase(spec: ImageSpec, options: BuildOptions, ctx: BuildContext): Promise<{ base: BaseImage; built: Built }> {
  const built = await build(spec, { ...options, exportName: `${options.exportName}^base` }, ctx);
  const { image } = built;
  // Named by its manifest digest, so the layers' cache key changes whenever the base does.
  const base = await baseFromLayers(`${spec.name}:${spec.tag}@${image.manifestDigest}`, [...image.layers], JSON.parse(image.config.toString("utf8")) as BaseImage["config"], ctx);
  return { base, built };
}

async function allBlobsPresent(layers: LayerRecord[], ctx: BuildContext): Promise<boolean> {
  for (const l of layers) if (!(await ctx.store.hasBlob(l.digest.slice(7)))) return false;
  return true;
}

export function assembleImage(spec: ImageSpec, ownLayers: Layer[], descriptions: string[], ctx: BuildContext, base?: BaseImage): Image {
  // The base's layers come first, unchanged; its config is the starting point, as Docker's FROM.
  const layers = [...(base?.layers ?? []), ...ownLayers];
  const created = spec.created === "now" ? ctx.now.toISOString().replace(/\.\d+Z$/, "Z") : (spec.created ?? new Date(ctx.epoch * 1000).toISOString().replace(/\.\d+Z$/, "Z"));
  const config = buildConfig({
    config: mergeConfig(base?.config.config ?? {}, spec.config),
    diffIds: layers.map((l) => l.diffId),
    created,
    architecture: platformOf(spec.architecture).architecture,
    os: "linux",
    history: [...baseHistory(base), ...descriptions.map((d) => ({ created_by: d }))],
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

/** Docker's FROM rule: the image's keys replace the base's; Env by variable, maps by key. */
export function mergeConfig(base: Record<string, unknown>, own: ContainerConfig): ContainerConfig {
  const b = base as ContainerConfig;
  const envName = (e: string) => e.split("=")[0];
  const ownNames = new Set((own.Env ?? []).map(envName));
  const env = [...(b.Env ?? []).filter((e) => !ownNames.has(envName(e))), ...(own.Env ?? [])];
  const merged: ContainerConfig = { ...pick(b), ...own, Env: defaultEnv(env) };
  for (const k of ["ExposedPorts", "Volumes", "Labels"] as const) {
    if (b[k] || own[k]) (merged as Record<string, unknown>)[k] = { ...(b[k] ?? {}), ...(own[k] ?? {}) };
  }
  return merged;
}

function pick(c: ContainerConfig): ContainerConfig {
  const keys = ["User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal"] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (c[k] !== undefined && c[k] !== null) out[k] = c[k];
  return out as ContainerConfig;
}

function baseHistory(base: BaseImage | undefined): { created_by?: string; comment?: string; empty_layer?: boolean }[] {
  if (!base) return [];
  const h = (base.config.history ?? []) as { created_by?: string; comment?: string; empty_layer?: boolean }[];
  const layered = h.filter((x) => !x.empty_layer).length;
  // A history that does not match the layers would make the config invalid: one entry per layer then.
  if (layered !== base.layers.length) return base.layers.map(() => ({ created_by: `base image ${base.reference}` }));
  return h.map((x) => ({ ...(x.created_by ? { created_by: x.created_by } : {}), ...(x.comment ? { comment: x.comment } : {}), ...(x.empty_layer ? { empty_layer: true } : {}) }));
}
