// The local-engine sink: the image tar piped straight into `docker load` or `podman load`, no
// temporary file. Which engine: the one asked for, else docker when a docker daemon is configured
// (DOCKER_HOST or its socket), else podman, else docker.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { CairnError, ErrorCode } from "../../errors.js";
import { isIndex, type Image, type ImageIndex, type Sink } from "../../image/types.js";
import { writeArchive } from "../archive/sink.js";

export type EngineName = "docker" | "podman";

/** Whether `bin` is on env's PATH. */
export function onPath(env: NodeJS.ProcessEnv, bin: string): boolean {
  return (env["PATH"] ?? "").split(delimiter).some((d) => d && existsSync(join(d, bin)));
}

/** `needs` names what asked for an engine, for the message when there is none ("--load", "cairn run"). */
export function pickEngine(env: NodeJS.ProcessEnv, asked?: EngineName, needs = "--load"): EngineName {
  if (asked) return asked;
  const dockerDaemon = !!env["DOCKER_HOST"] || existsSync("/var/run/docker.sock");
  if (onPath(env, "docker") && dockerDaemon) return "docker";
  if (onPath(env, "podman")) return "podman";
  if (onPath(env, "docker")) return "docker";
  throw new CairnError(ErrorCode.OUTPUT_FAILED, `${needs} needs docker or podman, and neither is on PATH.`, needs === "--load" ? "Install one of them, or write the tar with -o and load it elsewhere." : "Install one of them (e.g. `apt-get install podman`).");
}

/** A sink that loads the image into `engine`; resolves with what the engine printed. */
export function engineSink(engine: EngineName, env: NodeJS.ProcessEnv, mtime: number, onLoaded?: (message: string) => void): Sink {
  return {
    // An engine keeps one platform of a name: the index's primary (the host's, or the one asked for).
    write: (given: Image | ImageIndex) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(engine, ["load"], { env, stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (out += b.toString()));
        child.on("error", (e) => reject(new CairnError(ErrorCode.OUTPUT_FAILED, `Could not start \`${engine} load\`: ${e.message}.`, "Check that it is installed and on PATH.")));
        child.on("close", (code) => {
          if (code === 0) {
            onLoaded?.(out.trim().split("\n").pop() ?? "");
            resolve();
          } else {
            reject(new CairnError(ErrorCode.OUTPUT_FAILED, `\`${engine} load\` failed (exit ${code}): ${out.trim().split("\n").slice(-3).join(" ")}`, `Check that ${engine} works (\`${engine} images\`), or write the tar with -o.`));
          }
        });
        child.stdin.on("error", () => {}); // a failing engine closes its stdin; its exit code tells
        writeArchive(isIndex(given) ? given.primary : given, child.stdin, { mtime }).then(() => child.stdin.end(), (e) => {
          child.kill();
          reject(e);
        });
      }),
  };
}
