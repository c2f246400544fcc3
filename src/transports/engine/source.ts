// The local engine as a source: `docker save` / `podman save` of a reference into a tar in a
// work folder, read as any image tar. The engine may have recompressed or re-tarred nothing
// (layers by diffId stay the same), but a docker-archive has no manifest: its digest is absent.
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../../errors.js";
import type { ImageSource, ImageView } from "../../image/types.js";
import { readImageTar } from "../archive/source.js";
import type { EngineName } from "./sink.js";

export function engineSource(engine: EngineName, ref: string, env: NodeJS.ProcessEnv, workDir: string): ImageSource {
  return {
    async read(): Promise<ImageView> {
      const file = path.join(workDir, "saved.tar");
      const unpacked = path.join(workDir, "unpacked");
      // `save` refuses to write over a tar (docker-archive "cannot modify existing images"): each read starts afresh.
      await rm(file, { force: true });
      await rm(unpacked, { recursive: true, force: true });
      await new Promise<void>((resolve, reject) => {
        const child = spawn(engine, ["save", "-o", file, ref], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (out += b.toString()));
        child.on("error", (e) => reject(new CairnError(ErrorCode.BAD_REFERENCE, `Could not start \`${engine} save\`: ${e.message}.`, "Check that it is installed and on PATH.")));
        child.on("close", (code) =>
          code === 0 ? resolve() : reject(new CairnError(ErrorCode.BAD_REFERENCE, `\`${engine} save ${ref}\` failed (exit ${code}): ${out.trim().split("\n").slice(-3).join(" ")}`, `Check that ${engine} has the image (\`${engine} images\`).`)),
        );
      });
      await mkdir(unpacked, { recursive: true });
      return readImageTar(file, unpacked);
    },
  };
}
