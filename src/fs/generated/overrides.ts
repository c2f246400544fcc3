// What happens when a definition's own file (files(), text(), a derivation's output) sits where
// cairn generates one. Most generated files are conveniences a definition may replace: the user's
// file wins, with a note. A few are cairn's record of the image itself, which a replacement would
// make lie; those are refused with what to do instead.
import { CairnError, ErrorCode } from "../../errors.js";

interface Refusal {
  test: (path: string) => boolean;
  why: string;
  instead: string;
}

const ACCOUNTS = (file: string): Refusal => ({
  test: (p) => p === `etc/${file}`,
  why: "cairn writes /etc/passwd, /etc/group and /etc/shadow together from `users` and `groups`, with the groups the packages' files are owned by and the home directories made to match",
  instead: "Declare the accounts with `users: [...]` and `groups: [...]` (they may redefine root and nobody: shell, home, group name), or edit the file in `runAsRoot`.",
});

const REFUSED: Refusal[] = [
  ACCOUNTS("passwd"),
  ACCOUNTS("group"),
  ACCOUNTS("shadow"),
  {
    test: (p) => p === "var/lib/dpkg/status" || p.startsWith("var/lib/dpkg/info/"),
    why: "cairn writes the dpkg database from the packages really in the image, so that scanners and `dpkg -l` see what is installed",
    instead: "Leave it out of `contents`; add or drop packages in `contents`, `keep` and `exclude` instead.",
  },
];

/** Whether an entry comes from the definition's own files (not a package, not cairn). */
export function isUserOrigin(origin: string): boolean {
  return origin.startsWith("files:") || origin.startsWith("derivation:");
}

/**
 * For a path cairn is about to generate where the definition has its own file: the note to give
 * when the user's file replaces cairn's, or a CairnError when it must not.
 */
export function userOverride(path: string, origin: string): string {
  const refusal = REFUSED.find((r) => r.test(path));
  const whose = origin.startsWith("derivation:") ? `derivation ${origin.slice("derivation:".length)}` : `your ${origin.startsWith("files:text ") ? "text()" : `files("${origin.slice("files:".length)}")`}`;
  if (refusal) {
    throw new CairnError(ErrorCode.GENERATED_FILE_CLASH, `${whose} puts a file at /${path}, which cairn generates: ${refusal.why}.`, refusal.instead);
  }
  return `cairn: your /${path} replaces the one cairn generates`;
}
