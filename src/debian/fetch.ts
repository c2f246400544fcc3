// Step 2: every locked .deb in the store, verified against its sha256, then unpacked once per
// content hash. Downloads run a few at a time with one progress bar; nothing already stored is
// fetched again, and --offline turns a missing package into a clear error. A .deb is had by its
// hash from a chain of places — a registry store, the mirror, a snapshot archive — since the
// mirror drops superseded versions at every point release.
import { archiveForSuite, archivesOf } from "./archive.js";
import { isNotFound, redactUrl } from "./http.js";
import { loadUnpacked, MANIFEST_FILE, unpackDeb } from "./deb.js";
import type { LockedPackage } from "./lockfile.js";
import type { DebianSetSpec, SnapshotSpec } from "../define/spec.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { UnpackedPackage } from "./deb.js";
import { checkedTree } from "../store/tree-check.js";
import type { DebianContext, DebSource } from "./context.js";

const PARALLEL = 6;
/** Bumped when the unpacked layout changes, so old trees are not reused. */
const UNPACK_FORMAT = 3; // 2: the manifest keeps the postinst; 3: its hash is sealed

/**
 * Every locked .deb into the store, verified against its sha256. A package the store lacks is
 * looked for in `ctx.debSources` first (a registry store), then the mirror's pool, then each set's
 * snapshot archive at the time the lock records; when none has it, one error says where cairn
 * looked and the ways out.
 */
export async function fetchPackages(packages: LockedPackage[], sets: DebianSetSpec[], ctx: DebianContext, archiveDates: Readonly<Record<string, string>> = {}): Promise<void> {
  // Read now to name each package's URL in errors; an offline build from a full cache may have none.
  const archives = await Promise.all(sets.map((s) => archivesOf(s, ctx.aptDir))).then((a) => a.flat(), (e: unknown) => e);
  const urlOf = (p: LockedPackage) => {
    if (!Array.isArray(archives)) throw archives;
    return `${archiveForSuite(archives, p.suite, p.name).uri.replace(/\/+$/, "")}/${p.filename}`;
  };
  for (const p of packages) {
    try {
      sourceUrls.set(p, redactUrl(urlOf(p)));
    } catch {
      // No archive for its suite here: said when it has to be downloaded; until then the cache has it.
    }
  }
  const missing: LockedPackage[] = [];
  for (const p of packages) {
    // What is in the cache is checked before it is used (a shared cache may have been written by
    // anyone), when it is used: most builds unpack no .deb, and a cold one leaves many out.
    refetchers.set(p, () => fetchPackages([p], sets, ctx, archiveDates));
    if (!(await ctx.store.hasBlob(p.sha256))) missing.push(p);
  }
  if (!missing.length) return;
  if (ctx.offline) {
    throw new CairnError(
      ErrorCode.OFFLINE_MISSING,
      `--offline, but the cache lacks ${missing.length} package${missing.length > 1 ? "s" : ""}: ${missing.slice(0, 5).map((p) => `${p.name} ${p.version}`).join(", ")}${missing.length > 5 ? ", …" : ""}.`,
      "Build once without --offline to fill the cache (or point --cache-dir at a cache that has them).",
    );
  }
  const chain: DebSource[] = [
    ...(ctx.debSources ?? []),
    urlSource((p) => [urlOf(p)], (p, url) => `the mirror (${redactUrl(url)})`, ctx),
    ...sets.filter((s) => s.snapshot).map((s) => urlSource((p) => snapshotUrls(s.snapshot!, p, archiveDates), (p, url) => `the snapshot archive (${redactUrl(url)})`, ctx)),
  ];
  const total = missing.reduce((n, p) => n + p.size, 0);
  ctx.reporter.info(`cairn: downloading ${missing.length} packages (${(total / 1e6).toFixed(1)} MB)`);
  const bar = ctx.reporter.progress("downloading", total, "bytes");
  const queue = [...missing];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) await fetchOne(p, chain, ctx, (n) => bar.advance(n));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, missing.length) }, worker));
  } finally {
    bar.done();
  }
}

/** Failures that make cairn try the next place: the place is down, refuses, or has other bytes. */
const PASS_ON: ReadonlySet<ErrorCode> = new Set([ErrorCode.UNREACHABLE, ErrorCode.BAD_CHECKSUM, ErrorCode.REGISTRY_UNREACHABLE, ErrorCode.REGISTRY_REJECTED, ErrorCode.REGISTRY_AUTH]);

/** The first source with the package's very bytes; the store takes them only once their sha256 matches. */
async function fetchOne(p: LockedPackage, chain: DebSource[], ctx: DebianContext, onBytes: (n: number) => void): Promise<void> {
  const what = `${p.name} ${p.version} (${p.filename})`;
  const looked: string[] = [];
  let last: unknown;
  for (const source of chain) {
    let where: string;
    try {
      where = source.describe(p);
    } catch (e) {
      // No apt source serves its suite: the mirror is one place that does not have it.
      looked.push(`no apt source for suite "${p.suite}"`);
      last = e;
      continue;
    }
    try {
      const body = await source.open(p);
      if (!body) {
        looked.push(`${where}: not there`);
        continue;
      }
      await ctx.store.writeBlobStream(counted(body, onBytes), p.sha256, what);
      return;
    } catch (e) {
      if (!isCairnError(e) || !PASS_ON.has(e.code)) throw e;
      looked.push(`${where}: ${e.code === ErrorCode.BAD_CHECKSUM ? "other bytes than the lock's sha256" : e.message.replace(/\.$/, "")}`);
      last = e;
    }
  }
  // Every place failed for its own reason (down, forged bytes): that reason is the error, as it was.
  if (last && !looked.some((l) => l.endsWith(": not there"))) throw last;
  const snapshotSet = chain.length > 1 + (ctx.debSources?.length ?? 0);
  throw new CairnError(
    ErrorCode.PACKAGE_GONE,
    `cairn.lock pins ${p.name} ${p.version} (sha256 ${p.sha256.slice(0, 12)}…), and none of the places cairn looked has it: ${looked.join("; ")}.`,
    `Debian's mirror keeps only the current versions. Either take the version it has now: \`cairn lock --update ${p.name}\` (and commit cairn.lock), ` +
      `or fetch the pinned one from ${snapshotSet ? "a store that has it (--store REF)" : "a store (--store REF) or a snapshot archive: debian({ snapshot: { uri: SNAPSHOT_ARCHIVE_URI } })"}.`,
    { cause: last, data: { subject: `${p.name} ${p.version}`, origins: looked } },
  );
}

function urlSource(urls: (p: LockedPackage) => string[], label: (p: LockedPackage, url: string) => string, ctx: DebianContext): DebSource {
  // Several URLs (a snapshot's two moments) are one place: the first that has the file is used.
  return {
    describe: (p) => {
      const all = urls(p);
      return all.length ? label(p, all[0]!) : label(p, "no moment to ask for: the lock records no Release Date, and the snapshot gives no `at`");
    },
    async open(p) {
      for (const url of urls(p)) {
        try {
          return (await ctx.fetcher.stream(url, `${p.name} ${p.version} (${p.filename})`)).body;
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      return undefined;
    },
  };
}

/**
 * A package's URLs in a snapshot archive (the layout of Debian's snapshot service): at the asked moment, or at
 * its suite's Release Date as the lock records it and a day later (a snapshot taken just before
 * that Release may lack the newest files; pool files stay for days after they are superseded).
 */
export function snapshotUrls(snapshot: SnapshotSpec, p: LockedPackage, archiveDates: Readonly<Record<string, string>>): string[] {
  const archive = /-security$/.test(p.suite) ? "debian-security" : "debian";
  const root = `${snapshot.uri.replace(/\/+$/, "")}/archive/${archive}`;
  const at = snapshot.at ?? archiveDates[p.suite];
  if (!at) return [];
  const moments = snapshot.at ? [snapshotStamp(at)] : [snapshotStamp(at), snapshotStamp(new Date(Date.parse(at) + 86_400_000).toISOString())];
  return moments.map((m) => `${root}/${m}/${p.filename}`);
}

/** `20240101T000000Z` from that or any date JavaScript reads. */
export function snapshotStamp(at: string): string {
  if (/^\d{8}T\d{6}Z$/.test(at)) return at;
  return new Date(Date.parse(at)).toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

async function* counted(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onBytes(chunk.length);
    yield chunk;
  }
}

function treeKey(p: LockedPackage): string {
  return `deb-${UNPACK_FORMAT}-${p.sha256}`;
}

/**
 * The package unpacked once per content hash. A tree from the cache is checked before use (its
 * manifest against the seal, its files against the manifest) and unpacked again from the .deb,
 * which fetchPackages verified, when it fails. Checking is about five times faster than unpacking
 * again (measured: 88 packages, 164 MB: 1.2 s to hash, 6.4 s to unpack), and after one check a
 * sealed record of the files' inodes and times makes it a stat per file.
 */
export async function unpackPackage(locked: LockedPackage, ctx: DebianContext): Promise<UnpackedPackage> {
  const url = sourceUrls.get(locked);
  const origin = { ...locked, ...(url ? { url } : {}) };
  const dir = await checkedTree(ctx.store, treeKey(locked), async (d) => {
    await checkCachedDeb(locked, ctx);
    await unpackDeb(ctx.store.blobPath(locked.sha256), d, { origin, ...(ctx.debLimits ? { limits: ctx.debLimits } : {}) });
  }, {
    listing: MANIFEST_FILE,
    onChanged: (what) => ctx.reporter.warn(`the cache's unpacked copy of ${locked.name} ${locked.version} was changed (${what}); unpacking it again from its verified .deb`),
  });
  return { locked, dir, manifest: await loadUnpacked(dir) };
}

/** How to download a package again, as fetchPackages was told where it comes from. */
const refetchers = new WeakMap<LockedPackage, () => Promise<void>>();

/**
 * A .deb from the cache is checked before it is unpacked (hashed, unless the store knows its file
 * untouched since); a changed one is downloaded again (a named error offline, or where cairn was
 * not told where it comes from).
 */
async function checkCachedDeb(p: LockedPackage, ctx: DebianContext): Promise<void> {
  if (await ctx.store.blobIntact(p.sha256)) return;
  const refetch = refetchers.get(p);
  if (ctx.offline || !refetch) {
    throw new CairnError(
      ErrorCode.CACHE_DAMAGED,
      `The cache's copy of ${p.name} ${p.version} (${ctx.store.blobPath(p.sha256)}) no longer matches its sha256 ${p.sha256}: it was changed after it was downloaded.`,
      "Build once without --offline to download it again (the damaged copy is replaced), or use another --cache-dir.",
    );
  }
  ctx.reporter.warn(`the cache's copy of ${p.name} ${p.version} no longer matched its sha256 (it was changed after it was downloaded); downloading it again`);
  await ctx.store.dropBlob(p.sha256);
  await refetch();
}

/** The URL each package fetchPackages was given comes from, for errors that name it. */
const sourceUrls = new WeakMap<LockedPackage, string>();
