// An environment: packages a build step, a derivation or `cairn shell` runs with, resolved and
// locked like an image (under its own name in cairn.lock) and assembled into a tree — the whole
// Depends closure, since a script may call anything its tools ship.
import { packagesOf, type Resolution } from "../debian/resolution.js";
import { debian } from "../define/index.js";
import type { DebianPackageSpec, DebianSetSpec, DerivationSpec, ImageSpec, StepSpec } from "../define/spec.js";
import { hostArchitecture } from "../define/platform.js";
import { DEFAULT_TRIM } from "../define/spec.js";
import type { FsEntry } from "../fs/types.js";
import { assemble } from "../fs/assemble.js";
import { imageLdSoCache } from "../closure/ld-so-cache.js";
import { selectPackages } from "../closure/select.js";
import type { BuildContext } from "./context.js";
import { fetchPackages } from "../debian/fetch.js";
import { packageRequest, resolveImage, type ResolveOptions } from "./resolve.js";
import type { Tools } from "../steps/context.js";

/** What every step and derivation gets, as Nix's stdenv gives a shell and the core utilities. */
export const STEP_TOOLS = ["bash", "coreutils", "dash", "findutils", "grep", "sed"];
/** runAsRoot runs under fakeroot: chown and chmod are recorded, not needed from the host. */
export const ROOT_STEP_TOOLS = [...STEP_TOOLS, "fakeroot"];

export interface Environment {
  /** Its key in cairn.lock. */
  lockName: string;
  spec: ImageSpec;
  resolution: Resolution;
}

export function environmentSpec(packages: DebianPackageSpec[], architecture: string): ImageSpec {
  return {
    kind: "image", layered: false, name: "cairn-environment", tag: "latest", contents: packages, users: [], groups: [], config: {},
    maxLayers: 1, closure: "depends", keep: [], exclude: [], trim: { ...DEFAULT_TRIM }, architecture,
  };
}

/** The package set extra tools come from: the one the image (or step) already uses, else the host's. */
export function toolSet(packages: DebianPackageSpec[], architecture: string): DebianSetSpec {
  return packages[0]?.set ?? { ...debian({ architecture }).spec };
}

export function stepPackages(step: StepSpec, defaults: string[], image: ImageSpec): DebianPackageSpec[] {
  const imagePackages = image.contents.filter((c): c is DebianPackageSpec => c.kind === "debian-package");
  const set = toolSet([...step.tools, ...imagePackages], image.architecture);
  const named = new Set(step.tools.map((t) => t.name));
  return [...step.tools, ...defaults.filter((d) => !named.has(d)).map((name): DebianPackageSpec => ({ kind: "debian-package", name, set }))];
}

export function derivationPackages(d: DerivationSpec, architecture: string): DebianPackageSpec[] {
  const own = d.inputs.filter((c): c is DebianPackageSpec => c.kind === "debian-package");
  const set = toolSet(own, architecture);
  const named = new Set(own.map((t) => t.name));
  return [...own, ...STEP_TOOLS.filter((n) => !named.has(n)).map((name): DebianPackageSpec => ({ kind: "debian-package", name, set }))];
}

export async function resolveEnvironment(
  lockName: string,
  packages: DebianPackageSpec[],
  architecture: string,
  pins: ReadonlyMap<string, Resolution>,
  ctx: BuildContext,
  options: ResolveOptions,
): Promise<Environment> {
  const spec = environmentSpec(packages, architecture);
  return { lockName, spec, resolution: await resolveImage(spec, lockName, pins.get(lockName), ctx, options) };
}

/** The environment's files: every package unpacked, plus the generated passwd, group and so on. */
export async function environmentEntries(env: Environment, ctx: BuildContext): Promise<FsEntry[]> {
  const { resolution, spec } = env;
  await fetchPackages(packagesOf(resolution), packageRequest(spec).sets, ctx, resolution.archiveDates);
  // Its own warnings (a package script's missing interpreter) are not the image's concern.
  const quiet = { ...ctx, reporter: { ...ctx.reporter, info: () => {} } };
  const selection = await selectPackages(spec, resolution, [], quiet);
  const tree = await assemble(spec, selection.packages, resolution.distribution, [], { ldSoCache: (t) => imageLdSoCache(t, spec.architecture) });
  return tree.entries();
}

/** What a step needs of an environment: its packages' hashes, and its files when it runs. */
export function toolsOf(env: Environment, ctx: BuildContext): Tools {
  return { hashes: packagesOf(env.resolution).map((p) => p.sha256), architecture: env.spec.architecture, entries: () => environmentEntries(env, ctx) };
}

export interface ImageEnvironments {
  /** By step kind ("runAsRoot", "extraCommands"). */
  steps: Map<string, Environment>;
  /** By derivation name. */
  derivations: Map<string, Environment>;
}

/** Resolves (or takes from the lock) every environment the image's steps and derivations use. */
export async function resolveEnvironments(
  spec: ImageSpec,
  exportName: string,
  derivations: DerivationSpec[],
  pins: ReadonlyMap<string, Resolution>,
  ctx: BuildContext,
  options: ResolveOptions,
  /** Of a platform's build (`@arm64`): derivations are locked by name, so each platform's apart. */
  lockSuffix = "",
): Promise<ImageEnvironments> {
  const steps = new Map<string, Environment>();
  for (const kind of ["extraCommands", "runAsRoot"] as const) {
    const step = spec[kind];
    if (step) steps.set(kind, await resolveEnvironment(`${exportName}#${kind}`, stepPackages(step, kind === "runAsRoot" ? ROOT_STEP_TOOLS : STEP_TOOLS, spec), spec.architecture, pins, ctx, options));
  }
  const drvs = new Map<string, Environment>();
  for (const d of derivations) {
    // A derivation that cross-compiles runs on the building machine's CPU (its packages were given that architecture).
    const arch = d.crossCompiles ? hostArchitecture() : spec.architecture;
    drvs.set(d.name, await resolveEnvironment(`derivation:${d.name}${lockSuffix}`, derivationPackages(d, arch), arch, pins, ctx, options));
  }
  return { steps, derivations: drvs };
}

export function environmentsOf(e: ImageEnvironments): Environment[] {
  return [...e.steps.values(), ...e.derivations.values()];
}
