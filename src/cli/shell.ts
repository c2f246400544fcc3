// `cairn shell -p PKG… [--run CMD]`: nix-shell -p without installing anything on the host. The
// packages (plus a shell and the core utilities) are resolved and unpacked like an image's, kept
// in the store as a read-only root, and a sandbox runs the command there with the current
// directory mounted read-write at the same path and the host's network.
import * as os from "node:os";
import { debian } from "../define/index.js";
import type { DebianPackageSpec } from "../define/spec.js";
import { emptyLock, lockOf, pinsFrom, type LockFile } from "../debian/lockfile.js";
import { packagesOf, type Resolution } from "../debian/resolution.js";
import { environmentEntries, resolveEnvironment, STEP_TOOLS } from "../build/environment.js";
import { readOnlyRoot } from "../steps/sandbox-io.js";
import { runInSandbox } from "../sandbox/bwrap.js";
import { inputKey } from "../store/store.js";
import { buildFromDefinition, makeContext } from "./commands.js";
import { baseEntries } from "../steps/base-files.js";
import type { BuildContext } from "../build/context.js";
import type { ContainerConfig } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import { parseOnePlatformFlag } from "../build/platforms.js";
import { platformName } from "../define/platform.js";
import { checkCanRun } from "../sandbox/emulation.js";
import type { GlobalOptions } from "./main.js";

const REUSE_MS = 24 * 3600 * 1000;

export interface ShellCommandOptions {
  /** Packages to make the environment of (`-p`)… */
  packages: string[];
  /** …or an image of a definition to run as it is, without a container engine (`FILE -A NAME`). */
  image?: { file: string; attr?: string; frozen?: boolean };
  /** A command for `bash -c`; without it, an interactive bash. */
  run?: string;
  /** Take packages from this suite of the host's apt sources. */
  suite?: string;
  architecture?: string;
  /** Resolve anew even if these packages were resolved in the last day. */
  refresh?: boolean;
  /** Share the host's network (default true: a development server must be reachable). */
  network?: boolean;
  global: GlobalOptions;
}

/** Runs the shell; returns its exit status. */
export async function shellCommand(o: ShellCommandOptions, ctx = makeContext(o.global)): Promise<number> {
  // One platform at a time: its programs run here, under qemu when it is not this machine's.
  const platform = o.global.platform ? parseOnePlatformFlag(o.global.platform, "cairn shell runs one platform at a time") : undefined;
  if (o.image) return imageShell(o, o.image, ctx);
  const architecture = platform ?? o.architecture;
  if (architecture) checkCanRun(architecture, "This shell", platformName(architecture), undefined, false);
  const { root, label } = await packagesRoot({ ...o, ...(architecture ? { architecture } : {}) }, ctx);
  ctx.reporter.info(`cairn: shell with ${label}${o.run ? `: ${o.run}` : ""}`);
  return inSandbox(root, o.run ? ["/bin/bash", "-c", o.run] : ["/bin/bash", "--norc", "-i"], process.cwd(), {}, o.network ?? true);
}

async function packagesRoot(o: ShellCommandOptions, ctx: BuildContext): Promise<{ root: string; label: string }> {
  const pkgs = debian({ ...(o.suite ? { suite: o.suite } : {}), ...(o.architecture ? { architecture: o.architecture } : {}) });
  const asked = o.packages.map((p) => pkgs(p));
  const named = new Set(asked.map((p) => p.name));
  const packages: DebianPackageSpec[] = [...asked, ...STEP_TOOLS.filter((n) => !named.has(n)).map((n) => pkgs(n))];
  // The same packages again within a day (or --offline) reuse the last resolution: no index is read.
  const lockKey = inputKey({ packages: packages.map((p) => [p.name, p.version ?? ""]), set: pkgs.spec });
  const saved = await ctx.store.getEntry<{ at: number; lock: LockFile }>("shell-lock", lockKey);
  const fresh = !!saved && !o.refresh && (ctx.offline || ctx.now.getTime() - saved.at < REUSE_MS);
  const pins = fresh ? pinsFrom(saved.lock) : new Map<string, Resolution>();
  const env = await resolveEnvironment("shell", packages, pkgs.spec.architecture, pins, ctx, { lockLabel: "cairn shell", definitionDir: process.cwd() });
  if (!fresh) await ctx.store.putEntry("shell-lock", lockKey, { at: ctx.now.getTime(), lock: lockOf(emptyLock(), [["shell", env.resolution]]) });
  const hashes = packagesOf(env.resolution).map((p) => p.sha256);
  const root = await readOnlyRoot(ctx.store, `shell-${inputKey(hashes)}`, await environmentEntries(env, ctx), 0);
  return { root, label: `${o.packages.join(", ")} (${hashes.length} packages)` };
}

/**
 * An image's filesystem in the sandbox, its Entrypoint and Cmd (or --run) run as a local program
 * with the host's network: seed 001's `nix-build -A server && ./result/bin/server`, no engine needed.
 */
async function imageShell(o: ShellCommandOptions, target: NonNullable<ShellCommandOptions["image"]>, ctx: BuildContext): Promise<number> {
  const { image, spec } = await buildFromDefinition({ ...target, global: o.global }, ctx);
  // A definition for several platforms is run as this machine's (buildFromDefinition's primary), or as --platform's.
  checkCanRun(spec.architecture, image.repoTags[0] ?? "The image", platformName(spec.architecture), undefined, false);
  const entries = await baseEntries(image.layers, ctx);
  const root = await readOnlyRoot(ctx.store, `image-root-2-${image.manifestDigest.slice(7)}`, entries, ctx.epoch);
  const c = (JSON.parse(image.config.toString("utf8")) as { config?: ContainerConfig }).config ?? {};
  if (o.run && !entries.some((e) => e.path === "usr/bin/sh" || e.path === "bin/sh")) {
    throw new CairnError(ErrorCode.USAGE, `--run needs /bin/sh, and ${image.repoTags[0]} has none.`, "Add pkgs(\"dash\") to its contents, or run its own command (leave out --run).");
  }
  const argv = o.run ? ["/bin/sh", "-c", o.run] : [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (!argv.length) throw new CairnError(ErrorCode.DEFINITION_INVALID, `${image.repoTags[0]} has no Entrypoint or Cmd to run.`, "Give it one in config, or pass --run CMD.");
  ctx.reporter.info(`cairn: running ${image.repoTags[0]} in the sandbox: ${argv.join(" ")}`);
  const env = Object.fromEntries((c.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  // --run works in the current directory, as in a packages shell; the image's own command in its WorkingDir.
  return inSandbox(root, argv, o.run ? process.cwd() : (c.WorkingDir ?? "/"), env, o.network ?? true);
}

async function inSandbox(root: string, argv: string[], cwd: string, env: Record<string, string>, network: boolean): Promise<number> {
  const here = process.cwd();
  // Signals go to the program in the sandbox (runInSandbox forwards them); cairn waits for it to end.
  const result = await runInSandbox({
    root: { dir: root, writable: false },
    binds: [{ source: here, target: here, writable: true }],
    cwd,
    env: {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C.UTF-8",
      HOME: here,
      TERM: process.env["TERM"] ?? "dumb",
      PS1: "[cairn shell \\W]\\$ ",
      ...env,
    },
    network,
    uid: process.getuid?.() ?? 1000,
    gid: process.getgid?.() ?? 1000,
    argv,
    stdio: "inherit",
  });
  return result.signal ? 128 + (os.constants.signals[result.signal] ?? 0) : result.code;
}
