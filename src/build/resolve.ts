// Step 1 of a build: from the image's package names to exact packages. A lock entry whose request
// is unchanged is used as is (no index is fetched); otherwise the archives are read and resolved,
// preferring versions the lock already has — and with --frozen, any change is refused.
import * as path from "node:path";
import { loadUniverse } from "../debian/archive.js";
import type { LockedPackage, PackageRequest } from "../debian/lockfile.js";
import { resolutionOf, type BasePin, type Resolution } from "../debian/resolution.js";
import { resolve } from "../debian/resolver.js";
import type { DebianPackageSpec, DebianSetSpec, ImageSpec, LocalImageSpec, PulledImageSpec } from "../define/spec.js";
import { platformOf } from "../define/platform.js";
import { CairnError, ErrorCode } from "../errors.js";
import { canonicalJson } from "../store/store.js";
import type { BuildContext } from "./context.js";

export interface ResolveOptions {
  /** Refuse any change from the pin (`--frozen`). */
  frozen?: boolean;
  /**
   * Resolve anew (`cairn lock`): true takes the newest of everything; a set of names takes the
   * newest of those (and what they need), every other package keeping its pinned version where it can.
   */
  update?: boolean | ReadonlySet<string>;
  /** Where pins come from, for messages (the lock's path). */
  lockLabel: string;
  /** The definition's folder: a base image file is named relative to it. */
  definitionDir: string;
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

/**
 * The exact packages (and base image) for `spec`: its pin when the request is unchanged (no
 * index is read), else a fresh resolution that prefers the pinned versions.
 */
export async function resolveImage(spec: ImageSpec, name: string, pin: Resolution | undefined, ctx: BuildContext, options: ResolveOptions): Promise<Resolution> {
  const { request, sets } = packageRequest(spec);
  // A base image file counts as unchanged only while its manifest digest is the one pinned.
  const fileBase = request.base && "file" in request.base ? await pinBase(request, pin, false, ctx, options.definitionDir) : undefined;
  const same = pin && canonicalJson(pin.request) === canonicalJson(request) && (!fileBase || fileBase.digest === pin.base?.digest);
  if (same && !options.update && !pin.incomplete) return pin;
  if (options.frozen) {
    throw new CairnError(
      ErrorCode.LOCK_DRIFT,
      pin
        ? `Image "${name}" asks for other packages than ${options.lockLabel} records (--frozen): locked ${pin.request.roots.join(", ") || "none"}, asked ${request.roots.join(", ") || "none"}.`
        : `Image "${name}" is not in ${options.lockLabel} (--frozen).`,
      "Run `cairn lock` (or build without --frozen) and commit the updated cairn.lock.",
      { data: { path: options.lockLabel, subject: name } },
    );
  }
  const base = fileBase ?? (await pinBase(request, pin, options.update === true, ctx, options.definitionDir));
  if (request.roots.length === 0) {
    return resolutionOf({ request, packages: [], edges: [], distribution: { origin: "Debian", codename: "unknown" }, ...(base ? { base } : {}) });
  }

  const { universe, distribution, archiveDates } = await loadUniverse(sets, ctx);
  const prefer = new Map<string, string>();
  if (options.update !== true) for (const p of pin?.packages.values() ?? []) if (!(options.update instanceof Set && options.update.has(p.name))) prefer.set(p.name, p.version);
  const roots = request.roots.map((r) => {
    const eq = r.indexOf("=");
    return eq > 0 ? { name: r.slice(0, eq), version: r.slice(eq + 1) } : { name: r };
  });
  const solution = resolve(universe, roots, { prefer });
  const packages: LockedPackage[] = solution.packages.map((p) => ({
    name: p.name, version: p.version, architecture: p.architecture, filename: p.filename, sha256: p.sha256, size: p.size,
    suite: p.repository.suite, component: p.repository.component,
  }));
  ctx.reporter.info(`cairn: resolved ${packages.length} packages for ${name}`);
  return resolutionOf({ request, packages, edges: solution.edges, distribution, archiveDates, ...(base ? { base } : {}) });
}

/** The base image's manifest digest: as the definition pins it, as the lock has it, or the tag's now. */
function baseRequest(f: PulledImageSpec | LocalImageSpec): NonNullable<PackageRequest["base"]> {
  if (f.kind === "local-image") return { file: f.path };
  return { imageName: f.imageName, ...(f.tag ? { tag: f.tag } : {}), ...(f.imageDigest ? { imageDigest: f.imageDigest } : {}) };
}

async function pinBase(request: PackageRequest, pin: Resolution | undefined, update: boolean, ctx: BuildContext, definitionDir: string): Promise<BasePin | undefined> {
  const b = request.base;
  if (!b) return undefined;
  if ("file" in b) {
    // A file's content is what it is: its manifest digest is read each time and recorded.
    const { asWanted, localManifestDigest } = await import("../transports/archive/source.js");
    const file = path.resolve(definitionDir, b.file);
    // A file of several platforms (cairn's index tar) gives this build's architecture's image.
    return { reference: `file:${b.file}`, digest: await localManifestDigest(file, ctx.store, asWanted(platformOf(request.architecture))) };
  }
  const reference = `${b.imageName}${b.tag ? `:${b.tag}` : b.imageDigest ? "" : ":latest"}`;
  if (b.imageDigest) return { reference, digest: b.imageDigest };
  if (!update && pin?.base && canonicalJson(pin.request.base) === canonicalJson(b)) return pin.base;
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
