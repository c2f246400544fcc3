// What the container runs: the program its Entrypoint (else its Cmd) names, found the way the
// engine finds it — on the PATH of the image's Env, relative to WorkingDir when it has a "/",
// through symlinks and through the links update-alternatives would make. A transitional package
// (nginx-light, imagemagick) ships no program, so without this the closure would drop the one the
// image exists for. Pure over a PathIndex.
import * as path from "node:path";
import { mergedUsrPath } from "../fs/usrmerge.js";
import type { Lookup, PathIndex } from "./pathindex.js";

/** The PATH an image gets unless its config sets one (Debian's login default, as Docker images have it). */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface RunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
}

export interface ProgramRoot {
  /** Where the name comes from, for messages: "Entrypoint", "Cmd", or the wrapper's path. */
  label: string;
  /** As written: `nginx`, `/app/server`, `./run`. */
  word: string;
  /** Absolute paths the engine would try, in order. */
  candidates: string[];
}

/** Image path of an alternatives link (`usr/bin/convert`) → the targets it may point to, best first. */
export type AlternativesMap = Map<string, string[]>;

export interface FoundProgram {
  /** The candidate that resolved (`/usr/bin/convert`). */
  path: string;
  /** Where it leads: the file the kernel executes. */
  lookup: Lookup;
}

/** The program the container starts: the first word of Entrypoint if set, else of Cmd. */
export function configProgram(config: RunConfig): ProgramRoot | undefined {
  const entry = config.Entrypoint?.length ? { label: "Entrypoint", argv: config.Entrypoint } : config.Cmd?.length ? { label: "Cmd", argv: config.Cmd } : undefined;
  const word = entry?.argv[0];
  if (!entry || !word) return undefined;
  return { label: entry.label, word, candidates: programCandidates(word, pathOf(config.Env), config.WorkingDir) };
}

/** The directories of the PATH the image's Env sets (the last PATH= wins, as in a process's environment). */
export function pathOf(env: string[] | null | undefined): string[] {
  const entry = [...(env ?? [])].reverse().find((e) => e.startsWith("PATH=")) ?? DEFAULT_PATH;
  return entry.slice(5).split(":");
}

/**
 * The absolute paths an exec of `word` tries: the word itself when it holds a "/" (relative to
 * the working directory), else each PATH directory in turn (an empty entry is the working directory).
 */
export function programCandidates(word: string, pathDirs: string[], workingDir = "/"): string[] {
  const cwd = workingDir || "/";
  const abs = (p: string) => path.posix.resolve("/", cwd, p);
  if (word.includes("/")) return [abs(word)];
  return [...new Set(pathDirs.map((d) => abs(path.posix.join(d || ".", word))))];
}

/** The first candidate that leads to a file, through symlinks and alternatives links. */
export function findProgram(candidates: string[], index: PathIndex, alternatives: AlternativesMap = new Map()): FoundProgram | undefined {
  for (const p of candidates) {
    const lookup = lookupWithAlternatives(p, index, alternatives);
    if (lookup?.type === "file") return { path: p, lookup };
  }
  return undefined;
}

/**
 * An index lookup that also passes the links update-alternatives would make (LINK →
 * /etc/alternatives/NAME → TARGET): those are generated with the image, so no package lists them.
 */
export function lookupWithAlternatives(p: string, index: PathIndex, alternatives: AlternativesMap): Lookup | undefined {
  const direct = index.lookup(p);
  if (direct || !alternatives.size) return direct;
  // The link's directory as the image resolves it: /bin/convert is usr/bin/convert.
  const dir = index.lookup(path.posix.dirname(p));
  const link = mergedUsrPath(path.posix.join(dir?.path ?? path.posix.dirname(p), path.posix.basename(p)).replace(/^\/+/, ""));
  for (const target of alternatives.get(link) ?? []) {
    const found = index.lookup(target);
    if (found?.type === "file") return found;
  }
  return undefined;
}

/** `exec 'PROGRAM' …` of a script made by makeWrapper (src/define/wrapper.ts writes it so). */
export function wrapperProgram(text: string): string | undefined {
  if (!/^#!\/bin\/sh\n# made by cairn's makeWrapper: /.test(text)) return undefined;
  const m = /^exec '((?:[^']|'\\'')*)'/m.exec(text);
  return m ? m[1]!.replace(/'\\''/g, "'") : undefined;
}

/** Candidates of alternatives, from every package's (link, target, priority): best first, as update-alternatives picks. */
export function alternativesMap(candidates: { link: string; path: string; priority: number }[]): AlternativesMap {
  const byLink = new Map<string, { path: string; priority: number }[]>();
  for (const c of candidates) {
    const link = mergedUsrPath(c.link.replace(/^\/+/, ""));
    const list = byLink.get(link) ?? [];
    if (!list.some((o) => o.path === c.path)) list.push(c);
    byLink.set(link, list);
  }
  const out: AlternativesMap = new Map();
  for (const [link, list] of [...byLink].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.set(link, list.sort((a, b) => b.priority - a.priority || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((c) => c.path));
  }
  return out;
}
