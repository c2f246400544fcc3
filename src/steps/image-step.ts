// runAsRoot and extraCommands: a script run in the sandbox over the image's filesystem as it
// stands, its effect recorded as changed paths and deleted paths. The result is stored under the
// hash of everything that went in, so an unchanged step is not run again.
//
// runAsRoot: the image's files and the step's tools are copied into one root, the script runs as
// uid 0 of a user namespace under fakeroot (chown and chmod recorded, no privilege needed), and
// what the tools alone brought is dropped afterwards unless the script changed it.
// extraCommands: the tools are the root (read-only), the image's tree is the writable working
// directory (/image), and the script runs as an ordinary user (uid 1000), as Nix runs it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StepSpec } from "../define/spec.js";
import type { FsEntry } from "../fs/types.js";
import { comparePaths } from "../fs/tree.js";
import type { SandboxRun } from "../sandbox/bwrap.js";
import { scanChanges, type StepChanges } from "../sandbox/changes.js";
import { formatFakerootDb, parseFakerootDb, S_IFDIR, S_IFLNK, S_IFREG } from "../sandbox/fakeroot.js";
import { materialize } from "../sandbox/materialize.js";
import { checkCanRun } from "../sandbox/emulation.js";
import { hostArchitecture, platformName } from "../define/platform.js";
import { inputKey } from "../store/store.js";
import type { StepContext, Tools } from "./context.js";
import { cairnFingerprint } from "../fingerprint.js";
import { runInSandboxOrFail } from "./sandbox-run.js";
import { outputIntact, networkTrust, persistOutput, readOnlyRoot, removeTree, shellArgv, stepEnv, withFilesForLinks, writeStepFiles } from "./sandbox-io.js";
import { sharedOutput, shareOutput } from "./shared-output.js";

const STEP_FORMAT = 1;
export type StepKind = "runAsRoot" | "extraCommands";

/** Left behind by the tools themselves, never part of the image (shadow's lock and backups, ld.so's aux cache). */
const STRAY = new Set(["etc/.pwd.lock", "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-", "etc/subuid-", "etc/subgid-", "var/cache/ldconfig/aux-cache", "root/.bash_history"]);
/** Mount points the sandbox makes; ignored unless the image had them. */
const MOUNT_POINTS = ["proc", "dev", "tmp", "sys", "etc/resolv.conf", "etc/hosts", ".cairn"];

export interface StepRun {
  kind: StepKind;
  step: StepSpec;
  env: Tools;
  /** The image's entries as they stand before the step. */
  image: FsEntry[];
  ctx: StepContext;
}

export async function runImageStep(r: StepRun): Promise<StepChanges> {
  const { ctx } = r;
  const key = inputKey({
    format: STEP_FORMAT, cairn: cairnFingerprint(), kind: r.kind, script: r.step.script, network: r.step.network, epoch: ctx.epoch,
    tools: r.env.hashes,
    image: r.image.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.sha256 ?? e.linkname ?? ""]),
  });
  const origin = `step:${r.kind}`;
  const treeDir = ctx.store.treePath(`step-${key}`);
  const cached = await ctx.store.getEntry<{ changed: FsEntry[]; deleted: string[] }>("step", key);
  if (cached && fs.existsSync(treeDir) && (await outputIntact(ctx, `step-${key}`, treeDir, cached.changed, r.kind))) {
    ctx.reporter.info(`cairn: ${r.kind}: unchanged, reusing its stored result (${cached.changed.length} paths changed, ${cached.deleted.length} removed)`);
    await shareOutput(ctx, "step", key, cached, cached.changed, treeDir);
    return { changed: cached.changed.map((e) => withContent(e, treeDir)), deleted: cached.deleted };
  }
  const shared = await sharedOutput<{ changed: FsEntry[]; deleted: string[] }>(ctx, "step", key, `step-${key}`, (s) => s.changed, r.kind);
  if (shared && Array.isArray(shared.deleted)) return { changed: shared.changed.map((e) => withContent(e, treeDir)), deleted: shared.deleted };

  checkCanRun(r.env.architecture, r.kind, platformName(r.env.architecture));
  ctx.reporter.info(`cairn: ${r.kind}: running in the sandbox${r.step.network ? " (with network)" : " (no network)"}${r.env.architecture !== hostArchitecture() ? ` under qemu for ${platformName(r.env.architecture)}` : ""}`);
  const tools = await r.env.entries();
  const work = await ctx.store.tempPath();
  try {
    const changes = r.kind === "runAsRoot" ? await runAsRoot(r, tools, work, origin) : await extraCommands(r, tools, work, origin);
    const dir = await persistOutput(ctx.store, `step-${key}`, changes.changed);
    const record = { changed: changes.changed.map((e) => ({ ...e, content: undefined })), deleted: changes.deleted };
    await ctx.store.putEntry("step", key, record);
    await shareOutput(ctx, "step", key, record, record.changed, dir);
    ctx.reporter.info(`cairn: ${r.kind}: ${changes.changed.length} paths added or changed, ${changes.deleted.length} removed`);
    return { changed: record.changed.map((e) => withContent(e, dir)), deleted: changes.deleted };
  } finally {
    removeTree(work);
  }
}

function withContent(e: FsEntry, dir: string): FsEntry {
  return e.type === "file" ? { ...e, content: { kind: "path", path: path.join(dir, "files", e.path) } } : e;
}

async function runAsRoot(r: StepRun, tools: FsEntry[], work: string, origin: string): Promise<StepChanges> {
  const root = path.join(work, "root");
  const imagePaths = new Set(r.image.map((e) => e.path));
  // The image's files win where a tool ships the same path.
  const merged = withFilesForLinks([...r.image, ...tools.filter((e) => !imagePaths.has(e.path))]);
  const m = materialize(merged, root, { writable: true, mtime: r.ctx.epoch });
  const before = new Map(merged.map((e) => [e.path, e]));

  const preload = tools.find((e) => e.path.endsWith("/libfakeroot/libfakeroot-sysv.so"));
  if (!preload || !before.has("usr/bin/faked-sysv")) throw new Error("cairn bug: the runAsRoot tools lack fakeroot");
  const meta = path.join(root, ".cairn");
  writeStepFiles(meta, r.step.script);
  fs.writeFileSync(path.join(meta, "run"), fakerootDriver(`/${preload.path}`));
  // Owners other than root are fakeroot's to remember: the files themselves belong to the builder.
  const owned = merged.filter((e) => (e.uid !== 0 || e.gid !== 0) && m.stamps.has(e.path));
  fs.writeFileSync(path.join(meta, "fakeroot.load"), formatFakerootDb(owned.map((e) => ({
    dev: m.dev, ino: m.stamps.get(e.path)!.ino, mode: typeBits(e) | e.mode, uid: e.uid, gid: e.gid, nlink: 1, rdev: 0,
  }))));

  await sandboxed(r, { root: { dir: root, writable: true }, cwd: "/", uid: 0, gid: 0, argv: ["/bin/sh", "/.cairn/run"], env: stepEnv(r.ctx.epoch, { HOME: "/root", ...(r.step.network ? networkTrust(meta) : {}) }) });

  const fake = parseFakerootDb(readIfThere(path.join(meta, "fakeroot.save")), m.dev);
  const changes = await scanChanges(root, { before, stamps: m.stamps, fake, origin, ignore: ignoreFor(before) });
  // What the tools alone brought and the script left alone is not the image's — except the
  // directories that now hold what the script made (/var/mail keeps its 2775 root:mail).
  const changed = new Map(changes.changed.map((e) => [e.path, e]));
  for (const e of changes.changed) {
    for (let i = e.path.lastIndexOf("/"); i > 0; i = e.path.lastIndexOf("/", i - 1)) {
      const dir = e.path.slice(0, i);
      const had = before.get(dir);
      if (imagePaths.has(dir) || changed.has(dir) || had?.type !== "dir") break;
      changed.set(dir, { ...had, origin });
    }
  }
  return { changed: [...changed.values()].sort((a, b) => comparePaths(a.path, b.path)), deleted: changes.deleted.filter((p) => imagePaths.has(p)) };
}

async function extraCommands(r: StepRun, tools: FsEntry[], work: string, origin: string): Promise<StepChanges> {
  const toolsRoot = await readOnlyRoot(r.ctx.store, `env-${inputKey(r.env.hashes)}`, tools, r.ctx.epoch);
  const image = path.join(work, "image");
  const entries = withFilesForLinks(r.image);
  const m = materialize(entries, image, { writable: true, mtime: r.ctx.epoch });
  const meta = path.join(work, "meta");
  writeStepFiles(meta, r.step.script);
  await sandboxed(r, {
    root: { dir: toolsRoot, writable: false }, cwd: "/image", uid: 1000, gid: 1000, argv: shellArgv("/.cairn/script"),
    binds: [{ source: image, target: "/image", writable: true }, { source: meta, target: "/.cairn", writable: false }],
    env: stepEnv(r.ctx.epoch, { HOME: "/tmp", ...(r.step.network ? networkTrust(meta) : {}) }),
  });
  const before = new Map(entries.map((e) => [e.path, e]));
  return scanChanges(image, { before, stamps: m.stamps, origin, ignore: (p) => STRAY.has(p) });
}

function ignoreFor(before: Map<string, FsEntry>): (p: string) => boolean {
  return (p) => STRAY.has(p) || (MOUNT_POINTS.includes(p) && !before.has(p));
}

async function sandboxed(r: StepRun, run: Omit<SandboxRun, "network" | "stdio" | "onOutput">): Promise<void> {
  await runInSandboxOrFail(r.kind, { ...run, network: r.step.network }, r.ctx);
}

function fakerootDriver(preload: string): string {
  // faked keeps the ownership the script sets; it saves its records on SIGTERM, and the sandbox
  // would kill it at the end, so it is stopped and waited for before the driver exits.
  return `set -e
umask 022
started=$(faked-sysv --load --save-file /.cairn/fakeroot.save < /.cairn/fakeroot.load)
faked=\${started##*:}
status=0
export FAKEROOTKEY=\${started%%:*}
FAKEROOTDONTTRYCHOWN=1 LD_PRELOAD=${preload} /bin/sh -e /.cairn/script || status=$?
# chown and chmod reach faked as messages it is not waited for, and on SIGTERM it saves what it
# has: a stat (answered in order, after them) makes sure the script's last chown is in.
LD_PRELOAD=${preload} stat / >/dev/null
kill -TERM "$faked"
i=0
while kill -0 "$faked" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
exit $status
`;
}

function typeBits(e: FsEntry): number {
  return e.type === "dir" ? S_IFDIR : e.type === "symlink" ? S_IFLNK : S_IFREG;
}

function readIfThere(p: string): string {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return "";
  }
}
