// The command-line side of inspect: "FILE -A NAME" is a definition (built from the cache when
// unchanged, with what its lock says was resolved), anything ending in .tar an image tar.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { readLock } from "../debian/lockfile.js";
import { lockPathFor } from "../pipeline/build.js";
import type { BuildContext } from "../pipeline/context.js";
import type { GlobalOptions } from "../cli/main.js";
import { fromBuiltImage, fromImageTar, type ImageSource } from "./image-source.js";
import { inspect, type InspectedImage } from "./model.js";

/** What a definition adds to an image: the resolution the closure chose from. */
export interface Resolution {
  exportName: string;
  /** Packages asked for in contents. */
  roots: string[];
  /** Every package of the Depends closure, kept or not: name → version. */
  resolved: Map<string, string>;
  /** Dependency edges of the whole closure (from → to). */
  edges: [string, string][];
}

export interface Inspected {
  image: InspectedImage;
  /** Present when the image comes from a definition. */
  resolution?: Resolution;
}

export function isImageTar(arg: string): boolean {
  return /\.(tar|oci|tgz)$/.test(arg);
}

export async function inspectTarget(target: { file: string; attr?: string }, g: GlobalOptions, ctx: BuildContext): Promise<Inspected> {
  if (isImageTar(target.file) && !target.attr) {
    const work = await ctx.store.tempPath();
    try {
      return { image: await inspect(await fromImageTar(target.file, work)) };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  const { buildFromDefinition } = await import("../cli/commands.js");
  const { loadDefinition, pickImage } = await import("../cli/definition.js");
  const def = await loadDefinition(target.file, { store: ctx.store, typecheck: g.typecheck });
  const { name } = pickImage(def, target.attr);
  const built = await buildFromDefinition({ file: target.file, attr: name, global: g }, ctx);
  const image = await inspect(fromBuiltImage(built) as ImageSource);
  const lock = await readLock(lockPathFor(def.file));
  const entry = lock.images[name];
  const resolved = new Map((entry?.packages ?? []).map((k) => lock.packages[k]).filter((p) => !!p).map((p) => [p!.name, p!.version] as [string, string]));
  return {
    image,
    resolution: {
      exportName: name,
      roots: (entry?.request.roots ?? []).map((r) => r.split("=")[0]!),
      resolved,
      edges: (entry?.edges ?? []).map((e) => e.split(" -> ") as [string, string]),
    },
  };
}

export function describeTarget(target: { file: string; attr?: string }): string {
  return target.attr ? `${path.relative(process.cwd(), target.file) || target.file} -A ${target.attr}` : target.file;
}
