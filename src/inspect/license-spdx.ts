// Debian licence short names (copyright-format 1.0: "GPL-2+", "BSD-3-clause", "Expat") to SPDX
// identifiers and expressions. A name matches when the SPDX licence list has it (case aside) or a
// Debian convention maps it there; anything else becomes a LicenseRef- of its own.
import { createRequire } from "node:module";

export const NOASSERTION = "NOASSERTION";

// The SPDX list without its deprecated ids (GPL-2.0+ and the like), from the spdx-license-ids package.
const SPDX_IDS: ReadonlyMap<string, string> = new Map(
  (createRequire(import.meta.url)("spdx-license-ids") as string[]).map((id) => [id.toLowerCase(), id]),
);

/** The SPDX list's spelling of an id, or undefined when it is not on the list. */
export function spdxListed(id: string): string | undefined {
  return SPDX_IDS.get(id.toLowerCase());
}

// Debian names that are not the SPDX ids (copyright-format 1.0's short names, and common variants).
const ALIASES: Record<string, string> = {
  expat: "MIT",
  "mit/x11": "MIT",
  "bsd-2": "BSD-2-Clause",
  "bsd-3": "BSD-3-Clause",
  "bsd-4": "BSD-4-Clause",
  cc0: "CC0-1.0",
  // Debian's "Artistic" is Perl's Artistic licence 1.0 (/usr/share/common-licenses/Artistic).
  artistic: "Artistic-1.0-Perl",
  "artistic-1": "Artistic-1.0-Perl",
  perl: "Artistic-1.0-Perl OR GPL-1.0-or-later",
  "public-domain": "LicenseRef-public-domain",
  "public domain": "LicenseRef-public-domain",
  pd: "LicenseRef-public-domain",
};

// Exceptions as Debian files name them ("GPL-2+ with OpenSSL exception"), where SPDX has an id.
const EXCEPTIONS: Record<string, string> = {
  classpath: "Classpath-exception-2.0",
  "classpath-2.0": "Classpath-exception-2.0",
  libtool: "Libtool-exception",
  font: "Font-exception-2.0",
  "gcc-3.1": "GCC-exception-3.1",
  "gcc-exception-3.1": "GCC-exception-3.1",
  "bison-2.2": "Bison-exception-2.2",
  bison: "Bison-exception-2.2",
  llvm: "LLVM-exception",
  "linux-syscall-note": "Linux-syscall-note",
  "openjdk-assembly": "OpenJDK-assembly-exception-1.0",
  "autoconf-3.0": "Autoconf-exception-3.0",
  "autoconf-2.0": "Autoconf-exception-2.0",
};

/** A LicenseRef- id for a name the SPDX list lacks: letters, digits, "." and "-" only. */
export function licenseRef(name: string): string {
  const idstring = name.trim().replace(/\+(?=$|[-\s])/g, "-or-later").replace(/[^A-Za-z0-9.-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  return `LicenseRef-${idstring || "unnamed"}`;
}

/** One Debian licence name ("GPL-2+", "LGPLv2.1+", "Expat", "Apache-2") as an SPDX id or expression. */
export function spdxLicense(name: string): string {
  const n = name.trim().replace(/\s+/g, " ");
  if (!n) return NOASSERTION;
  const alias = ALIASES[n.toLowerCase()];
  if (alias) return alias;
  const orLater = n.endsWith("+");
  const base = orLater ? n.slice(0, -1).trim() : n;

  // The GNU family: GPL-2, GPL-2.0+, GPLv3+, LGPL-2.1, AGPL-3, GFDL-1.3+, GFDL-NIV-1.2.
  const gnu = /^(A?GPL|LGPL|GFDL(?:-NIV)?)[- ]?v?(\d)(?:\.(\d))?(?:-only|-or-later)?$/i.exec(base);
  if (gnu) {
    const family = gnu[1]!.toUpperCase();
    const version = `${gnu[2]}.${gnu[3] ?? "0"}`;
    const later = orLater || /-or-later$/i.test(base);
    const id = family.startsWith("GFDL")
      ? `GFDL-${version}${family === "GFDL-NIV" ? "-no-invariants" : ""}-${later ? "or-later" : "only"}`
      : `${family}-${version}-${later ? "or-later" : "only"}`;
    return spdxListed(id) ?? licenseRef(n);
  }
  // "GPL+" is any version of the GPL.
  if (/^(GPL|LGPL)$/i.test(base)) return orLater ? `${base.toUpperCase() === "GPL" ? "GPL-1.0" : "LGPL-2.0"}-or-later` : licenseRef(n);

  const openldap = /^openldap-(\d\.\d)$/i.exec(base);
  const listed = spdxListed(base) ?? (openldap ? spdxListed(`OLDAP-${openldap[1]}`) : undefined) ?? (/-\d+$/.test(base) ? spdxListed(`${base}.0`) : undefined);
  if (listed) return orLater ? `${listed}+` : listed;
  return licenseRef(n);
}

/** A term with its exception: "GPL-2+ with OpenSSL exception". */
function spdxTerm(term: string): string {
  const w = /^(.+?)\s+with\s+(.+?)(?:\s+exception)?$/i.exec(term.trim());
  if (!w) return spdxLicense(term);
  const license = spdxLicense(w[1]!);
  const exception = EXCEPTIONS[w[2]!.toLowerCase()];
  // WITH needs a listed exception on a single licence; otherwise the whole term is its own ref.
  if (exception && /^[A-Za-z0-9.-]+$/.test(license) && !license.startsWith("LicenseRef-")) return `${license} WITH ${exception}`;
  return licenseRef(`${w[1]}-with-${w[2]}-exception`);
}

/**
 * A DEP-5 `License:` first line ("GPL-2+ or Artistic-2.0, and BSD-3-clause") as an SPDX
 * expression. "and" binds tighter than "or" in both; a comma ends a group that the next
 * "and"/"or" joins as a whole.
 */
export function spdxExpression(field: string): string {
  const groups = field.trim().split(/\s*,\s*/).filter(Boolean);
  let out = "";
  for (const [i, group] of groups.entries()) {
    let op = "";
    let rest = group;
    const lead = /^(and|or)\s+(.*)$/i.exec(group);
    if (i > 0) {
      op = lead ? lead[1]!.toUpperCase() : "AND";
      if (lead) rest = lead[2]!;
    }
    const parts = rest.split(/\s+(and|or)\s+/i);
    let expr = "";
    for (let k = 0; k < parts.length; k += 2) {
      const term = spdxTerm(parts[k]!);
      const wrapped = /\s/.test(term) && parts.length > 1 ? `(${term})` : term;
      expr += k === 0 ? wrapped : ` ${parts[k - 1]!.toUpperCase()} ${wrapped}`;
    }
    if (i === 0) out = expr;
    else out = `${/\s/.test(out) ? `(${out})` : out} ${op} ${/\s/.test(expr) && groups.length > 1 ? `(${expr})` : expr}`;
  }
  return out || NOASSERTION;
}

/** Several expressions that all apply (one per Files paragraph), deduplicated and sorted: A AND B. */
export function allOf(expressions: string[]): string {
  const distinct = [...new Set(expressions.filter((e) => e && e !== NOASSERTION))].sort();
  if (distinct.length === 0) return NOASSERTION;
  if (distinct.length === 1) return distinct[0]!;
  return distinct.map((e) => (/ OR /.test(e) ? `(${e})` : e)).join(" AND ");
}

/** The LicenseRef- ids an expression uses. */
export function licenseRefsIn(expression: string): string[] {
  return [...new Set(expression.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? [])].sort();
}
