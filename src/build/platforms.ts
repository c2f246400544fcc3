// One definition, several platforms: built once per Debian architecture (every package set in it
// taking that architecture), each with its own resolution in cairn.lock, and put together as an
// OCI image index. Packages need no emulation: cairn runs no maintainer scripts, so only build
// steps care which CPU runs them.
import type { ImageSpec } from "../define/spec.js";
import { architecturesOf, crossCompiles, debianArchitecture, forArchitecture, hostArchitecture, platformName, platformOf } from "../define/platform.js";
import { buildPlatformIndex } from "../image/manifest.js";
import type { ImageIndex } from "../image/types.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import { build, type Built, type BuildOptions } from "./build.js";
import type { BuildContext } from "./context.js";

/** `--platform linux/amd64,linux/arm64` as Debian architectures; a usage error names what is wrong. */
export function parsePlatformFlag(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const arch = debianArchitecture(part);
    if (typeof arch !== "string") throw new CairnError(ErrorCode.USAGE, `--platform: ${arch.error}.`, "e.g. --platform linux/amd64,linux/arm64");
    if (!out.includes(arch)) out.push(arch);
  }
  if (!out.length) throw new CairnError(ErrorCode.USAGE, "--platform needs at least one platform.", "e.g. --platform linux/arm64");
  return out;
}

/** `--platform` where a command takes one platform: its Debian architecture; several are a usage error saying `why`. */
export function parseOnePlatformFlag(text: string, why: string): string {
  const archs = parsePlatformFlag(text);
  if (archs.length > 1) throw new CairnError(ErrorCode.USAGE, `--platform ${text}: ${why}.`, `Name one, e.g. --platform ${platformName(archs[0]!)}.`);
  return archs[0]!;
}

/**
 * The image's name in cairn.lock for one architecture: the export's own name for the architecture
 * its packages are declared with (so a lock from before platforms stays valid), `NAME@ARCH` else.
 */
export function lockNameFor(exportName: string, spec: ImageSpec, arch: string): string {
  return `${exportName}${lockSuffixFor(spec, arch)}`;
}

/** "" for the architecture the packages are declared with, else "@ARCH" (derivations' lock names take it too). */
export function lockSuffixFor(spec: ImageSpec, arch: string): string {
  return arch === spec.architecture ? "" : `@${arch}`;
}

/** The image as built for `arch`, one of `archs`: the definition's own spec when nothing about it changes. */
export function specFor(spec: ImageSpec, arch: string, archs: readonly string[]): ImageSpec {
  return archs.length === 1 && arch === spec.architecture && !spec.platforms && !crossCompiles(spec) ? spec : forArchitecture(spec, arch);
}

export interface PlatformBuilt {
  arch: string;
  built: Built;
}

export interface PlatformsBuilt {
  /** In the order asked. */
  builds: PlatformBuilt[];
  /** Present when there is more than one platform. */
  index?: ImageIndex;
  /** The build a single-image reader takes (`docker load`, `cairn size`): the host's, else the first. */
  primary: PlatformBuilt;
}

export async function buildPlatforms(spec: ImageSpec, options: BuildOptions, ctx: BuildContext, asked?: string[]): Promise<PlatformsBuilt> {
  const archs = asked ?? architecturesOf(spec);
  const builds: PlatformBuilt[] = [];
  for (const arch of archs) {
    if (archs.length > 1) ctx.reporter.info(`cairn: ${platformName(arch)}`);
    const one = specFor(spec, arch, archs);
    try {
      builds.push({ arch, built: await build(one, { ...options, exportName: lockNameFor(options.exportName, spec, arch), lockSuffix: lockSuffixFor(spec, arch) }, ctx) });
    } catch (e) {
      // One platform's archive lacks a package the others have: say which platform, and the way out.
      if (archs.length > 1 && isCairnError(e) && (e.code === ErrorCode.NO_SUCH_PACKAGE || e.code === ErrorCode.UNSATISFIABLE)) {
        const all = archs.map(platformName).join(", ");
        throw new CairnError(e.code, `${platformName(arch)}, one of the platforms ${options.exportName} is built for (${all}): ${e.message}`,
          `${e.hint ? `${e.hint} ` : ""}Or leave ${platformName(arch)} out of platforms (--platform builds the others).`, { cause: e, data: e.data });
      }
      throw e;
    }
  }
  const host = hostArchitecture();
  const primary = builds.find((b) => b.arch === host) ?? builds[0]!;
  if (builds.length === 1) return { builds, primary };
  const images = builds.map((b) => ({ platform: platformOf(b.arch), image: b.built.image }));
  const index = buildPlatformIndex(images, images[builds.indexOf(primary)]!);
  return { builds, index, primary };
}
