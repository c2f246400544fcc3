// The command line: one file wiring commands to plain async functions, and one place that turns
// errors into messages and exit codes (0 ok, 1 build failed, 2 usage).
import { Command, CommanderError, Option } from "commander";
import * as os from "node:os";
import * as path from "node:path";
import { isCairnError } from "../errors.js";

export interface GlobalOptions {
  cacheDir: string;
  offline: boolean;
  quiet: boolean;
  typecheck: boolean;
}

function defaultCacheDir(): string {
  const xdg = process.env["XDG_CACHE_HOME"];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache"), "cairn");
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("cairn")
    .description("Reproducible, layered container images from Debian packages, declared in TypeScript.")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();
  const common = (cmd: Command) =>
    cmd
      .addOption(new Option("--cache-dir <dir>", "where downloads and built layers are kept").default(defaultCacheDir(), "$XDG_CACHE_HOME/cairn or ~/.cache/cairn"))
      .option("--offline", "use only what the cache holds", false)
      .option("-q, --quiet", "no progress output", false)
      .option("--no-typecheck", "skip checking the definition's types");

  common(program.command("build"))
    .description("build an image and write it as a tar file (docker load / podman load)")
    .argument("[file]", "the definition", "image.ts")
    .option("-A, --attr <name>", "the export to build (default: the default export, or the only image)")
    .option("-o, --out <path>", "where to write the image tar", "result")
    .option("--stream", "write the image tar to stdout instead of a file", false)
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("--push <ref>", "push the image to a registry too")
    .option("--load", "load the image into docker or podman too (piped, no temporary file)", false)
    .addOption(new Option("--engine <name>", "the engine --load uses (default: docker when its daemon is set up, else podman)").choices(["docker", "podman"]))
    .option("--creds <user:password>", "registry credentials (default: CAIRN_REGISTRY_USER/PASSWORD, else docker/podman login)")
    .option("--insecure", "allow plain HTTP and unverified TLS to the registry", false)
    .option("--ca-file <file>", "trust this CA certificate for the registry")
    .action(async (file: string, opts) => {
      // Loaded by the command that runs: `--help` and usage errors start without the pipeline.
      const { buildCommand } = await import("./commands.js");
      await buildCommand({ file, ...opts, registry: registryOptions(opts), global: globals(opts) });
    });

  common(program.command("push"))
    .description("build (from the cache when unchanged) and push an image to a registry")
    .argument("<file-and-ref...>", "[FILE] REF: the definition (default image.ts) and where to push, e.g. 127.0.0.1:5000/redis:7")
    .option("-A, --attr <name>", "the export to push")
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("--creds <user:password>", "registry credentials (default: CAIRN_REGISTRY_USER/PASSWORD, else docker/podman login)")
    .option("--insecure", "allow plain HTTP and unverified TLS to the registry", false)
    .option("--ca-file <file>", "trust this CA certificate for the registry")
    .action(async (args: string[], opts) => {
      if (args.length > 2) throw new CommanderError(2, "cairn.push", "cairn push takes [FILE] REF");
      const [file, ref] = args.length === 2 ? [args[0]!, args[1]!] : ["image.ts", args[0]!];
      const { pushCommand } = await import("./commands.js");
      await pushCommand({ file, ref, attr: opts.attr, frozen: opts.frozen, registry: registryOptions(opts), global: globals(opts) });
    });

  let exitCode = 0; // `cairn run` exits with its container's status
  common(program.command("run"))
    .description("build (from the cache when unchanged), load into podman or docker, and run in the foreground")
    .argument("[file-and-args...]", "[FILE] [-- ARGS]: the definition (default image.ts); ARGS after -- replace the image's Cmd")
    .option("-A, --attr <name>", "the export to run")
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("-p, --publish <host:container>", "publish an image port on another host port (repeatable), e.g. -p 16379:6379", (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .addOption(new Option("--engine <name>", "the engine (default: docker when its daemon is set up, else podman)").choices(["docker", "podman"]))
    .action(async (operands: string[], opts, cmd: Command) => {
      // Commander does not say which operands came after `--`; the raw argv does.
      const dashes = argv.indexOf("--");
      const args = dashes < 0 ? [] : argv.slice(dashes + 1);
      const before = operands.slice(0, operands.length - args.length);
      if (before.length > 1) cmd.error(`error: cairn run takes [FILE] -A NAME [-- ARGS]; put the container's command after --, e.g. cairn run ${before[0]} -- ${before.slice(1).join(" ")}`);
      const { runCommand } = await import("./run.js");
      exitCode = await runCommand({ file: before[0] ?? "image.ts", attr: opts.attr, frozen: opts.frozen, publish: opts.publish, engine: opts.engine, args, global: globals(opts) });
    });

  common(program.command("shell"))
    .description("run in the sandbox: packages with the current directory mounted (-p, like nix-shell -p), or an image of a definition as a local program (FILE -A NAME)")
    .argument("[file]", "a definition whose image to run (with -A), instead of -p")
    .option("-p, --packages <names...>", "the packages (name or name=version)")
    .option("-A, --attr <name>", "the image to run from FILE")
    .option("--run <command>", "run this (bash -c; sh -c in an image) instead of an interactive shell or the image's command")
    .option("--suite <suite>", "take -p packages from this suite of the host's apt sources")
    .option("--no-network", "no network inside the shell")
    .option("--refresh", "resolve -p packages anew (the same packages otherwise reuse the day's resolution)", false)
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .action(async (file: string | undefined, opts, cmd: Command) => {
      const fromImage = file !== undefined || opts.attr !== undefined;
      if (fromImage === (opts.packages !== undefined)) cmd.error("error: cairn shell takes either -p PACKAGE... or [FILE] -A NAME");
      const { shellCommand } = await import("./shell.js");
      exitCode = await shellCommand({
        packages: opts.packages ?? [], ...(fromImage ? { image: { file: file ?? "image.ts", attr: opts.attr, frozen: opts.frozen } } : {}),
        run: opts.run, suite: opts.suite, network: opts.network, refresh: opts.refresh, global: globals(opts),
      });
    });

  common(program.command("compose"))
    .description("build the images of a compose() export and write compose.yaml naming them")
    .argument("[file]", "the definition", "image.ts")
    .option("-A, --attr <name>", "the compose() export (default: the only one)")
    .option("-o, --out <path>", "where to write the compose file (- for stdout)", "compose.yaml")
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("--load", "load every image into docker or podman too", false)
    .addOption(new Option("--engine <name>", "the engine --load uses (default: docker when its daemon is set up, else podman)").choices(["docker", "podman"]))
    .action(async (file: string, opts) => {
      const { composeCommand } = await import("./compose.js");
      await composeCommand({ file, attr: opts.attr, out: opts.out, frozen: opts.frozen, load: opts.load, engine: opts.engine, global: globals(opts) });
    });

  common(program.command("lock"))
    .description("resolve every image in the definition and write cairn.lock beside it")
    .argument("[file]", "the definition", "image.ts")
    .option("-A, --attr <name>", "lock only this export")
    .action(async (file: string, opts) => {
      const { lockCommand } = await import("./commands.js");
      await lockCommand({ file, attr: opts.attr, global: globals(opts) });
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isCairnError(e)) {
      process.stderr.write(`error[${e.code}]: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
      return 1;
    }
    process.stderr.write(`cairn: internal error (a bug in cairn, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

function registryOptions(opts: { creds?: string; insecure?: boolean; caFile?: string }) {
  return { ...(opts.creds ? { creds: opts.creds } : {}), ...(opts.insecure ? { insecure: true } : {}), ...(opts.caFile ? { caFile: opts.caFile } : {}) };
}

function globals(opts: { cacheDir: string; offline: boolean; quiet: boolean; typecheck: boolean }): GlobalOptions {
  return { cacheDir: opts.cacheDir, offline: opts.offline, quiet: opts.quiet, typecheck: opts.typecheck };
}
