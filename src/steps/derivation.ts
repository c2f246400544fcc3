// Derivations: a build script run in the sandbox over its inputs (packages, files, text, other
// derivations' outputs), whose `$out` is stored under the hash of all of them. The same inputs
// give the stored output without running anything; any change runs the build again.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContentSpec, DerivationSpec, ImageSpec } from "../define/spec.js";
import { CairnError, ErrorCode } from "../errors.js";
import type { FsEntry } from "../fs/types.js";
import { mergedUsrPath } from "../fs/usrmerge.js";
import { scanChanges } from "../sandbox/changes.js";
import { materialize } from "../sandbox/materialize.js";
import { inputKey } from "../store/store.js";
import { userEntries } from "../fs/assemble.js";
import { crossEnvironment, platformName } from "../define/platform.js";
import { checkCanRun } from "../sandbox/emulation.js";
import type { StepContext, Tools } from "./context.js";
import { cairnFingerprint } from "../fingerprint.js";
import { outputIntact, persistOutput, removeTree, networkTrust, shellArgv, stepEnv, withFilesForLinks, writeStepFiles } from "./sandbox-io.js";
import { runInSandboxOrFail } from "./sandbox-run.js";
import { sharedOutput, shareOutput } from "./shared-output.js";

const DERIVATION_FORMAT = 1;

/** Every derivation the contents use, those a derivation needs before it; names must be unique. */
export function derivationsOf(contents: ContentSpec[]): DerivationSpec[] {
  const out: DerivationSpec[] = [];
  const byName = new Map<string, DerivationSpec>();
  const visit = (d: DerivationSpec, chain: string[]) => {
    if (chain.includes(d.name)) throw new CairnError(ErrorCode.DEFINITION_INVALID, `Derivation "${d.name}" needs itself: ${[...chain, d.name].join(" → ")}.`, "Remove the cycle from its inputs.");
    const seen = byName.get(d.name);
    if (seen) {
      if (seen !== d && JSON.stringify(seen) !== JSON.stringify(d)) {
        throw new CairnError(ErrorCode.DEFINITION_INVALID, `Two different derivations are named "${d.name}".`, "Give each derivation its own name.");
      }
      return;
    }
    for (const i of d.inputs) if (i.kind === "derivation") visit(i, [...chain, d.name]);
    byName.set(d.name, d);
    out.push(d);
  };
  for (const c of contents) if (c.kind === "derivation") visit(c, []);
  return out;
}

/** The output's entries, placed at the image root (`bin/x` lands in `usr/bin/x`). */
export async function buildDerivation(d: DerivationSpec, env: Tools, built: Map<string, FsEntry[]>, definitionDir: string, ctx: StepContext): Promise<FsEntry[]> {
  const files = await userEntries({ contents: d.inputs } as ImageSpec, definitionDir, ctx.store);
  const deps = d.inputs.flatMap((i) => (i.kind === "derivation" ? built.get(i.name)! : []));
  const digest = (es: FsEntry[]) => es.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.sha256 ?? e.linkname ?? ""]);
  const key = inputKey({
    format: DERIVATION_FORMAT, cairn: cairnFingerprint(), build: d.build, network: d.network, epoch: ctx.epoch,
    packages: env.hashes, files: digest(files), deps: digest(deps),
    ...(d.crossCompiles ? { target: d.target ?? env.architecture } : {}),
  });
  const origin = `derivation:${d.name}`;
  const treeDir = ctx.store.treePath(`drv-${key}`);
  const cached = await ctx.store.getEntry<{ entries: FsEntry[] }>("derivation", key);
  if (cached && fs.existsSync(treeDir) && (await outputIntact(ctx, `drv-${key}`, treeDir, cached.entries, `derivation ${d.name}`))) {
    ctx.reporter.info(`cairn: derivation ${d.name}: inputs unchanged, reusing its stored output (${cached.entries.length} paths)`);
    await shareOutput(ctx, "derivation", key, cached, cached.entries, treeDir);
    return placed(cached.entries, treeDir);
  }
  const shared = await sharedOutput<{ entries: FsEntry[] }>(ctx, "derivation", key, `drv-${key}`, (r) => r.entries, `derivation ${d.name}`);
  if (shared) return placed(shared.entries, treeDir);

  ctx.reporter.info(`cairn: derivation ${d.name}: building (no stored output for these inputs)${d.network ? " with network" : ""}`);
  checkCanRun(env.architecture, `derivation ${d.name}`, platformName(env.architecture));
  const work = await ctx.store.tempPath();
  try {
    const out = await runBuild(d, env.architecture, await env.entries(), deps, files, work, ctx);
    const { changed } = await scanChanges(out, { before: new Map(), stamps: new Map(), ignore: () => false, origin });
    if (!changed.length) {
      throw new CairnError(ErrorCode.STEP_OUTPUT_INVALID, `derivation ${d.name} wrote nothing to $out.`, "Its build script must put its result under $out (e.g. `install -D hello \"$out/usr/bin/hello\"`).");
    }
    // The build ran as an ordinary user: what it made belongs to root in the image, as in Nix's store.
    const owned = changed.map((e) => ({ ...e, uid: 0, gid: 0 }));
    const dir = await persistOutput(ctx.store, `drv-${key}`, owned);
    const entries = owned.map((e) => ({ ...e, content: undefined }));
    await ctx.store.putEntry("derivation", key, { entries });
    ctx.reporter.info(`cairn: derivation ${d.name}: stored ${entries.length} paths`);
    await shareOutput(ctx, "derivation", key, { entries }, entries, dir);
    return placed(entries, dir);
  } finally {
    removeTree(work);
  }
}

/** Lays the inputs out under `work/root`, runs the build script there, and returns its $out folder. */
async function runBuild(d: DerivationSpec, arch: string, tools: FsEntry[], deps: FsEntry[], files: FsEntry[], work: string, ctx: StepContext): Promise<string> {
  const root = path.join(work, "root");
  // Later sources win: the packages, then other derivations' outputs, then the files given.
  const byPath = new Map<string, FsEntry>();
  for (const e of [...tools, ...deps, ...files]) byPath.set(e.path, e);
  materialize(withFilesForLinks([...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))), root, { writable: true, mtime: ctx.epoch });
  for (const dir of ["out", "build"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
  writeStepFiles(path.join(root, ".cairn"), d.build);
  await runInSandboxOrFail(`derivation ${d.name}`, {
    root: { dir: root, writable: true }, cwd: "/build", uid: 1000, gid: 1000, argv: shellArgv("/.cairn/script"), network: d.network,
    env: stepEnv(ctx.epoch, {
      HOME: "/build", out: "/out", ...(d.network ? networkTrust(path.join(root, ".cairn")) : {}),
      ...(d.crossCompiles ? crossEnvironment(d.target ?? arch) : {}),
    }),
  }, ctx);
  return path.join(root, "out");
}

/**
 * A derivation run once, its output read by `read` and then thrown away: for work whose result is
 * pinned elsewhere (a resolution written to cairn.lock), never stored. Inputs: packages, files, text.
 */
export async function runOnce<T>(d: DerivationSpec, env: Tools, definitionDir: string, ctx: StepContext, read: (out: string) => Promise<T>): Promise<T> {
  const files = await userEntries({ contents: d.inputs } as ImageSpec, definitionDir, ctx.store);
  checkCanRun(env.architecture, `derivation ${d.name}`, platformName(env.architecture));
  const work = await ctx.store.tempPath();
  try {
    return await read(await runBuild(d, env.architecture, await env.entries(), [], files, work, ctx));
  } finally {
    removeTree(work);
  }
}

function placed(entries: FsEntry[], dir: string): FsEntry[] {
  return entries.map((e) => ({
    ...e,
    path: mergedUsrPath(e.path),
    ...(e.type === "file" ? { content: { kind: "path" as const, path: path.join(dir, "files", e.path) } } : {}),
  }));
}
