// Host programs cairn starts itself (bwrap, xz, tsgo, the engines), looked up on a PATH the way a
// shell would: the first directory holding an executable of that name.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `bin` on `env`'s PATH, or undefined. */
export function findOnPath(bin: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}
