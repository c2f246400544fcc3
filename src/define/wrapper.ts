// makeWrapper: a program on PATH with fixed flags and environment (nixpkgs' makeWrapper), as a
// small /bin/sh script. The image needs a shell for it: put `pkgs("dash")` in contents (the build
// says so when it is missing).
import type { TextSpec } from "./spec.js";
import { checkObject, invalid, isAbsolutePath, isStringArray, isStringRecord } from "./validate.js";

export interface WrapperOptions {
  /** Arguments before the caller's. */
  addFlags?: string[];
  /** Arguments after the caller's. */
  appendFlags?: string[];
  /** Variables to set. */
  set?: Record<string, string>;
  /** Variables to set only when the caller has not. */
  setDefault?: Record<string, string>;
  /** Directories put in front of a colon-separated variable: `{ PATH: ["/opt/tool/bin"] }`. */
  prefix?: Record<string, string[]>;
  /** Change to this directory first. */
  chdir?: string;
}

const isPrefix = (v: unknown, at: string) => {
  if (!v || typeof v !== "object" || Array.isArray(v)) invalid(at, "must be an object of variable → directories");
  for (const [k, dirs] of Object.entries(v as object)) isStringArray(dirs, `${at}.${k}`);
};

/** A script at `wrapper` that runs `program` with the flags and environment given. */
export function makeWrapper(program: string, wrapper: string, options: WrapperOptions = {}): TextSpec {
  isAbsolutePath(program, "makeWrapper() program");
  isAbsolutePath(wrapper, "makeWrapper() wrapper");
  checkObject(options, "makeWrapper() options", {
    addFlags: isStringArray, appendFlags: isStringArray, set: isStringRecord, setDefault: isStringRecord, prefix: isPrefix, chdir: isAbsolutePath,
  });
  for (const name of [...Object.keys(options.set ?? {}), ...Object.keys(options.setDefault ?? {}), ...Object.keys(options.prefix ?? {})]) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) invalid(`makeWrapper() variable ${JSON.stringify(name)}`, "is not a shell variable name");
  }
  return { kind: "text", destination: wrapper, text: wrapperScript(program, options), mode: 0o755 };
}

export function wrapperScript(program: string, o: WrapperOptions): string {
  // A newline in the path would end the comment and run the rest as a command.
  const lines = ["#!/bin/sh", `# made by cairn's makeWrapper: runs ${program.replace(/[\r\n]/g, " ")}`];
  for (const [k, v] of sorted(o.set)) lines.push(`${k}=${quote(v)}; export ${k}`);
  for (const [k, v] of sorted(o.setDefault)) lines.push(`[ -n "\${${k}+set}" ] || ${k}=${quote(v)}; export ${k}`);
  for (const [k, dirs] of sorted(o.prefix)) lines.push(`${k}=${quote(dirs.join(":"))}\${${k}:+:\$${k}}; export ${k}`);
  if (o.chdir) lines.push(`cd ${quote(o.chdir)} || exit 1`);
  const args = [quote(program), ...(o.addFlags ?? []).map(quote), '"$@"', ...(o.appendFlags ?? []).map(quote)];
  lines.push(`exec ${args.join(" ")}`);
  return lines.join("\n") + "\n";
}

function sorted<T>(r: Record<string, T> | undefined): [string, T][] {
  return Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Single quotes: nothing inside is special to the shell but the quote itself. */
export function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
