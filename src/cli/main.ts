// The command line: one file wiring commands to plain async functions, and one place that turns
// errors into messages and exit codes (0 ok, 1 build failed, 2 usage).
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exitCodeOf, isCairnError, systemError } from "../errors.js";
import { cairnVersion } from "../location.js";

export interface GlobalOptions {
  cacheDir: string;
  offline: boolean;
  quiet: boolean;
  typecheck: boolean;
  /** --limit NAME=VALUE, in order: the bounds packages are unpacked within. */
  limits?: string[];
  /** --creds/--insecure/--ca-file, and the REF pushed to if any: how base images are pulled. */
  registry?: { creds?: string; insecure?: boolean; caFile?: string; pushTo?: string };
  /** --store and its keys (else CAIRN_STORE, CAIRN_STORE_PUSH, CAIRN_STORE_KEY, CAIRN_STORE_TRUST). */
  store?: StoreOptions;
  /** --platform P[,P…]: the platforms to build for, instead of the definition's. */
  platform?: string;
  /** --compressor: how layers are stored. */
  compressor?: "gzip" | "zstd" | "none";
  /** --timings (build, push): each phase's wall and CPU time, printed at the end. */
  timings?: boolean;
}

export interface StoreOptions {
  /** A registry repository, `host/repo`. */
  ref?: string;
  push?: boolean;
  /** The private key entries are signed with. */
  key?: string;
  /** Public keys whose entries are used. */
  trust?: string[];
}

function defaultCacheDir(): string {
  const xdg = process.env["XDG_CACHE_HOME"];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache"), "cairn");
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("cairn")
    .description("Reproducible, layered container images from Debian packages, declared in TypeScript.")
    .version(cairnVersion(), "-V, --version", "print cairn's version")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();
  const common = (cmd: Command) =>
    cmd
      .addOption(new Option("--cache-dir <dir>", "where downloads and built layers are kept").default(defaultCacheDir(), "$XDG_CACHE_HOME/cairn or ~/.cache/cairn"))
      .option("--offline", "use only what the cache holds", false)
      .option("-q, --quiet", "no progress output", false)
      .option("--no-typecheck", "skip checking the definition's types")
      .addOption(new Option("--compressor <kind>", "how layers are stored, over what the definition says (default gzip; zstd: podman and containerd 1.5+, not Docker 20.10)").choices(["gzip", "zstd", "none"]))
      .option("--platform <platforms>", "build for these platforms instead of the definition's (comma-separated, e.g. linux/amd64,linux/arm64)")
      .option("--limit <name=value>", "raise or lower a bound packages are unpacked within (repeatable): deb-entries, deb-control-size, deb-size-factor, deb-size-slack, deb-size-unknown", (v: string, all: string[] | undefined) => [...(all ?? []), v])
      .option("--store <ref>", "a registry repository shared as a store: read before doing work (default: $CAIRN_STORE)")
      .option("--store-push", "write what this build made to the --store (default: $CAIRN_STORE_PUSH=1)")
      .option("--store-key <file>", "sign the entries --store-push writes with this key (`cairn store keygen`; default: $CAIRN_STORE_KEY)")
      .option("--store-trust <file.pub>", "use the store's entries signed by this key (repeatable; default: $CAIRN_STORE_TRUST, colon-separated)", (v: string, all: string[] | undefined) => [...(all ?? []), v]);
  // For the registry pushed to; without a push, for the registries base images are pulled from.
  const registryFlags = (cmd: Command) =>
    cmd
      .option("--creds <user:password>", "registry credentials (default: CAIRN_REGISTRY_USER/PASSWORD, else docker/podman login)")
      .option("--insecure", "allow plain HTTP and unverified TLS to the registry", false)
      .option("--ca-file <file>", "trust this CA certificate for the registry");

  registryFlags(common(program.command("build")))
    .description("build an image and write it as a tar file (docker load / podman load)")
    .argument("[file]", "the definition", "image.ts")
    .option("-A, --attr <name>", "the export to build (default: the default export, or the only image)")
    .option("-o, --out <path>", "where to write the image tar", "result")
    .option("--stream", "write the image tar to stdout instead of a file", false)
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("--push <ref>", "push the image to a registry too")
    .option("--sbom", "with --push: attach an SBOM to the pushed image (an OCI referrer)", false)
    .addOption(new Option("--sbom-format <format>", "the attached SBOM's format").choices(["spdx", "cyclonedx"]).default("spdx"))
    .option("--load", "load the image into docker or podman too (piped, no temporary file)", false)
    .option("--timings", "print where the time went: each phase's wall and CPU time", false)
    .addOption(new Option("--engine <name>", "the engine --load uses (default: docker when its daemon is set up, else podman)").choices(["docker", "podman"]))
    .action(async (file: string, opts) => {
      // Loaded by the command that runs: `--help` and usage errors start without the pipeline.
      const { buildCommand } = await import("./commands.js");
      await buildCommand({ file, ...opts, registry: registryOptions(opts), sbom: opts.sbom ? opts.sbomFormat : undefined, global: { ...globals(opts, opts.push), ...(opts.timings ? { timings: true } : {}) } });
    });

  registryFlags(common(program.command("push")))
    .description("build (from the cache when unchanged) and push an image to a registry")
    .argument("<file-and-ref...>", "[FILE] REF: the definition (default image.ts) and where to push, e.g. 127.0.0.1:5000/redis:7")
    .option("-A, --attr <name>", "the export to push")
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .option("--sbom", "attach an SBOM to the pushed image (an OCI referrer)", false)
    .addOption(new Option("--sbom-format <format>", "the attached SBOM's format").choices(["spdx", "cyclonedx"]).default("spdx"))
    .option("--timings", "print where the time went: each phase's wall and CPU time", false)
    .action(async (args: string[], opts, cmd: Command) => {
      if (args.length > 2) cmd.error(`error: cairn push takes [FILE] REF, not ${args.length} operands, e.g. cairn push image.ts -A redis 127.0.0.1:5000/redis:7`);
      // One operand that names the definition is a push with the REF forgotten, not a push to "image.ts".
      if (args.length === 1 && looksLikeDefinition(args[0]!)) cmd.error(`error: cairn push needs a REF to push to after ${args[0]}, e.g. cairn push ${args[0]} -A NAME 127.0.0.1:5000/name:tag`);
      const [file, ref] = args.length === 2 ? [args[0]!, args[1]!] : ["image.ts", args[0]!];
      const { pushCommand } = await import("./commands.js");
      await pushCommand({ file, ref, attr: opts.attr, frozen: opts.frozen, registry: registryOptions(opts), sbom: opts.sbom ? opts.sbomFormat : undefined, global: { ...globals(opts, ref), ...(opts.timings ? { timings: true } : {}) } });
    });

  let exitCode = 0; // `cairn run` exits with its container's status
  registryFlags(common(program.command("run")))
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

  registryFlags(common(program.command("shell")))
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

  registryFlags(common(program.command("compose")))
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

  registryFlags(common(program.command("diff")))
    .description("compare two images: packages, files (by content hash), layers, sizes and config")
    .argument("<a>", "FILE#NAME (a definition and its export; FILE alone when it has one image), or an image tar")
    .argument("<b>", "the other image, given the same way")
    .option("--json", "print the differences as JSON", false)
    .option("--exit-code", "exit 1 when the images differ (as git diff --exit-code)", false)
    .option("--files <n>", "how many changed files and groups to list", (v: string) => Number.parseInt(v, 10), 20)
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .action(async (a: string, b: string, opts) => {
      const { diffCommand } = await import("./diff.js");
      exitCode = (await diffCommand({ a, b, json: opts.json, exitCode: opts.exitCode, files: opts.files, frozen: opts.frozen, global: globals(opts) })).code;
    });

  registryFlags(common(program.command("verify")))
    .description("build again in a fresh, empty cache and compare: reproducible, or which layer and files differ and how")
    .argument("[file]", "the definition", "image.ts")
    .option("-A, --attr <name>", "the export to verify")
    .option("--against <tar>", "compare the build with this image tar instead of rebuilding")
    .option("--keep", "keep the fresh cache to look into a difference", false)
    .option("--frozen", "fail instead of changing cairn.lock", false)
    .action(async (file: string, opts) => {
      const { verifyCommand } = await import("./verify.js");
      await verifyCommand({ file, attr: opts.attr, against: opts.against, keep: opts.keep, frozen: opts.frozen, global: globals(opts) });
    });

  registryFlags(common(program.command("size")))
    .description("where an image's bytes are: per package, per layer, the largest files, and wasted space scored as dive does")
    .argument("[file]", "a definition (with -A) or an image tar (cairn's, docker save's, skopeo's docker-archive or oci-archive)", "image.ts")
    .option("-A, --attr <name>", "the export to look into")
    .option("--json", "print the figures as JSON", false)
    .option("--top <n>", "how many packages, files and wasted paths to list", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("--top takes a whole number of 1 or more, e.g. --top 20");
      return n;
    }, 10)
    .option("--svg <path>", "write a treemap of sizes by package and directory (SVG)")
    .option("--html <path>", "write one self-contained page: treemap, layers, packages, dependency graph; click a package for its files and why it is there")
    .action(async (file: string, opts) => {
      const { sizeCommand } = await import("./size.js");
      await sizeCommand({ file, attr: opts.attr, json: opts.json, top: opts.top, svg: opts.svg, html: opts.html, global: globals(opts) });
    });

  registryFlags(common(program.command("graph")))
    .description("draw the package closure: packages in the image sized by their bytes, what was asked for, and what the closure left out")
    .argument("[file]", "a definition (with -A) or an image tar", "image.ts")
    .option("-A, --attr <name>", "the export to draw")
    .addOption(new Option("--format <format>", "dot (graphviz), svg or png (default: from -o's extension, else dot)").choices(["dot", "svg", "png"]))
    .option("-o, --out <path>", "write to this file instead of stdout")
    .action(async (file: string, opts) => {
      const { graphCommand } = await import("./graph.js");
      await graphCommand({ file, attr: opts.attr, format: opts.format, out: opts.out, global: globals(opts) });
    });

  registryFlags(common(program.command("why")))
    .description("why a package is in an image: the shortest dependency paths to it, and the files that load its libraries or interpreters")
    .argument("<file-and-package...>", "[FILE] PACKAGE: a definition (default image.ts, with -A) or an image tar, and the package")
    .option("-A, --attr <name>", "the export to look into")
    .action(async (args: string[], opts, cmd: Command) => {
      if (args.length > 2) cmd.error("error: cairn why takes [FILE] PACKAGE, e.g. cairn why image.ts -A redis libssl3");
      const [file, pkg] = args.length === 2 ? [args[0]!, args[1]!] : ["image.ts", args[0]!];
      const { whyCommand } = await import("./why.js");
      await whyCommand({ file, attr: opts.attr, package: pkg, global: globals(opts) });
    });

  registryFlags(common(program.command("sbom")))
    .description("the image's software bill of materials (SPDX 2.3 or CycloneDX 1.6 JSON): packages, versions, purls, licences, dependencies")
    .argument("[file]", "the definition (with -A), or an image tar", "image.ts")
    .option("-A, --attr <name>", "the export to describe")
    .addOption(new Option("--format <format>", "the SBOM format").choices(["spdx", "cyclonedx"]).default("spdx"))
    .option("-o, --out <path>", "write the SBOM here instead of stdout")
    .action(async (file: string, opts) => {
      const { sbomCommand } = await import("./sbom.js");
      await sbomCommand({ file, attr: opts.attr, format: opts.format, out: opts.out, global: globals(opts) });
    });

  // lock and outdated take the same question; lock writes the answer, outdated only prints it.
  const relock = (name: "lock" | "outdated", description: string) =>
    registryFlags(common(program.command(name)))
      .description(description)
      .argument("[file]", "the definition", "image.ts")
      .option("-A, --attr <name>", "only this export")
      .option("--update <package...>", "take the newest of only these packages (and what they need); every other package keeps its locked version")
      .option("--json", "print the changes as JSON", false)
      .option("--no-changelog", "leave out the changelog entries of changed packages (they need the new .debs)")
      .action(async (file: string, opts) => {
        const { lockCommand, outdatedCommand } = await import("./lock.js");
        const o = { file, attr: opts.attr, ...(opts.update ? { update: opts.update as string[] } : {}), json: opts.json, noChangelog: !opts.changelog, global: globals(opts) };
        if (name === "lock") await lockCommand(o);
        else exitCode = await outdatedCommand(o);
      });
  relock("lock", "resolve every image in the definition, print what changed and write cairn.lock beside it");
  relock("outdated", "what `cairn lock` would change (versions, changelog entries, CVE ids), without writing cairn.lock; exit 1 when anything would");

  const storeCmd = program.command("store").description("a store on a registry, shared by machines: keys to sign and trust its entries");
  storeCmd.command("keygen")
    .description("write a new ed25519 key pair: FILE signs what --store-push writes (keep it secret), FILE.pub is what readers --store-trust")
    .requiredOption("-o, --out <file>", "where to write the private key (the public one goes to FILE.pub)")
    .action(async (opts: { out: string }) => {
      const { generateKeyFiles } = await import("../store/signing.js");
      const id = await generateKeyFiles(opts.out);
      process.stderr.write(`cairn: wrote ${opts.out} (private: keep it secret) and ${opts.out}.pub (key ${id}: give it to readers as --store-trust)\n`);
    });

  const cache = program.command("cache").description("look after a cache: check everything in it, take out what is not used");
  const cacheFlags = (cmd: Command) =>
    cmd
      .addOption(new Option("--cache-dir <dir>", "the cache").default(defaultCacheDir(), "$XDG_CACHE_HOME/cairn or ~/.cache/cairn"))
      .option("-q, --quiet", "no progress output", false);
  cacheFlags(cache.command("verify"))
    .description("hash every blob, check every record's seal and every unpacked tree's files; exit 1 if anything was changed")
    .option("--repair", "take out what was changed, so builds fetch or make it again", false)
    .action(async (opts) => {
      lastGlobals = { cacheDir: opts.cacheDir, offline: false, quiet: opts.quiet, typecheck: false };
      const { cacheVerifyCommand } = await import("./cache.js");
      await cacheVerifyCommand({ cacheDir: opts.cacheDir, quiet: opts.quiet, repair: opts.repair });
    });
  cacheFlags(cache.command("gc"))
    .description("take out blobs, trees and records no build has used lately (and stale staging left by killed builds)")
    .option("--older-than <duration>", "take out what was last used longer ago than this (d, h, m, s)", "30d")
    .option("--max-size <size>", "then take out the least recently used until the cache is this small (e.g. 20GiB); nothing used in the last hour")
    .option("--dry-run", "say what would go, take out nothing", false)
    .action(async (opts) => {
      lastGlobals = { cacheDir: opts.cacheDir, offline: false, quiet: opts.quiet, typecheck: false };
      const { cacheGcCommand } = await import("./cache.js");
      await cacheGcCommand({ cacheDir: opts.cacheDir, quiet: opts.quiet, olderThan: opts.olderThan, maxSize: opts.maxSize, dryRun: opts.dryRun });
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const at = { cacheDir: lastGlobals?.cacheDir };
    const known = isCairnError(e) ? e : systemError(e, at) ?? systemError((e as { cause?: unknown } | undefined)?.cause, at);
    if (known) {
      process.stderr.write(`error[${known.code}]: ${known.message}\n${known.hint ? `  hint: ${known.hint}\n` : ""}`);
      return exitCodeOf(known);
    }
    process.stderr.write(`cairn: internal error (a bug in cairn, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

/** A definition file, by its extension or because it is one: not a registry reference. */
function looksLikeDefinition(operand: string): boolean {
  return /\.(c|m)?[jt]s$/.test(operand) || statSync(operand, { throwIfNoEntry: false })?.isFile() === true;
}

function registryOptions(opts: { creds?: string; insecure?: boolean; caFile?: string }) {
  return { ...(opts.creds ? { creds: opts.creds } : {}), ...(opts.insecure ? { insecure: true } : {}), ...(opts.caFile ? { caFile: opts.caFile } : {}) };
}

/** `pushTo`: the REF pushed to, whose registry alone --creds/--insecure/--ca-file are then for. */
/** The last command's global options, for naming the cache in errors that name no path. */
let lastGlobals: GlobalOptions | undefined;

function globals(opts: { cacheDir: string; offline: boolean; quiet: boolean; typecheck: boolean; platform?: string; compressor?: "gzip" | "zstd" | "none"; limit?: string[]; creds?: string; insecure?: boolean; caFile?: string; store?: string; storePush?: boolean; storeKey?: string; storeTrust?: string[] }, pushTo?: string): GlobalOptions {
  const store: StoreOptions = {
    ...(opts.store ? { ref: opts.store } : {}), ...(opts.storePush ? { push: true } : {}),
    ...(opts.storeKey ? { key: opts.storeKey } : {}), ...(opts.storeTrust ? { trust: opts.storeTrust } : {}),
  };
  lastGlobals = {
    cacheDir: opts.cacheDir, offline: opts.offline, quiet: opts.quiet, typecheck: opts.typecheck, ...(opts.limit ? { limits: opts.limit } : {}),
    registry: { ...registryOptions(opts), ...(pushTo ? { pushTo } : {}) },
    ...(Object.keys(store).length ? { store } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(opts.compressor ? { compressor: opts.compressor } : {}),
  };
  return lastGlobals;
}
