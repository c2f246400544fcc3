// The commands as plain async functions (tests call them without argv). They read the
// environment — clock, SOURCE_DATE_EPOCH, cwd — here, at the edge, and hand values inward.
import * as path from "node:path";
import { httpFetcher } from "../debian/http.js";
import { lockedImageOf, lockOf, pinsFrom, readLock, withSources, writeLock, type LockedSources, type LockFile } from "../debian/lockfile.js";
import type { Resolution } from "../debian/resolution.js";
import { CairnError, ErrorCode } from "../errors.js";
import { closeGzipWorkers } from "../image/gzip-pool.js";
import { archiveSink, writeArchive } from "../transports/archive/sink.js";
import { mergeSources, type Built } from "../build/build.js";
import { buildPlatforms, parsePlatformFlag, type PlatformBuilt } from "../build/platforms.js";
import type { Reporter } from "../report.js";
import type { BuildContext } from "../build/context.js";
import { DEFAULT_LIMITS, withLimit } from "../debian/deb-limits.js";
import { loadCacheKey, sealerFor } from "../store/seal.js";
import { cairnFingerprint, IMAGE_SHAPING } from "../fingerprint.js";
import { canonicalJson, sha256Hex, Store } from "../store/store.js";
import * as os from "node:os";
import type { Image, ImageIndex } from "../image/types.js";
import type { ImageSpec } from "../define/spec.js";
import { stat } from "node:fs/promises";
import { Timings, timed } from "../timings.js";
import { platformName } from "../define/platform.js";
import { loadDefinition, pickImage } from "../load/definition.js";
import type { GlobalOptions } from "./main.js";
import { stderrReporter } from "./reporter.js";
import { registryAccess } from "../transports/registry/credentials.js";
import { parseReference } from "../transports/registry/reference.js";
import type { PushOptions } from "../transports/registry/push.js";
import { checkStoreRef } from "../transports/registry/store.js";
import { loadProjectConfig } from "./config.js";
import type { RemoteStore } from "../store/remote.js";
import type { DebSource } from "../debian/context.js";

export function makeContext(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): BuildContext {
  const reporter = stderrReporter({ quiet: g.quiet });
  const remote = remoteStoreOf(g, reporter, env);
  return {
    ...(remote ? { remote, debSources: [remoteDebs(remote)] } : {}),
    store: openStore(g.cacheDir, reporter, env),
    fetcher: httpFetcher(),
    now: new Date(),
    epoch: sourceDateEpoch(env["SOURCE_DATE_EPOCH"]),
    offline: g.offline,
    aptDir: env["CAIRN_APT_DIR"] ?? "/etc/apt",
    reporter,
    registryAccess: pullAccess(g.registry ?? {}, env),
    ...(g.limits?.length ? { debLimits: g.limits.reduce(withLimit, DEFAULT_LIMITS) } : {}),
    ...(g.compressor ? { compressor: g.compressor } : {}),
    ...(g.timings ? { timings: new Timings() } : {}),
  };
}

/** --store and its keys, else CAIRN_STORE…; opened on first use (keys read, credentials looked up). */
export function remoteStoreOf(g: GlobalOptions, reporter: Reporter, env: NodeJS.ProcessEnv): RemoteStore | undefined {
  // Flags, then the environment, then the project's cairn.config.json.
  const file = loadProjectConfig().store ?? {};
  const ref = g.store?.ref ?? (env["CAIRN_STORE"] || undefined) ?? file.ref;
  if (!ref) return undefined;
  checkStoreRef(ref);
  const push = g.store?.push ?? (env["CAIRN_STORE_PUSH"] !== undefined ? env["CAIRN_STORE_PUSH"] === "1" : file.push ?? false);
  const key = g.store?.key ?? (env["CAIRN_STORE_KEY"] || undefined) ?? file.key;
  const trust = g.store?.trust ?? (env["CAIRN_STORE_TRUST"] ? env["CAIRN_STORE_TRUST"].split(":").filter(Boolean) : file.trust ?? []);
  let opened: Promise<RemoteStore> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const { loadSigner, loadTrusted } = await import("../store/signing.js");
      const { registryStore } = await import("../transports/registry/store.js");
      const registry = parseReference(ref).registry;
      const { creds, insecure, caFile } = g.registry ?? {};
      const { credentials } = await registryAccess({ creds, insecure, caFile, only: registry }, env, os.homedir())(registry);
      const trusted = await loadTrusted(trust, key);
      if (!trusted.ids.length) reporter.warn(`the registry store ${ref}: no key is trusted (--store-trust FILE.pub), so only its blobs are used, not its entries`);
      return registryStore({
        ref, push, trusted, reporter, ...(key ? { signer: await loadSigner(key) } : {}),
        ...(credentials ? { credentials } : {}), ...(insecure ? { insecure: true } : {}), ...(caFile ? { caFile } : {}),
      });
    })());
  return {
    label: `the registry store ${ref}`,
    ref,
    pushing: push,
    openBlob: async (hex, what) => (await open()).openBlob(hex, what),
    fetchBlob: async (hex, local, what) => (await open()).fetchBlob(hex, local, what),
    getEntry: async (kind, k) => (await open()).getEntry(kind, k),
    putBlobs: async (blobs, local) => (await open()).putBlobs(blobs, local),
    hasEntry: async (kind, k) => (await open()).hasEntry(kind, k),
    putEntry: async (kind, k, value, blobs, local) => (await open()).putEntry(kind, k, value, blobs, local),
  };
}

/** The registry store as the first place a .deb is looked for: by its sha256, checked on the way in. */
function remoteDebs(remote: RemoteStore): DebSource {
  return { describe: () => remote.label, open: (p) => remote.openBlob(p.sha256, `${p.name} ${p.version}`) };
}

/** The cache, its records sealed with this user's key (or CAIRN_CACHE_KEY); said once if some are not. */
export function openStore(dir: string, reporter: Reporter, env: NodeJS.ProcessEnv = process.env): Store {
  let told = false;
  return new Store(dir, {
    sealer: sealerFor(loadCacheKey(env)),
    onUntrusted: () => {
      if (told) return;
      told = true;
      reporter.info(
        `cairn: the cache ${dir} holds records not sealed with this machine's cache key (another machine's, or changed); they are not trusted, and what they describe is made again. ` +
          "Machines that share a cache should share one secret in CAIRN_CACHE_KEY.",
      );
    },
  });
}

/** How base images are pulled: the chain pushes use, the flags scoped to the push's registry when there is one. */
function pullAccess(r: NonNullable<GlobalOptions["registry"]>, env: NodeJS.ProcessEnv): NonNullable<BuildContext["registryAccess"]> {
  const { creds, insecure, caFile, pushTo } = r;
  return registryAccess({ creds, insecure, caFile, ...(pushTo ? { only: parseReference(pushTo).registry } : {}) }, env, os.homedir());
}

function sourceDateEpoch(v: string | undefined): number {
  if (v === undefined || v === "") return 0;
  if (!/^\d+$/.test(v)) throw new CairnError(ErrorCode.USAGE, `SOURCE_DATE_EPOCH must be a number of seconds, got "${v}".`, "Unset it, or set it to e.g. the last commit's time: `git log -1 --format=%ct`.");
  return Number(v);
}

export interface BuildCommandOptions {
  file: string;
  attr?: string;
  out: string;
  stream: boolean;
  frozen: boolean;
  /** Push the image here too (`--push REF`). */
  push?: string;
  /** Load the image into docker or podman too. */
  load?: boolean;
  /** The engine for --load; default: whichever is set up. */
  engine?: "docker" | "podman";
  registry?: RegistryOptions;
  /** With push: attach an SBOM in this format to the pushed image as an OCI referrer. */
  sbom?: "spdx" | "cyclonedx";
  global: GlobalOptions;
}

export interface RegistryOptions {
  /** `user:password`; else CAIRN_REGISTRY_USER/CAIRN_REGISTRY_PASSWORD, else docker/podman login files. */
  creds?: string;
  insecure?: boolean;
  caFile?: string;
}

/** cairn.lock sits beside the definition. */
export function lockPathFor(definitionFile: string): string {
  return path.join(path.dirname(path.resolve(definitionFile)), "cairn.lock");
}

/** A build of one export of a definition file, and which export it was. */
export interface DefinitionBuilt extends Built {
  exportName: string;
  spec: ImageSpec;
  definitionFile: string;
  /** Built for several platforms: the index, and each platform's build (this one is the primary's). */
  index?: ImageIndex;
  platforms?: PlatformBuilt[];
}

/**
 * Loads the definition, picks the export and builds it (from the cache when nothing changed),
 * from the pins in cairn.lock; once the image is complete, the lock is written if a resolution changed.
 */
export async function buildFromDefinition(o: { file: string; attr?: string; frozen?: boolean; global: GlobalOptions }, ctx: BuildContext): Promise<DefinitionBuilt> {
  // The type check runs alongside the build and is awaited before anything is written.
  const def = await timed(ctx.timings, "load definition (compile)", () => loadDefinition(o.file, { store: ctx.store, typecheck: o.global.typecheck, checkAlongside: true, reporter: ctx.reporter }));
  const typeChecked = () => timed(ctx.timings, "type check (alongside the build)", () => def.checked);
  const { name, spec } = await Promise.resolve().then(() => pickImage(def, o.attr)).catch(async (e: unknown) => {
    await typeChecked();
    throw e;
  });
  ctx.reporter.info(`cairn: building ${name} (${spec.name}:${spec.tag}) from ${path.relative(process.cwd(), def.file) || def.file}`);
  const lockPath = lockPathFor(def.file);
  const lock = await readLock(lockPath);
  try {
    const asked = o.global.platform ? parsePlatformFlag(o.global.platform) : undefined;
    const options = { exportName: name, definitionFile: def.file, pins: pinsFrom(lock), sources: lock.sources ?? {}, lockLabel: lockPath, frozen: o.frozen };
    // A type error found while the build runs stops it there and then (nothing is written yet).
    const building = buildPlatforms(spec, options, ctx, asked);
    building.catch(() => {}); // awaited just below, or left behind by a type error
    const typeError = def.checked.then(() => new Promise<never>(() => {}));
    const { builds, index, primary } = await Promise.race([building, typeError]).catch(async (e: unknown) => {
      await typeChecked();
      throw e;
    });
    await typeChecked();
    const resolutions = new Map(builds.flatMap((b) => [...b.built.resolutions]));
    const sources: LockedSources = {};
    for (const { built } of builds) mergeSources(sources, built.sources);
    await saveResolutions(lockPath, lock, resolutions, ctx, sources);
    const built = primary.built;
    // The spec as the primary image was built: its architecture is that image's.
    const one = primary.arch !== spec.architecture ? { ...spec, architecture: primary.arch } : spec;
    return { ...built, resolutions, exportName: name, spec: one, definitionFile: def.file, ...(index ? { index, platforms: builds } : {}) };
  } finally {
    await closeGzipWorkers();
  }
}

/** Writes the lock when a resolution differs from what it holds; says so. */
export async function saveResolutions(lockPath: string, lock: LockFile, resolutions: ReadonlyMap<string, Resolution>, ctx: BuildContext, sources: LockedSources = {}): Promise<boolean> {
  const same = [...resolutions].every(([name, r]) => lock.images[name] && canonicalJson(lock.images[name]) === canonicalJson(lockedImageOf(r)))
    && canonicalJson(withSources(lock, sources).sources ?? {}) === canonicalJson(lock.sources ?? {});
  if (same) return false;
  const written = await writeLock(lockPath, lockOf(lock, resolutions, sources));
  if (written) ctx.reporter.info(`cairn: wrote ${path.relative(process.cwd(), lockPath) || lockPath}`);
  return written;
}

/** Options that cannot go together are refused before any work is done. */
export function checkBuildOptions(o: { stream?: boolean; push?: string; sbom?: string }): void {
  if (o.stream && o.push) throw new CairnError(ErrorCode.USAGE, "--stream and --push cannot be used together.", "Push with `cairn push`, or drop --stream.");
  if (o.sbom && !o.push) throw new CairnError(ErrorCode.USAGE, "--sbom attaches an SBOM to a pushed image, and there is no --push.", "Add --push REF, or write the SBOM to a file with `cairn sbom`.");
}

/** The image tar to stdout; a reader that goes away early (`| head`, a failed `docker load`) is named as such. */
async function streamArchive(image: Image | ImageIndex, ctx: BuildContext): Promise<void> {
  try {
    await writeArchive(image, process.stdout, { mtime: ctx.epoch });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EPIPE" && code !== "ERR_STREAM_DESTROYED") throw e;
    throw new CairnError(
      ErrorCode.OUTPUT_FAILED,
      "The program reading the image from cairn's standard output stopped before the image was complete.",
      "See that program's own error (e.g. `docker load`), or write the image to a file with -o.",
      { cause: e },
    );
  }
}

/** An -o into a folder that is not there fails before the build, not after it. */
async function checkOutputFolder(out: string): Promise<void> {
  const dir = path.dirname(path.resolve(out));
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new CairnError(ErrorCode.USAGE, `-o ${out}: the folder ${dir} does not exist.`, `Create it first (mkdir -p ${dir}), or pick another path with -o.`);
}

/** Build; returns the manifest digest (also printed as stdout's last line). */
export async function buildCommand(o: BuildCommandOptions, ctx = makeContext(o.global)): Promise<string> {
  try {
    return await buildAndWrite(o, ctx);
  } finally {
    if (ctx.timings) process.stderr.write(`${ctx.timings.format()}\n`);
  }
}

async function buildAndWrite(o: BuildCommandOptions, ctx: BuildContext): Promise<string> {
  checkBuildOptions(o);
  if (!o.stream) await checkOutputFolder(o.out);
  const built = await buildFromDefinition(o, ctx);
  const { image } = built;
  // What the tar, stdout and a push get: the index when there are several platforms.
  const output = built.index ?? image;
  const digest = built.index?.indexDigest ?? image.manifestDigest;
  if (o.load) {
    const { engineSink, pickEngine } = await import("../transports/engine/sink.js");
    const engine = pickEngine(process.env, o.engine);
    await engineSink(engine, process.env, ctx.epoch, (m) => ctx.reporter.info(`cairn: ${engine}: ${m}`)).write(image);
  }
  if (o.stream) {
    await streamArchive(output, ctx);
  } else {
    // An output file cairn wrote for this very image, untouched since, is left as it is.
    // The file is written again when the image or the code that writes it changed.
    const outKey = sha256Hex(`${path.resolve(o.out)}\0${cairnFingerprint([...IMAGE_SHAPING, "transports"])}`);
    const stampOf = async () => {
      const st = await stat(o.out).catch(() => undefined);
      return st ? `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}` : undefined;
    };
    const previous = await ctx.store.getEntry<{ digest: string; stamp: string }>("output", outKey);
    if (!(previous?.digest === digest && previous.stamp === (await stampOf()))) {
      await timed(ctx.timings, "write the tar", () => archiveSink(o.out, { mtime: ctx.epoch }).write(output));
      await ctx.store.putEntry("output", outKey, { digest, stamp: await stampOf() });
    }
    ctx.reporter.info(`cairn: wrote ${o.out} (${describeOutput(built)})`);
    if (o.push) return pushTo(built, o.push, o.registry ?? {}, ctx, o.sbom);
    process.stdout.write(`${digest}\n`);
  }
  return digest;
}

/** "5 layers, 12.3 MB compressed", or for an index each platform's, and the layers they share. */
function describeOutput(built: DefinitionBuilt): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const sum = (i: Image) => i.layers.reduce((n, l) => n + l.size, 0);
  if (!built.platforms) return `${built.image.layers.length} layers, ${mb(sum(built.image))} compressed`;
  const counts = new Map<string, number>();
  for (const p of built.platforms) for (const d of new Set(p.built.image.layers.map((l) => l.digest))) counts.set(d, (counts.get(d) ?? 0) + 1);
  const shared = [...counts.values()].filter((n) => n === built.platforms!.length).length;
  const each = built.platforms.map((p) => `${platformName(p.arch)}: ${p.built.image.layers.length} layers, ${mb(sum(p.built.image))}`).join("; ");
  return `an index of ${built.platforms.length} platforms — ${each}; ${shared} layer${shared === 1 ? "" : "s"} the same on all`;
}

export interface PushCommandOptions {
  file: string;
  attr?: string;
  ref: string;
  frozen?: boolean;
  registry?: RegistryOptions;
  /** Attach an SBOM in this format to the pushed image as an OCI referrer. */
  sbom?: "spdx" | "cyclonedx";
  global: GlobalOptions;
}

/** Build (from the cache when nothing changed) and push; prints the digest the registry reports. */
export async function pushCommand(o: PushCommandOptions, ctx = makeContext(o.global)): Promise<string> {
  try {
    return await pushTo(await buildFromDefinition(o, ctx), o.ref, o.registry ?? {}, ctx, o.sbom);
  } finally {
    if (ctx.timings) process.stderr.write(`${ctx.timings.format()}\n`);
  }
}

async function pushTo(built: DefinitionBuilt, ref: string, r: RegistryOptions, ctx: BuildContext, sbom?: "spdx" | "cyclonedx", env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { image } = built;
  const { pushImage, pushIndex } = await import("../transports/registry/push.js");
  const registry = parseReference(ref).registry;
  const { credentials } = await registryAccess({ ...r, only: registry }, env, os.homedir())(registry);
  ctx.reporter.info(`cairn: pushing ${image.repoTags[0]} to ${ref}`);
  // Blobs this cache pushed to another repository of the same registry are mounted from there
  // rather than uploaded (the registry uploads as usual when it cannot mount).
  const { repository } = parseReference(ref);
  const seenKey = sha256Hex(`pushed-repositories ${registry}`);
  const seen = (await ctx.store.getEntry<string[]>("registry", seenKey)) ?? [];
  // The registry store on the same registry holds the layers a build pushed there: mounted, not sent again.
  const store = ctx.remote ? parseReference(ctx.remote.ref) : undefined;
  const mountFrom = (store?.registry === registry && store.repository !== repository ? store.repository : undefined) ?? seen.find((r) => r !== repository);
  const result = await timed(ctx.timings, "push", () => (built.index ? (r: string, opts: PushOptions) => pushIndex(built.index!, r, opts) : (r: string, opts: PushOptions) => pushImage(image, r, opts))(ref, {
    ...(mountFrom ? { mountFrom } : {}),
    ...(credentials ? { credentials } : {}),
    ...(r.insecure ? { insecure: true } : {}),
    ...(r.caFile ? { caFile: r.caFile } : {}),
    reporter: ctx.reporter,
  }));
  ctx.reporter.info(
    result.uploadedBytes === 0
      ? `cairn: pushed ${result.reference}: no layer bytes uploaded (${result.mountedBlobs ? `${result.mountedBlobs} blobs mounted from ${mountFrom}, ` : ""}the registry had the rest)`
      : `cairn: pushed ${result.reference}: uploaded ${(result.uploadedBytes / 1e6).toFixed(1)} MB, ${result.skippedBlobs} blob${result.skippedBlobs === 1 ? "" : "s"} already there`,
  );
  await ctx.store.putEntry("registry", seenKey, [repository, ...seen.filter((r) => r !== repository)].slice(0, 8));
  if (sbom) {
    const { attachSbom } = await import("./sbom.js");
    // An SBOM per platform, each attached to its own manifest: scanners read the one they pulled.
    for (const one of built.platforms?.map((p) => ({ ...built, ...p.built, spec: { ...built.spec, architecture: p.arch } })) ?? [built]) {
      await attachSbom(one, ref, {
        format: sbom,
        ...(credentials ? { credentials } : {}), ...(r.insecure ? { insecure: true } : {}), ...(r.caFile ? { caFile: r.caFile } : {}),
      }, ctx);
    }
  }
  process.stdout.write(`${result.digest}\n`);
  return result.digest;
}


