// From a package set's description to concrete archives (URI, suites, components, keys), and from
// those to a Universe of every package they offer. The archives come from the set itself or from
// the host's apt configuration; mirror hosts never enter a lockfile.
import type { DebianSetSpec } from "../define/spec.js";
import { CairnError, ErrorCode, isCairnError } from "../errors.js";
import type { DebianContext } from "./context.js";
import { loadKeyring, loadKeyrings, type Key } from "./release.js";
import { loadRepository } from "./repository.js";
import { defaultKeyringPaths, readAptSources, selectSources } from "./sources.js";
import type { Distribution } from "./types.js";
import { Universe } from "./universe.js";
import type { RepositoryIndex } from "./repository.js";

export interface Archive {
  uri: string;
  suites: string[];
  components: string[];
  /** Keyring file paths, or one armored key. */
  signedBy: string[];
  /** Suites that may be missing from the archive (a release's companions taken from the host's mirror). */
  optionalSuites?: string[];
}

export async function archivesOf(set: DebianSetSpec, aptDir: string): Promise<Archive[]> {
  if (set.sources) {
    return Promise.all(
      set.sources.map(async (s) => ({
        uri: s.uri,
        suites: s.suites,
        components: s.components ?? ["main"],
        signedBy: s.signedBy ? [s.signedBy] : await defaultKeyringPaths(aptDir),
      })),
    );
  }
  const host = selectSources(await readAptSources(aptDir), set.suite);
  const out: Archive[] = [];
  for (const s of host) {
    if (s.architectures && !s.architectures.includes(set.architecture)) continue;
    const signedBy = s.signedBy ? (s.signedBy.includes("BEGIN PGP") ? [s.signedBy] : s.signedBy.split(/\s+/).filter(Boolean)) : await defaultKeyringPaths(aptDir);
    for (const uri of s.uris) out.push({ uri, suites: s.suites, components: s.components, signedBy, ...(s.optionalSuites?.length ? { optionalSuites: s.optionalSuites } : {}) });
  }
  return out;
}

/** The archive that serves `suite`, for fetching a locked package. */
export function archiveForSuite(archives: Archive[], suite: string, name: string): Archive {
  const a = archives.find((x) => x.suites.includes(suite));
  if (!a) {
    throw new CairnError(
      ErrorCode.NO_SOURCES,
      `cairn.lock takes ${name} from suite "${suite}", but no configured apt source serves that suite (have: ${[...new Set(archives.flatMap((x) => x.suites))].join(", ") || "none"}).`,
      "Add that suite to the sources, or run `cairn lock` to resolve against the sources you have.",
    );
  }
  return a;
}

/** A suite that may be absent (INDEX_MISSING): undefined then; any other failure is the build's. */
async function loadRepositoryOr(optional: boolean, args: Parameters<typeof loadRepository>[0]): Promise<Awaited<ReturnType<typeof loadRepository>> | undefined> {
  try {
    return await loadRepository(args);
  } catch (e) {
    if (optional && isCairnError(e) && e.code === ErrorCode.INDEX_MISSING) return undefined;
    throw e;
  }
}

export interface LoadedUniverse {
  universe: Universe;
  distribution: Distribution;
  /** Each suite's Release Date (ISO 8601), for a snapshot archive to find the lock's packages later. */
  archiveDates: Record<string, string>;
}

/** Fetch and verify every index of the sets' archives (in parallel) and index their packages. */
export async function loadUniverse(sets: DebianSetSpec[], ctx: DebianContext): Promise<LoadedUniverse> {
  if (ctx.offline) {
    throw new CairnError(ErrorCode.OFFLINE_MISSING, "Resolving packages needs the archives' indexes, and --offline forbids fetching them.", "Run `cairn lock` once with the network, then build with --offline: a locked build needs no index.");
  }
  const jobs: { set: DebianSetSpec; archive: Archive; suite: string }[] = [];
  for (const set of sets) for (const archive of await archivesOf(set, ctx.aptDir)) for (const suite of archive.suites) jobs.push({ set, archive, suite });
  const keyCache = new Map<string, Promise<Key[]>>();
  const keysFor = (a: Archive) => {
    const k = a.signedBy.join("\n");
    if (!keyCache.has(k)) keyCache.set(k, a.signedBy.length === 1 && a.signedBy[0]!.includes("BEGIN PGP") ? loadKeyring(a.signedBy[0]!) : loadKeyrings(a.signedBy));
    return keyCache.get(k)!;
  };
  ctx.reporter.info(`cairn: reading ${jobs.length} package ${jobs.length === 1 ? "index" : "indexes"} (${jobs.map((j) => j.suite).join(", ")})`);
  const all = await Promise.all(
    jobs.map(async (j) => ({
      job: j,
      repo: await loadRepositoryOr(j.archive.optionalSuites?.includes(j.suite) === true, {
        uri: j.archive.uri,
        suite: j.suite,
        components: j.archive.components,
        architecture: j.set.architecture,
        keys: await keysFor(j.archive),
        fetcher: ctx.fetcher,
        store: ctx.store,
        now: ctx.now,
        checkValidUntil: j.set.checkValidUntil,
      }),
    })),
  );
  const loaded = all.filter((l): l is typeof l & { repo: NonNullable<typeof l.repo> } => l.repo !== undefined);
  const indexes: RepositoryIndex[] = loaded.flatMap((l) => l.repo.indexes);
  const arch = sets[0]?.architecture ?? "amd64";
  // The distribution is the one the base suite names (bookworm, not bookworm-security).
  const base = loaded.find((l) => l.job.set.suite === undefined || l.job.suite === l.job.set.suite) ?? loaded[0];
  const rel = base?.repo.release;
  const distribution: Distribution = {
    origin: rel?.origin ?? "Debian",
    codename: rel?.codename ?? rel?.suite ?? "unknown",
    ...(rel?.version ? { version: rel.version } : {}),
  };
  const archiveDates: Record<string, string> = {};
  for (const l of loaded) if (l.repo.release.date) archiveDates[l.job.suite] = l.repo.release.date.toISOString();
  return { universe: Universe.fromIndexes(indexes, arch), distribution, archiveDates };
}
