// `cairn diff A B`: each side a definition (FILE#NAME, or FILE with one image) or an image tar,
// read with content hashes, compared, and reported for people (or as JSON). A report, so it exits
// 0 even when the images differ, unless --exit-code asks for git diff's convention.
import * as fs from "node:fs/promises";
import type { BuildContext } from "../build/context.js";
import { CairnError, ErrorCode } from "../errors.js";
import { diffImages, type ImageDiff } from "../inspect/diff.js";
import { formatDiff } from "../inspect/diff-format.js";
import { readImageTar } from "../transports/archive/source.js";
import { platformNote, wantedPlatform } from "./inspect-target.js";
import { inspect, type InspectedImage } from "../inspect/model.js";
import { isImageTar } from "./inspect-target.js";
import { buildFromDefinition, makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface DiffCommandOptions {
  a: string;
  b: string;
  json?: boolean;
  /** Exit 1 when the images differ. */
  exitCode?: boolean;
  /** How many changed files to list (default 20). */
  files?: number;
  frozen?: boolean;
  global: GlobalOptions;
}

/** Prints the report; returns the diff and the exit code. */
export async function diffCommand(o: DiffCommandOptions, ctx = makeContext(o.global)): Promise<{ diff: ImageDiff; code: number }> {
  const a = await readSide(o.a, o, ctx);
  const b = await readSide(o.b, o, ctx);
  const diff = diffImages(a, b);
  process.stdout.write(o.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff, { files: o.files ?? 20 }));
  return { diff, code: o.exitCode && !diff.identical ? 1 : 0 };
}

/** `FILE#NAME` → { file, attr }; an image tar or a plain FILE → { file }. */
export function parseSide(arg: string): { file: string; attr?: string; tar: boolean } {
  if (isImageTar(arg)) return { file: arg, tar: true };
  const hash = arg.lastIndexOf("#");
  if (hash > 0 && hash < arg.length - 1) return { file: arg.slice(0, hash), attr: arg.slice(hash + 1), tar: false };
  return { file: hash === arg.length - 1 ? arg.slice(0, -1) : arg, tar: false };
}

async function readSide(arg: string, o: DiffCommandOptions, ctx: BuildContext): Promise<InspectedImage> {
  const side = parseSide(arg);
  if (!(await fs.stat(side.file).catch(() => undefined))) {
    throw new CairnError(
      side.tar ? ErrorCode.BAD_REFERENCE : ErrorCode.DEFINITION_NOT_FOUND,
      `cairn diff: ${side.file} does not exist.`,
      "Give each side as FILE#NAME (a definition and its export, e.g. examples/redis/image.ts#redis) or an image tar written by cairn build, docker save or skopeo.",
    );
  }
  if (side.tar) {
    const work = await ctx.store.tempPath();
    try {
      const want = wantedPlatform(o.global);
      const source = await readImageTar(side.file, work, want);
      const note = want ? undefined : platformNote(source, side.file);
      if (note) ctx.reporter.info(note);
      return await inspect(source, { hashFiles: true });
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  const { image } = await buildFromDefinition({ file: side.file, ...(side.attr ? { attr: side.attr } : {}), frozen: o.frozen, global: o.global }, ctx);
  return inspect(image, { hashFiles: true });
}
