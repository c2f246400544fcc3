// The command-line side of inspect: "FILE -A NAME" is a definition (built from the cache when
// unchanged, with the resolution the build used), an image tar by its name or its contents.
import { closeSync, openSync, readSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { BuildContext } from "../build/context.js";
import type { GlobalOptions } from "./main.js";
import type { ImageView } from "../image/types.js";
import { asWanted, readImageTar, type WantedPlatform } from "../transports/archive/source.js";
import { platformOf } from "../define/platform.js";
import { parseOnePlatformFlag } from "../build/platforms.js";
import { platformString } from "../transports/registry/pull.js";
import { inspect, type InspectedImage } from "../inspect/model.js";
import type { Inspected } from "../inspect/inspected.js";
import type { DefinitionBuilt } from "./commands.js";

export type { Inspected };

/** An inspected target; from a definition, with the build itself (its resolutions, what it kept). */
export interface InspectedTarget extends Inspected {
  built?: DefinitionBuilt;
}

/** An image tar by its name, or by its first block (`cairn build` writes `./result`, no extension). */
export function isImageTar(arg: string): boolean {
  if (/\.(tar|oci|tgz)$/.test(arg)) return true;
  let fd: number | undefined;
  try {
    fd = openSync(arg, "r");
    const header = Buffer.alloc(512);
    const n = readSync(fd, header, 0, 512, 0);
    // POSIX and GNU tar headers both carry "ustar" at offset 257.
    return n === 512 && header.subarray(257, 262).toString("latin1") === "ustar";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The one platform `--platform` asks of an image tar (which holds one image, or an index). */
export function wantedPlatform(g: GlobalOptions): WantedPlatform | undefined {
  if (!g.platform) return undefined;
  return asWanted(platformOf(parseOnePlatformFlag(g.platform, "an image tar is read for one platform at a time")));
}

/** "result holds linux/amd64, linux/arm64; this is linux/amd64 (--platform picks another)". */
export function platformNote(source: ImageView, label: string): string | undefined {
  if (!source.platforms || source.platforms.length < 2) return undefined;
  const c = JSON.parse(source.config.toString("utf8")) as { os?: string; architecture?: string; variant?: string };
  return `cairn: ${label} holds ${source.platforms.join(", ")}; this is ${platformString({ os: "linux", ...c })} (--platform picks another)`;
}

/**
 * `visit`, when given, is handed the image source and its reading while the layers can still be
 * opened (a tar's unpacked copy is removed on return): for inspectors that read file contents.
 */
export async function inspectTarget(
  target: { file: string; attr?: string }, g: GlobalOptions, ctx: BuildContext,
  visit?: (source: ImageView, image: InspectedImage) => Promise<void>,
): Promise<InspectedTarget> {
  if (isImageTar(target.file) && !target.attr) {
    const work = await ctx.store.tempPath();
    try {
      const want = wantedPlatform(g);
      const source = await readImageTar(target.file, work, want);
      const note = want ? undefined : platformNote(source, target.file);
      if (note) ctx.reporter.info(note);
      const image = await inspect(source);
      await visit?.(source, image);
      return { image };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  const { buildFromDefinition } = await import("./commands.js");
  const built = await buildFromDefinition({ file: target.file, ...(target.attr ? { attr: target.attr } : {}), global: g }, ctx);
  if (built.platforms) {
    const { platformName } = await import("../define/platform.js");
    const shown = built.platforms.find((p) => p.built.image === built.image)!;
    ctx.reporter.info(`cairn: ${built.exportName} is built for ${built.platforms.map((p) => platformName(p.arch)).join(", ")}; this is ${platformName(shown.arch)} (--platform picks another)`);
  }
  const source = built.image;
  // The build's layers are the store's own blobs: their listings stand for reading them again.
  const image = await inspect(source, { store: ctx.store });
  await visit?.(source, image);
  return { image, definition: { exportName: built.exportName, resolution: built.resolution }, built };
}

export function describeTarget(target: { file: string; attr?: string }): string {
  return target.attr ? `${path.relative(process.cwd(), target.file) || target.file} -A ${target.attr}` : target.file;
}
