// `cairn shell -p PKG… [--run CMD]`: nix-shell -p without installing anything on the host. The
// packages (plus a shell and the core utilities) are resolved and unpacked like an image's, kept
// in the store as a read-only root, and a sandbox runs the command there with the current
// directory mounted read-write at the same path and the host's network.
import { debian } from "../define/index.js";
import type { DebianPackageSpec } from "../define/spec.js";
import { emptyLock, withImage, type LockFile } from "../debian/lockfile.js";
import { environmentEntries, resolveEnvironment, STEP_TOOLS } from "../pipeline/environment.js";
import { readOnlyRoot } from "../pipeline/sandbox-io.js";
import { runInSandbox } from "../sandbox/bwrap.js";
import { inputKey } from "../store/store.js";
import { makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

const REUSE_MS = 24 * 3600 * 1000;

export interface ShellCommandOptions {
  packages: string[];
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
  const pkgs = debian({ ...(o.suite ? { suite: o.suite } : {}), ...(o.architecture ? { architecture: o.architecture } : {}) });
  const asked = o.packages.map((p) => pkgs(p));
  const named = new Set(asked.map((p) => p.name));
  const packages: DebianPackageSpec[] = [...asked, ...STEP_TOOLS.filter((n) => !named.has(n)).map((n) => pkgs(n))];
  // The same packages again within a day (or --offline) reuse the last resolution: no index is read.
  const lockKey = inputKey({ packages: packages.map((p) => [p.name, p.version ?? ""]), set: pkgs.spec });
  const saved = await ctx.store.getEntry<{ at: number; lock: LockFile }>("shell-lock", lockKey);
  const fresh = !!saved && !o.refresh && (ctx.offline || ctx.now.getTime() - saved.at < REUSE_MS);
  const env = await resolveEnvironment("shell", packages, pkgs.spec.architecture, fresh ? saved.lock : emptyLock(), ctx, { lockPath: "cairn shell" });
  if (!fresh) await ctx.store.putEntry("shell-lock", lockKey, { at: ctx.now.getTime(), lock: withImage(emptyLock(), "shell", env.resolved.image, env.resolved.packages) });
  const root = await readOnlyRoot(ctx.store, `shell-${inputKey(env.resolved.packages.map((p) => p.sha256))}`, await environmentEntries(env, ctx), 0);
  ctx.reporter.info(`cairn: shell with ${o.packages.join(", ")} (${env.resolved.packages.length} packages)${o.run ? `: ${o.run}` : ""}`);

  const cwd = process.cwd();
  // Ctrl-C belongs to the program in the shell; cairn waits for it to end.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  try {
    const result = await runInSandbox({
      root: { dir: root, writable: false },
      binds: [{ source: cwd, target: cwd, writable: true }],
      cwd,
      env: {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        LANG: "C.UTF-8",
        HOME: cwd,
        TERM: process.env["TERM"] ?? "dumb",
        PS1: "[cairn shell \\W]\\$ ",
      },
      network: o.network ?? true,
      uid: process.getuid?.() ?? 1000,
      gid: process.getgid?.() ?? 1000,
      argv: o.run ? ["/bin/bash", "-c", o.run] : ["/bin/bash", "--norc", "-i"],
      stdio: "inherit",
    });
    return result.signal ? 128 + 2 : result.code;
  } finally {
    process.off("SIGINT", ignore);
  }
}
