// The OCI-directory sink: the archive's files, unpacked (skopeo `oci:DIR`, `podman load -i DIR`).
// Same entries as the tar sink, so the two never disagree about content. Blobs are written first
// and index.json last, each through a temp file and a rename: a reader never sees an index that
// names a missing blob, and an interrupted write leaves the previous image readable.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CairnError, ErrorCode, isCairnError } from "../../errors.js";
import type { TarEntry } from "../../image/tar.js";
import type { Image, ImageIndex, Sink } from "../../image/types.js";
import { archiveEntries } from "../archive/sink.js";

/**
 * A sink writing an OCI image layout into `dir` (created if missing). index.json is replaced by
 * this image's; blobs of earlier images stay (they are content-addressed, so harmless).
 */
export function ociDirSink(dir: string): Sink {
  return {
    async write(image: Image | ImageIndex): Promise<void> {
      try {
        const entries = archiveEntries(image, 0);
        // index.json goes last: it is what makes the new image visible.
        const last = entries.filter((e) => e.path === "index.json");
        for (const e of [...entries.filter((e) => e.path !== "index.json"), ...last]) await writeEntry(dir, e);
      } catch (e) {
        if (isCairnError(e)) throw e;
        throw new CairnError(
          ErrorCode.OUTPUT_FAILED,
          `Could not write the OCI image directory ${dir}: ${(e as Error).message}`,
          `Check that ${path.resolve(dir)} is writable and has free space, or pick another path with -o.`,
          { cause: e },
        );
      }
    },
  };
}

async function writeEntry(dir: string, e: TarEntry): Promise<void> {
  const dest = path.join(dir, ...e.path.split("/"));
  if (e.type === "dir") {
    await fs.mkdir(dest, { recursive: true });
    return;
  }
  if (e.type !== "file" || !e.content) throw new Error(`OCI directory entry ${e.path} is not a file`);
  const blobHex = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(e.path)?.[1];
  if (blobHex && (await hasBlob(dest, blobHex, e.size ?? 0))) return;
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    await pipeline(Readable.from(e.content()), createWriteStream(tmp, { flags: "wx", mode: 0o644 }));
    await fs.rename(tmp, dest);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** A blob already there with the right size and digest need not be copied again. */
async function hasBlob(file: string, hex: string, size: number): Promise<boolean> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st || !st.isFile() || st.size !== size) return false;
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex") === hex;
}
