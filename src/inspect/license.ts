// The licence of a Debian package from its /usr/share/doc/NAME/copyright. A machine-readable
// (DEP-5) file names it in the License: fields of its Files: paragraphs; many older files
// (glibc's among them) are prose that points at /usr/share/common-licenses/NAME, which is
// read as a weaker second source. Neither is a legal review: the result is the declared licence.
import { parseParagraphs } from "../debian/control.js";
import { allOf, licenseRefsIn, NOASSERTION, spdxExpression, spdxLicense } from "./license-spdx.js";

export interface DeclaredLicense {
  /** An SPDX licence expression, or NOASSERTION. */
  expression: string;
  /** Where it was read: DEP-5 Files paragraphs, references to common-licenses in prose, or nowhere. */
  method: "dep5" | "common-licenses" | "manifest" | "none";
  /** Text of each LicenseRef- the expression uses, when the file has it (DEP-5 stand-alone License paragraphs). */
  texts: Map<string, string>;
}

const NONE: DeclaredLicense = { expression: NOASSERTION, method: "none", texts: new Map() };

export function declaredLicense(copyright: string | undefined): DeclaredLicense {
  if (!copyright) return NONE;
  return dep5License(copyright) ?? commonLicenses(copyright);
}

/** A DEP-5 file's licence: every Files paragraph's License; undefined when the file is not DEP-5. */
export function dep5License(text: string): DeclaredLicense | undefined {
  let paragraphs;
  try {
    paragraphs = parseParagraphs(text, "copyright");
  } catch {
    return undefined; // not deb822 at all: prose
  }
  const header = paragraphs[0];
  if (!header || !/copyright-format|dep5/i.test(header["Format"] ?? header["Format-Specification"] ?? "")) return undefined;
  const expressions: string[] = [];
  const bodies = new Map<string, string>();
  for (const p of paragraphs.slice(1)) {
    const field = p["License"];
    if (field === undefined) continue;
    const [first = "", ...rest] = field.split("\n");
    const body = rest.map((l) => (l.trim() === "." ? "" : l.replace(/^\s/, ""))).join("\n").trim();
    if (p["Files"] !== undefined) expressions.push(spdxExpression(first));
    // A licence's text: a stand-alone License paragraph, or the Files paragraph's own.
    if (body && !bodies.has(first.trim().toLowerCase())) bodies.set(first.trim().toLowerCase(), body);
  }
  const expression = allOf(expressions);
  const texts = new Map<string, string>();
  for (const ref of licenseRefsIn(expression)) {
    for (const [name, body] of bodies) if (spdxLicense(name) === ref) texts.set(ref, body);
  }
  return { expression, method: expression === NOASSERTION ? "none" : "dep5", texts };
}

/**
 * Prose copyright files: each `/usr/share/common-licenses/NAME` named, "or later" when the text
 * since the previous reference offers "any later version", the version read from the text when
 * the name has none ("/usr/share/common-licenses/GPL" after "either version 2 of the License").
 */
export function commonLicenses(text: string): DeclaredLicense {
  const found: string[] = [];
  const re = /\/usr\/share\/common-licenses\/([A-Za-z0-9.+_-]+)/g;
  let since = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[1]!.replace(/\.+$/, "");
    const window = text.slice(since, m.index);
    since = m.index + m[0].length;
    const later = /any\s+later\s+version/i.test(window);
    let versioned = name;
    if (/^(L?GPL|GFDL)$/i.test(name)) {
      const v = /version\s+(\d(?:\.\d)?)/i.exec(window);
      if (!v) continue; // which GPL cannot be told
      versioned = `${name}-${v[1]}`;
    }
    // Debian's common-licenses/BSD is the three-clause licence of the University of California.
    const id = /^bsd$/i.test(versioned) ? "BSD-3-Clause" : spdxLicense(`${versioned}${later && /^(A?L?GPL|GFDL)/i.test(versioned) ? "+" : ""}`);
    if (!id.startsWith("LicenseRef-")) found.push(id);
  }
  const expression = allOf(found);
  return { expression, method: expression === NOASSERTION ? "none" : "common-licenses", texts: new Map() };
}
