// Step 1 of a build: from the image's package names to exact packages. A lock entry whose request
// is unchanged is used as is (no index is fetched); otherwise the archives are read and resolved,
// preferring versions the lock already has — and with --frozen, any change is refused.
import * as path from "node:path";
import { loadUniverse } from "../debian/archive.js";
import { packageKey, type LockedImage, type LockedPackage, type LockFile, type PackageRequest } from "../debian/lockfile.js";
import { resolve } from "../debian/resolver.js";
import type { DebianPackageSpec, DebianSetSpec, ImageSpec, LocalImageSpec, PulledImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import { canonicalJson } from "../store/store.js";
import type { BuildContext } from "./context.js";

export interface ResolvedImage {
  image: LockedImage;
  packages: LockedPackage[];
  sets: DebianSetSpec[];
  /** True when this differs from what the lock held. */
  changed: boolean;
}

export function packageRequest(spec: ImageSpec): { request: PackageRequest; sets: DebianSetSpec[] } {
  const debs = spec.contents.filter((c): c is DebianPackageSpec => c.kind === "debian-package");
  const sets = uniqueBy(debs.map((d) => d.set), (s) => canonicalJson(s));
  const request: PackageRequest = {
    architecture: spec.architecture,
    sources: sets.map((s) => (s.sources ? { sources: s.sources } : { host: true, suite: s.suite ?? null })),
    roots: [...new Set(debs.map((d) => (d.version ? `${d.name}=${d.version}` : d.name)))].sort(),
    // A base built by the definition is pinned by its own lock entry, not here.
    ...(spec.fromImage && spec.fromImage.kind !== "image" ? { base: baseRequest(spec.fromImage) } : {}),
  };
  return { request, sets };
}

export async function resolveImage(
  spec: ImageSpec,
  name: string,
  lock: LockFile,
  ctx: BuildContext,
  options: { frozen?: boolean; update?: boolean; lockPath: string },
): Promise<ResolvedImage> {
  const { request, sets } = packageRequest(spec);
  const existing = lock.images[name];
  // A base image file counts as unchanged only while its manifest digest is the one pinned.
  const fileBase = request.base && "file" in request.base ? await pinBase(request, existing, false, ctx, path.dirname(options.lockPath)) : undefined;
  const same = existing && canonicalJson(existing.request) === canonicalJson(request) && (!fileBase || fileBase.digest === existing.base?.digest);
  if (same && !options.update && existing.packages.every((k) => lock.packages[k])) {
    return { image: existing, packages: existing.packages.map((k) => lock.packages[k]!), sets, changed: false };
  }
  if (options.frozen) {
    throw new CairnError(
      ErrorCode.LOCK_DRIFT,
      existing
        ? `Image "${name}" asks for other packages than ${options.lockPath} records (--frozen): locked ${existing.request.roots.join(", ") || "none"}, asked ${request.roots.join(", ") || "none"}.`
        : `Image "${name}" is not in ${options.lockPath} (--frozen).`,
      "Run `cairn lock` (or build without --frozen) and commit the updated cairn.lock.",
    );
  }
  const base = fileBase ?? (await pinBase(request, existing, options.update === true, ctx, path.dirname(options.lockPath)));
  if (request.roots.length === 0) {
    const image: LockedImage = { request, packages: [], edges: [], distribution: { origin: "Debian", codename: "unknown" }, ...(base ? { base } : {}) };
    return { image, packages: [], sets, changed: !existing || canonicalJson(existing) !== canonicalJson(image) };
  }

  const { universe, distribution } = await loadUniverse(sets, ctx);
  const prefer = new Map<string, string>();
  if (!options.update) for (const k of existing?.packages ?? []) {
    const p = lock.packages[k];
    if (p) prefer.set(p.name, p.version);
  }
  const roots = request.roots.map((r) => {
    const eq = r.indexOf("=");
    return eq > 0 ? { name: r.slice(0, eq), version: r.slice(eq + 1) } : { name: r };
  });
  const resolution = resolve(universe, roots, { prefer });
  const packages: LockedPackage[] = resolution.packages.map((p) => ({
    name: p.name, version: p.version, architecture: p.architecture, filename: p.filename, sha256: p.sha256, size: p.size,
    suite: p.repository.suite, component: p.repository.component,
  }));
  const image: LockedImage = {
    request,
    packages: packages.map(packageKey).sort(),
    edges: [...new Set(resolution.edges.filter((e) => e.from !== e.to).map((e) => `${e.from} -> ${e.to}`))].sort(),
    distribution,
    ...(base ? { base } : {}),
  };
  ctx.reporter.info(`cairn: resolved ${packages.length} packages for ${name}`);
  const changed = !existing || canonicalJson(existing) !== canonicalJson(image);
  return { image, packages, sets, changed };
}

/** The base image's manifest digest: as the definition pins it, as the lock has it, or the tag's now. */
function baseRequest(f: PulledImageSpec | LocalImageSpec): NonNullable<PackageRequest["base"]> {
  if (f.kind === "local-image") return { file: f.path };
  return { imageName: f.imageName, ...(f.tag ? { tag: f.tag } : {}), ...(f.imageDigest ? { imageDigest: f.imageDigest } : {}) };
}

async function pinBase(request: PackageRequest, existing: LockedImage | undefined, update: boolean, ctx: BuildContext, definitionDir: string): Promise<LockedImage["base"]> {
  const b = request.base;
  if (!b) return undefined;
  if ("file" in b) {
    // A file's content is what it is: its manifest digest is read each time and recorded.
    const { localManifestDigest } = await import("../transports/archive/source.js");
    const file = path.resolve(definitionDir, b.file);
    return { reference: `file:${b.file}`, digest: await localManifestDigest(file, ctx.store) };
  }
  const reference = `${b.imageName}${b.tag ? `:${b.tag}` : b.imageDigest ? "" : ":latest"}`;
  if (b.imageDigest) return { reference, digest: b.imageDigest };
  if (!update && existing?.base && canonicalJson(existing.request.base) === canonicalJson(b)) return existing.base;
  const { resolveDigest } = await import("../transports/registry/pull.js");
  const { parseReference } = await import("../transports/registry/reference.js");
  const access = (await ctx.registryAccess?.(parseReference(reference).registry)) ?? {};
  const digest = await resolveDigest(reference, access);
  ctx.reporter.info(`cairn: base image ${reference} is ${digest}`);
  return { reference, digest };
}

function uniqueBy<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const x of xs) if (!seen.has(key(x))) seen.set(key(x), x);
  return [...seen.values()];
}
