// The `#!` line of a script, read as Linux's binfmt_script reads it (fs/binfmt_script.c, 5.1+),
// and the program an `env` shebang runs, read as GNU env reads its one argument.

import { posix } from "node:path";

/** The kernel reads this many bytes of a script (BINPRM_BUF_SIZE: 256 since Linux 5.1, 128 before);
 * the line itself can use one less. Pass at least this much of the file, or all of a shorter one. */
export const SHEBANG_PROBE_BYTES = 256;

export interface Shebang {
  interpreter: string;
  /** Everything after the interpreter, spaces and all, as one argument (Linux does not split it). */
  arg?: string;
}

const SPACE = 0x20, TAB = 0x09, NL = 0x0a;
const spacetab = (c: number | undefined) => c === SPACE || c === TAB;
const utf8 = new TextDecoder("utf-8");

/** The interpreter the kernel would run, or undefined where execve fails with ENOEXEC (no `#!`,
 * no interpreter name, or one cut off by the end of the buffer). */
export function parseShebang(head: Uint8Array): Shebang | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  // The kernel's buffer: NUL-padded when the file is shorter.
  const buf = new Uint8Array(SHEBANG_PROBE_BYTES);
  buf.set(head.subarray(0, SHEBANG_PROBE_BYTES));
  const last = SHEBANG_PROBE_BYTES - 1;

  // strnchr: the newline counts only before the first NUL.
  let end = -1;
  for (let i = 0; i < buf.length && buf[i] !== 0; i++) if (buf[i] === NL) { end = i; break; }
  if (end < 0) {
    // No newline: accept only if the interpreter name visibly ends inside the buffer.
    let cp = 2;
    while (cp <= last && spacetab(buf[cp])) cp++;
    if (cp > last) return undefined;
    while (cp <= last && !spacetab(buf[cp]) && buf[cp] !== 0) cp++;
    if (cp > last) return undefined;
    end = last;
  }
  // The line is a C string: it stops at the first NUL too; trailing blanks go.
  let stop = buf.indexOf(0, 2);
  if (stop < 0 || stop > end) stop = end;
  while (stop > 2 && spacetab(buf[stop - 1])) stop--;
  let cp = 2;
  while (cp < stop && spacetab(buf[cp])) cp++;
  if (cp >= stop) return undefined;
  const nameStart = cp;
  while (cp < stop && !spacetab(buf[cp])) cp++;
  const interpreter = utf8.decode(buf.subarray(nameStart, cp));
  while (cp < stop && spacetab(buf[cp])) cp++;
  return cp < stop ? { interpreter, arg: utf8.decode(buf.subarray(cp, stop)) } : { interpreter };
}

/**
 * For `#!/usr/bin/env NAME` (or `env -S 'NAME args'`), the program env looks up on PATH: a bare
 * name, or a path when it holds a "/". undefined when the interpreter is not env or env would run
 * nothing. Without -S the whole argument is one name, so `env python3 -u` seeks "python3 -u".
 */
export function envTarget(s: Shebang): string | undefined {
  if (posix.basename(s.interpreter) !== "env" || s.arg === undefined) return undefined;
  return commandOf([s.arg]);
}

/** GNU env's options (getopt stops at the first non-option), then NAME=VALUE, then the command. */
function commandOf(args: string[]): string | undefined {
  let options = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (options && a.startsWith("-")) {
      if (a === "--") { options = false; continue; }
      if (a.startsWith("--split-string=")) return commandOf([...splitString(a.slice(15)), ...args.slice(i + 1)]);
      if (a.startsWith("--unset=") || a.startsWith("--chdir=") || /^--(ignore-environment|null|debug)$/.test(a)) continue;
      if (a === "--unset" || a === "--chdir") { i++; continue; }
      if (a.startsWith("--")) return undefined; // an option env rejects, or one that only prints
      // A cluster of short options: -i -0 -v take nothing; -u and -C take the rest or the next word.
      for (let k = 1; k < a.length; k++) {
        const c = a[k];
        if (c === "i" || c === "0" || c === "v") continue;
        if (c === "S") return commandOf([...splitString(a.slice(k + 1)), ...args.slice(i + 1)]);
        if (c === "u" || c === "C") { if (k === a.length - 1) i++; break; }
        return undefined;
      }
      continue;
    }
    options = false;
    if (a.includes("=")) continue; // NAME=VALUE
    return a;
  }
  return undefined;
}

/** env -S splitting: blanks separate, '...' is literal, "..." and bare text take backslash escapes
 * (\_ is a separator outside quotes, a space inside), \c and a word starting with # end it. */
export function splitString(s: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  const push = () => { if (word !== undefined) out.push(word); word = undefined; };
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'", "#": "#", $: "$" };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\n") { push(); continue; }
    if (c === "#" && word === undefined) break;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      word = (word ?? "") + s.slice(i + 1, j < 0 ? s.length : j);
      i = j < 0 ? s.length : j;
      continue;
    }
    if (c === '"') {
      word ??= "";
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === "\\" && i + 1 < s.length) { const e = s[++i]!; word += e === "_" ? " " : (escapes[e] ?? e); }
        else word += s[i];
      }
      continue;
    }
    if (c === "\\" && i + 1 < s.length) {
      const e = s[++i]!;
      if (e === "c") break;
      if (e === "_") { push(); continue; }
      word = (word ?? "") + (escapes[e] ?? e);
      continue;
    }
    word = (word ?? "") + c;
  }
  push();
  return out;
}
