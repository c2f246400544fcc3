// The disk side of sandboxed work, shared by steps, derivations and `cairn shell`: the fixed
// environment scripts see, read-only roots kept in the store, outputs moved into the store, and
// scratch trees removed even where a script left directories without write permission.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FsEntry } from "../fs/types.js";
import { MAKE_WRAPPER, WRAP_PROGRAM } from "../sandbox/make-wrapper.js";
import { materialize } from "../sandbox/materialize.js";
import type { Store } from "../store/store.js";
import { firstChangedFile, treeFiles } from "../store/tree-check.js";
import type { StepContext } from "./context.js";

/** The whole environment of a script: nothing from the host, everything that makes output vary pinned. */
export function stepEnv(epoch: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    // /.cairn/bin: makeWrapper and wrapProgram, last so the image's own commands come first.
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/.cairn/bin",
    LANG: "C.UTF-8",
    TZ: "UTC",
    TMPDIR: "/tmp",
    SOURCE_DATE_EPOCH: String(epoch),
    // Hash-seeded set order would reach marshalled bytecode; imports must not litter __pycache__.
    PYTHONHASHSEED: "0",
    PYTHONDONTWRITEBYTECODE: "1",
    ...extra,
  };
}

/** The step's own directory (mounted at /.cairn): the script and the helper commands. */
export function writeStepFiles(dir: string, script: string): void {
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.writeFileSync(path.join(dir, "script"), script);
  fs.writeFileSync(path.join(dir, "bin", "makeWrapper"), MAKE_WRAPPER, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "bin", "wrapProgram"), WRAP_PROGRAM, { mode: 0o755 });
}

/**
 * A step with the network trusts the certificate authorities the host trusts (a company proxy's
 * CA, say): the host's bundle is copied into the step's directory and named to OpenSSL, Node and
 * Python. Transport only — what is downloaded is still checked against its pinned hash.
 */
export function networkTrust(stepDir: string, hostEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const candidates = [hostEnv["SSL_CERT_FILE"], hostEnv["NODE_EXTRA_CA_CERTS"], "/etc/ssl/certs/ca-certificates.crt"];
  const found = candidates.find((f): f is string => !!f && fs.existsSync(f));
  if (!found) return packageIndexes(hostEnv);
  fs.mkdirSync(stepDir, { recursive: true });
  fs.copyFileSync(found, path.join(stepDir, "ca-certificates.crt"));
  const inside = "/.cairn/ca-certificates.crt";
  return { SSL_CERT_FILE: inside, NODE_EXTRA_CA_CERTS: inside, REQUESTS_CA_BUNDLE: inside, CURL_CA_BUNDLE: inside, GIT_SSL_CAINFO: inside, ...packageIndexes(hostEnv) };
}

/**
 * The package indexes the user set for pip and npm (a private index, a proxy), passed to a step
 * with the network as they are. Only where to download from: the hashes pin what is downloaded.
 */
export function packageIndexes(hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const names = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "npm_config_registry", "NPM_CONFIG_REGISTRY"];
  return Object.fromEntries(names.filter((n) => hostEnv[n]).map((n) => [n, hostEnv[n]!]));
}

/** argv that runs `script` (a path in the sandbox) with `sh -e` under a fixed umask. */
export function shellArgv(script: string): string[] {
  return ["/bin/sh", "-c", 'umask 022 && exec /bin/sh -e "$1"', "sh", script];
}

/** Hard links as copies of their targets: a step's root holds plain files, compared one by one. */
export function withFilesForLinks(entries: FsEntry[]): FsEntry[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return entries.map((e) => {
    if (e.type !== "hardlink") return e;
    const target = byPath.get(e.linkname!);
    return target && target.type === "file" ? { ...target, path: e.path, origin: e.origin } : e;
  });
}

/** A read-only root made once per key (files hard-linked from the store), for tools and shells. */
export async function readOnlyRoot(store: Store, key: string, entries: FsEntry[], mtime: number): Promise<string> {
  const make = async (dir: string) => {
    materialize(withFilesForLinks(entries), dir, { writable: false, mtime });
    // Mount points for the host's resolver files, when a step or shell has the network.
    fs.mkdirSync(path.join(dir, "etc"), { recursive: true });
    for (const f of ["resolv.conf", "hosts"]) if (!fs.existsSync(path.join(dir, "etc", f))) fs.writeFileSync(path.join(dir, "etc", f), "");
  };
  // What a step runs must be what the packages hold: a root whose files were changed is made again.
  const dir = await store.tree(key, make);
  if (!(await firstChangedFile(store, key, dir, treeFiles(withFilesForLinks(entries))))) return dir;
  await store.dropTree(key);
  return store.tree(key, make);
}

/** Moves the changed files into a store tree (`files/<path>`); returns the tree's directory. */
export function persistOutput(store: Store, key: string, changed: FsEntry[]): Promise<string> {
  return store.tree(key, async (dir) => {
    for (const e of changed) {
      if (e.type !== "file" || e.content?.kind !== "path") continue;
      const to = path.join(dir, "files", e.path);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(e.content.path, to);
      fs.chmodSync(to, e.mode & 0o111 ? 0o755 : 0o644);
    }
  });
}

/** rm -rf that first gives the owner write access to every directory (a script may have removed it). */
export function removeTree(dir: string): void {
  const open = (d: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(d);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    if ((st.mode & 0o700) !== 0o700) fs.chmodSync(d, (st.mode & 0o7777) | 0o700);
    for (const name of fs.readdirSync(d)) open(path.join(d, name));
  };
  open(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether a stored step or derivation output still holds the files its record lists; when not, the
 * output is taken out (the caller runs the step again) and the user is told.
 */
export async function outputIntact(ctx: StepContext, key: string, dir: string, entries: FsEntry[], what: string): Promise<boolean> {
  const changed = await firstChangedFile(ctx.store, key, path.join(dir, "files"), treeFiles(entries));
  if (!changed) return true;
  ctx.reporter.warn(`the cache's stored output of ${what} was changed (/${changed}); running it again`);
  await ctx.store.dropTree(key);
  return false;
}
