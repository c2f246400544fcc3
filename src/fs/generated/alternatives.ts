// The links `update-alternatives` would have made. cairn runs no maintainer script, so the
// candidates come from data: the literal `update-alternatives --install` calls in a postinst
// (what dh_installalternatives writes, e.g. mawk's awk) and Java's .jinfo files (openjdk's postinst
// loops over its tools with shell variables, but the .jinfo lists the same tools plainly).
import { mergedUsrPath } from "../usrmerge.js";

export interface AltSlave {
  /** Absolute, as the package wrote it: `/usr/bin/nawk`. */
  link: string;
  name: string;
  path: string;
  /** Declared only when its target is in the image (openjdk's postinst tests `-e` its man pages). */
  ifPresent?: boolean;
}

export interface AltCandidate extends AltSlave {
  priority: number;
  slaves: AltSlave[];
}

export interface AltPlan {
  /** Symlinks to make: `path` is an image path (relative, merged /usr), `target` absolute as dpkg writes it. */
  links: { path: string; target: string }[];
  /** dpkg's state files, `var/lib/dpkg/alternatives/<name>`, as image path → text. */
  databases: { path: string; text: string }[];
}

const ALTDIR = "/etc/alternatives";

/** `update-alternatives --install` calls whose arguments are all literal; the rest are skipped. */
export function postinstAlternatives(postinst: string): AltCandidate[] {
  const out: AltCandidate[] = [];
  const joined = expandForLoops(postinst.replace(/\\\r?\n/g, " "));
  for (const raw of joined.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "");
    const at = line.search(/(^|[\s;&|(])update-alternatives\s/);
    if (at < 0) continue;
    const args = shellWords(line.slice(line.indexOf("update-alternatives", at) + "update-alternatives".length));
    if (!args) continue;
    const c = installCall(args);
    if (c) out.push(c);
  }
  return out;
}

/**
 * `for VAR in WORD...; do BODY done` over literal words, unrolled: imagemagick-6.q16's postinst
 * installs `convert` and its siblings from such a loop. Loops over anything else stay as they are.
 */
function expandForLoops(text: string): string {
  return text.replace(/(^|[\s;&|])for\s+([A-Za-z_]\w*)\s+in\s+([^;\n]*?)\s*[;\n]\s*do\b([\s\S]*?)\bdone\b/g, (all, lead: string, name: string, list: string, body: string) => {
    const words = list.trim().split(/\s+/);
    if (!words[0] || words.some((w) => !/^[\w.+-]+$/.test(w))) return all;
    const variable = new RegExp(`\\$(${name}\\b|\\{${name}\\})`, "g");
    return lead + words.map((w) => body.replace(variable, w)).join("\n");
  });
}

/**
 * A .jinfo's tools: each `KIND NAME PATH` line (kinds hl, jre, jdkhl, jdk) is what openjdk's postinst
 * installs as `/usr/bin/NAME NAME PATH PRIORITY`, with the man page as a slave when it has one
 * (and jexec's binfmt file, as that postinst adds).
 */
export function jinfoAlternatives(text: string): AltCandidate[] {
  const priority = Number(/^priority=(-?\d+)\s*$/m.exec(text)?.[1]);
  if (!Number.isInteger(priority)) return [];
  const out: AltCandidate[] = [];
  for (const line of text.split("\n")) {
    const m = /^(hl|jre|jdkhl|jdk)\s+([\w.+-]+)\s+(\/\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, , name, path] = m as unknown as [string, string, string, string];
    const home = /^(.*)\/(bin|lib)\/[^/]+$/.exec(path);
    const slaves: AltSlave[] = [];
    if (home?.[2] === "bin") slaves.push({ link: `/usr/share/man/man1/${name}.1.gz`, name: `${name}.1.gz`, path: `${home[1]}/man/man1/${name}.1.gz`, ifPresent: true });
    if (home?.[2] === "lib" && name === "jexec") slaves.push({ link: "/usr/share/binfmts/jar", name: "jexec-binfmt", path: `${home[1]}/lib/jar.binfmt` });
    out.push({ link: `/usr/bin/${name}`, name, path, priority, slaves });
  }
  return out;
}

/**
 * For each alternative, the highest-priority candidate whose path is in the image (ties: the
 * smaller path): LINK → /etc/alternatives/NAME → PATH, slaves likewise where their target is in
 * the image. `present(imagePath)` says whether the image already has a path; what is there is
 * never replaced. Output is sorted, so the same inputs give the same image.
 */
export function planAlternatives(candidates: AltCandidate[], present: (imagePath: string) => boolean): AltPlan {
  const byName = new Map<string, AltCandidate[]>();
  for (const given of candidates) {
    if (!present(imagePath(given.path))) continue; // its package is not in the image
    const c = { ...given, slaves: given.slaves.filter((s) => !s.ifPresent || present(imagePath(s.path))).map(({ ifPresent: _, ...s }) => s) };
    const list = byName.get(c.name) ?? [];
    // One package listing a path twice (a .jinfo and its postinst) is one candidate.
    if (!list.some((o) => o.path === c.path)) list.push(c);
    byName.set(c.name, list);
  }
  const links = new Map<string, string>();
  const addLink = (link: string, name: string, target: string) => {
    const alt = imagePath(`${ALTDIR}/${name}`);
    if (links.has(alt) || present(alt)) return;
    links.set(alt, target);
    const p = imagePath(link);
    if (!links.has(p) && !present(p)) links.set(p, `${ALTDIR}/${name}`);
  };
  const databases: AltPlan["databases"] = [];
  for (const name of [...byName.keys()].sort()) {
    const list = byName.get(name)!.sort((a, b) => b.priority - a.priority || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const best = list[0]!;
    addLink(best.link, name, best.path);
    for (const s of best.slaves) if (present(imagePath(s.path))) addLink(s.link, s.name, s.path);
    databases.push({ path: `var/lib/dpkg/alternatives/${name}`, text: database(best.link, list) });
  }
  return { links: [...links].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, target]) => ({ path, target })), databases };
}

/**
 * dpkg's administrative file: status, master link, the slaves (name, link) sorted by name, a blank
 * line, then per candidate (sorted by path) its path, priority and one line per slave (empty when
 * it has none), and a closing blank line.
 */
function database(link: string, candidates: AltCandidate[]): string {
  const slaveLinks = new Map<string, string>();
  for (const c of candidates) for (const s of c.slaves) if (!slaveLinks.has(s.name)) slaveLinks.set(s.name, s.link);
  const names = [...slaveLinks.keys()].sort();
  const lines = ["auto", link, ...names.flatMap((n) => [n, slaveLinks.get(n)!]), ""];
  for (const c of [...candidates].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    lines.push(c.path, String(c.priority), ...names.map((n) => c.slaves.find((s) => s.name === n)?.path ?? ""));
  }
  return lines.join("\n") + "\n\n";
}

function imagePath(abs: string): string {
  return mergedUsrPath(abs.replace(/^\/+/, ""));
}

/** `--install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...`, after options like --quiet. */
function installCall(args: string[]): AltCandidate | undefined {
  let i = 0;
  while (i < args.length && args[i] !== "--install") {
    if (!/^--(quiet|force|verbose|debug)$/.test(args[i]!)) return undefined; // another action
    i++;
  }
  const [link, name, path, prio] = args.slice(i + 1, i + 5);
  if (!link || !name || !path || !prio || !/^-?\d+$/.test(prio) || !link.startsWith("/") || !path.startsWith("/") || name.includes("/")) return undefined;
  const slaves: AltSlave[] = [];
  for (i += 5; i < args.length; i += 4) {
    const [flag, sl, sn, sp] = args.slice(i, i + 4);
    if (flag !== "--slave" || !sl?.startsWith("/") || !sn || sn.includes("/") || !sp?.startsWith("/")) return undefined;
    slaves.push({ link: sl, name: sn, path: sp });
  }
  return { link, name, path, priority: Number(prio), slaves };
}

/**
 * The words of one simple command up to a shell operator, or undefined when any is not a plain
 * literal (a variable, a command substitution, a glob), which only running the script would expand.
 */
function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  for (const token of text.trim().split(/\s+/)) {
    if (!token) continue;
    if (/^(\|\||&&|\||;|;;|&|[0-9]*>.*|<.*)$/.test(token)) break;
    const end = /;+$/.test(token);
    const word = token.replace(/;+$/, "").replace(/^(["'])(.*)\1$/, "$2");
    if (/[$`"'\\*?[\]{}()<>|&]/.test(word)) return undefined;
    if (word) words.push(word);
    if (end) break;
  }
  return words;
}
