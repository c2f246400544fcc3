// Runs the real `cairn` executable as a user would, and opens what it wrote.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { command, type CommandResult } from "./command.js";

export const CAIRN_BIN = fileURLToPath(new URL("../../bin/cairn.js", import.meta.url));

export function cairn(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; umask?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = { ...process.env, ...opts.env };
  if (opts.umask) {
    return command("sh", ["-c", `umask ${opts.umask} && exec "$0" "$@"`, process.execPath, CAIRN_BIN, ...args], { cwd: opts.cwd, env, allowFail: true, timeoutMs: opts.timeoutMs ?? 300_000 });
  }
  return command(process.execPath, [CAIRN_BIN, ...args], { cwd: opts.cwd, env, allowFail: true, timeoutMs: opts.timeoutMs ?? 300_000 });
}

/** The digest on the last line of stdout. */
export function lastLine(r: CommandResult): string {
  return r.stdout.trim().split("\n").pop() ?? "";
}

/** A folder with the given files (a definition and friends). */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-project-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

/** Unpack an image tar's layers in order into a fresh root (docker-save manifest.json). */
export async function extractImage(tarPath: string): Promise<{ root: string; manifest: { Config: string; RepoTags: string[]; Layers: string[] }; config: any }> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-image-"));
  await command("tar", ["-xf", tarPath, "-C", dir]);
  const [manifest] = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  const root = join(dir, "rootfs");
  await mkdir(root);
  // -x without -z: GNU tar tells gzip from a plain tar (docker-archive bases keep plain layers).
  for (const layer of manifest.Layers as string[]) await command("tar", ["-xf", join(dir, layer), "-C", root]);
  const config = JSON.parse(await readFile(join(dir, manifest.Config), "utf8"));
  return { root, manifest, config };
}
