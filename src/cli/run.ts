// `cairn run`: build (cached), load into podman or docker, and run in the foreground with the
// image's ports published. The engine's own configuration (CONTAINERS_CONF, DOCKER_HOST, …)
// comes through the environment; cairn adds no engine-specific flags.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { constants } from "node:os";
import { CairnError, ErrorCode } from "../errors.js";
import type { ContainerConfig } from "../image/types.js";
import { engineSink, onPath, pickEngine, type EngineName } from "../transports/engine/sink.js";
import { containerName, describeRun, parsePublish, portMappings, runArgs, type PortMapping } from "../transports/engine/run-args.js";
import type { BuildContext } from "../build/context.js";
import { buildFromDefinition, makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";
import { hostArchitecture, platformName } from "../define/platform.js";
import { checkCanRun } from "../sandbox/emulation.js";

export interface RunCommandOptions {
  file: string;
  attr?: string;
  frozen?: boolean;
  /** Default: docker when its daemon is set up, else podman. */
  engine?: EngineName;
  /** `HOST:CONTAINER[/PROTO]`, each re-mapping (or adding) one published port. */
  publish?: string[];
  /** Replaces the image's Cmd. */
  args?: string[];
  global: GlobalOptions;
}

/** Runs the image until it exits (or SIGINT/SIGTERM stops it); returns the container's exit status. */
export async function runCommand(o: RunCommandOptions, ctx: BuildContext = makeContext(o.global), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Everything that can be checked without the image is checked before a possibly long build.
  const engine = pickEngine(env, o.engine, "cairn run");
  if (!onPath(env, engine)) throw new CairnError(ErrorCode.OUTPUT_FAILED, `cairn run --engine ${engine}: ${engine} is not on PATH.`, `Install ${engine}, or leave out --engine to use whichever engine is installed.`);
  const publish = (o.publish ?? []).map(parsePublish);

  const built = await buildFromDefinition(o, ctx);
  const { image } = built;
  const ref = image.repoTags[0];
  if (!ref) throw new CairnError(ErrorCode.OUTPUT_FAILED, "The built image has no name:tag to run it by.", "Give the image a name in the definition.");
  const imageConfig = JSON.parse(image.config.toString("utf8")) as { config?: ContainerConfig; architecture?: string; variant?: string };
  const config = imageConfig.config ?? {};
  // Another CPU's image (--platform linux/arm64) runs under qemu-user, where binfmt_misc has it.
  const arch = built.spec.architecture;
  const foreign = arch !== hostArchitecture() ? platformName(arch) : undefined;
  if (foreign) checkCanRun(arch, ref, foreign, undefined, false);
  const ports = portMappings(config.ExposedPorts, publish);
  for (const p of ports) await assertPortFree(p, ref);

  await engineSink(engine, env, ctx.epoch, (m) => ctx.reporter.info(`cairn: ${engine}: ${m}`)).write(image);
  const name = containerName(ref, process.pid);
  ctx.reporter.info(describeRun(ref, engine, ports));
  return runForeground(engine, runArgs({ image: ref, name, ports, tty: process.stdin.isTTY === true, args: o.args ?? [], ...(foreign ? { platform: foreign } : {}) }), name, env);
}

/** Listening on the port ourselves is the one check that sees every kind of listener. */
async function assertPortFree(p: PortMapping, image: string): Promise<void> {
  if (p.protocol === "sctp") return; // Node cannot bind SCTP; the engine reports a clash itself
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    if (p.protocol === "tcp") {
      const srv = createServer();
      srv.once("error", (e) => done(e));
      srv.listen({ port: p.hostPort, exclusive: true }, () => srv.close(() => done(undefined)));
    } else {
      const sock = createSocket("udp4");
      sock.once("error", (e) => { sock.close(); done(e); });
      sock.bind({ port: p.hostPort, exclusive: true }, () => sock.close(() => done(undefined)));
    }
  });
  // EACCES (a port under 1024 for a non-root user) is the engine's to judge: a daemon may bind it.
  if (error?.code === "EADDRINUSE") {
    const suggestion = p.hostPort + 10000 <= 65535 ? p.hostPort + 10000 : 20000 + (p.hostPort % 10000);
    const proto = p.protocol === "tcp" ? "" : `/${p.protocol}`;
    throw new CairnError(ErrorCode.PORT_IN_USE, `Host port ${p.hostPort}${proto} is already in use, so ${image}'s port ${p.containerPort}${proto} cannot be published there.`, `Publish it on another host port with -p, e.g. -p ${suggestion}:${p.containerPort}${proto}, or stop what listens on ${p.hostPort}.`);
  }
}

/**
 * The engine's `run` in the foreground, stdio inherited. SIGINT/SIGTERM are forwarded as
 * `ENGINE stop -t 3 NAME`, which stops even a PID 1 that ignores signals; a second one kills.
 */
function runForeground(engine: EngineName, argv: string[], name: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(engine, argv, { env, stdio: "inherit" });
    const running = () => child.exitCode === null && child.signalCode === null;
    let signals = 0;
    const onSignal = () => {
      signals++;
      void (async () => {
        const args = signals === 1 ? ["stop", "-t", "3", name] : ["kill", name];
        // The container may not exist yet if the signal came while the engine was creating it.
        for (let attempt = 0; attempt < 40 && running(); attempt++) {
          if ((await quietly(engine, args, env)) === 0) return;
          await new Promise((ok) => setTimeout(ok, 250));
        }
      })();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const done = () => {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    };
    child.once("error", (e) => {
      done();
      reject(new CairnError(ErrorCode.OUTPUT_FAILED, `Could not start \`${engine} run\`: ${e.message}.`, "Check that it is installed and on PATH."));
    });
    child.once("close", (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** Runs an engine subcommand with its output discarded (`stop` echoes the name on stdout); resolves with its exit code. */
function quietly(engine: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(engine, args, { env, stdio: "ignore" });
    child.once("error", () => resolve(-1));
    child.once("close", (code) => resolve(code ?? -1));
  });
}
