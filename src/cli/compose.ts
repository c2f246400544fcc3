// `cairn compose`: build every service's image of a compose() export (from the cache when
// unchanged), optionally load them into podman or docker, and write compose.yaml naming them.
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import type { ComposeSpec } from "../define/compose.js";
import type { ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import { closeGzipWorkers } from "../image/gzip-pool.js";
import type { Image } from "../image/types.js";
import { composeYaml, type BuiltImage } from "../transports/engine/compose-yaml.js";
import { engineSink, onPath, pickEngine, type EngineName } from "../transports/engine/sink.js";
import { build } from "../build/build.js";
import type { BuildContext } from "../build/context.js";
import { lockPathFor, makeContext, saveResolutions } from "./commands.js";
import { pinsFrom, readLock } from "../debian/lockfile.js";
import type { Resolution } from "../debian/resolution.js";
import { loadDefinition, type Definition } from "../load/definition.js";
import type { GlobalOptions } from "./main.js";

export interface ComposeCommandOptions {
  file: string;
  /** The compose() export; default: the only one. */
  attr?: string;
  /** Where to write compose.yaml; "-" for stdout. */
  out: string;
  frozen?: boolean;
  /** Load every image into docker or podman too. */
  load?: boolean;
  engine?: EngineName;
  global: GlobalOptions;
}

/** Builds the services' images and writes the compose file; returns its text. */
export async function composeCommand(o: ComposeCommandOptions, ctx: BuildContext = makeContext(o.global), env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const engine = o.load ? pickEngine(env, o.engine) : undefined;
  if (engine && !onPath(env, engine)) throw new CairnError(ErrorCode.OUTPUT_FAILED, `cairn compose --load --engine ${engine}: ${engine} is not on PATH.`, `Install ${engine}, or leave out --engine to use whichever engine is installed.`);
  const def = await loadDefinition(o.file, { store: ctx.store, typecheck: o.global.typecheck, reporter: ctx.reporter });
  const { name, spec } = pickCompose(def, o.attr);

  const built: Record<string, BuiltImage> = {};
  const images: Image[] = [];
  const lockPath = lockPathFor(def.file);
  const lock = await readLock(lockPath);
  const pins = pinsFrom(lock);
  const resolutions = new Map<string, Resolution>();
  const sources = { ...(lock.sources ?? {}) };
  try {
    for (const [service, s] of Object.entries(spec.services)) {
      const exportName = exportOf(def, s.image) ?? `${name}.${service}`;
      ctx.reporter.info(`cairn: building service ${service}: ${exportName} (${s.image.name}:${s.image.tag})`);
      const b = await build(s.image, { exportName, definitionFile: def.file, pins, sources, lockLabel: lockPath, frozen: o.frozen }, ctx);
      if (b.sources.fetchurl) sources.fetchurl = { ...sources.fetchurl, ...b.sources.fetchurl };
      if (b.sources.pip) sources.pip = { ...sources.pip, ...b.sources.pip };
      // A later service of the same image starts from what this one resolved.
      for (const [n, r] of b.resolutions) {
        resolutions.set(n, r);
        pins.set(n, r);
      }
      const { image } = b;
      const reference = image.repoTags[0];
      if (!reference) throw new CairnError(ErrorCode.OUTPUT_FAILED, `Service ${service}'s image has no name:tag for the compose file.`, "Give the image a name in the definition.");
      built[service] = { reference, digest: image.manifestDigest };
      if (!images.includes(image)) images.push(image);
    }
    await saveResolutions(lockPath, lock, resolutions, ctx, sources);
  } finally {
    await closeGzipWorkers();
  }
  if (engine) {
    // Two services may run one image: load each image once.
    const loaded = new Set<string>();
    for (const image of images) {
      if (loaded.has(image.manifestDigest)) continue;
      loaded.add(image.manifestDigest);
      await engineSink(engine, env, ctx.epoch, (m) => ctx.reporter.info(`cairn: ${engine}: ${m}`)).write(image);
    }
  }

  const yaml = composeYaml(spec, built, {
    header: [
      `Written by \`cairn compose\` from ${path.basename(def.file)} (export ${name}); run it again rather than editing.`,
      "The images are cairn's builds, loaded into the engine by `cairn compose --load` (or `cairn build --load`);",
      "then `docker compose up` or `podman-compose up`. podman lists them as docker.io/library/NAME:TAG, which",
      "is what the short names below resolve to.",
    ],
  });
  if (o.out === "-") {
    process.stdout.write(yaml);
  } else {
    await writeFile(o.out, yaml);
    ctx.reporter.info(`cairn: wrote ${o.out} (${Object.keys(built).length} services${engine ? `, images loaded into ${engine}` : ""})`);
    for (const [service, b] of Object.entries(built)) process.stdout.write(`${service} ${b.reference} ${b.digest}\n`);
  }
  return yaml;
}

/** The compose export `-A NAME` picks, else the only one. */
export function pickCompose(def: Definition, attr: string | undefined): { name: string; spec: ComposeSpec } {
  const names = [...def.composes.keys()];
  const hint = names.length
    ? `compose() exports in this file: ${names.join(", ")}.`
    : 'Export one: `export const stack = compose({ services: { web: { image, ports: ["8080:8080"] } } })`.';
  if (attr !== undefined) {
    const spec = def.composes.get(attr);
    if (spec) return { name: attr, spec };
    const what = def.images.has(attr) ? `"${attr}" is an image, not a compose() export` : `has no compose() export "${attr}"`;
    throw new CairnError(ErrorCode.EXPORT_NOT_FOUND, `${def.file}: ${what}.`, def.images.has(attr) ? `Build it with \`cairn build -A ${attr}\`. ${hint}` : hint);
  }
  if (names.length === 1) return { name: names[0]!, spec: def.composes.get(names[0]!)! };
  throw new CairnError(ErrorCode.EXPORT_NOT_FOUND, `${def.file} ${names.length ? `exports several compose() definitions (${names.join(", ")}); pick one with -A NAME` : "exports no compose() definition"}.`, hint);
}

/** The export holding this very image, so its lock entry is shared with `cairn build -A NAME`. */
function exportOf(def: Definition, image: ImageSpec): string | undefined {
  return [...def.images.entries()].filter(([, v]) => v === image).map(([k]) => k).sort()[0];
}
