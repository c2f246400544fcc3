// "Is this cached result still good?" for results made from local files: remember each file's
// sha256 and compare on the next run. Reading a handful of small files costs well under a
// millisecond, far less than the work it saves (a type check, a compile).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

export type FileHashes = [file: string, sha256: string][];

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function hashFiles(files: Iterable<string>): Promise<FileHashes> {
  return Promise.all([...files].sort().map(async (f) => [f, sha256(await readFile(f))] as [string, string]));
}

/** True when every file still exists with the same bytes. */
export async function filesUnchanged(files: FileHashes): Promise<boolean> {
  try {
    const now = await Promise.all(files.map(([f]) => readFile(f)));
    return files.every(([, hash], i) => sha256(now[i]!) === hash);
  } catch {
    return false;
  }
}
