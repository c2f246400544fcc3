// SPDX 2.3 JSON. The document DESCRIBES the image; the image (a CONTAINER package with its
// manifest digest) CONTAINS every Debian package; packages DEPENDS_ON one another as their
// Depends say. Files are not listed (filesAnalyzed: false), so no verification code is owed.
import { createHash } from "node:crypto";
import { licenseRefsIn, NOASSERTION } from "./license-spdx.js";
import { compare, uuidFrom, type SbomModel, type SbomPackage } from "./sbom.js";

const IMAGE_ID = "SPDXRef-Image";

export function spdxDocument(m: SbomModel): Record<string, unknown> {
  const ids = packageIds(m.packages);
  const digestHex = m.image.digest?.replace(/^sha256:/, "");
  const imagePackage = {
    SPDXID: IMAGE_ID,
    name: m.image.repository,
    ...(m.image.tag || m.image.digest ? { versionInfo: m.image.tag ?? m.image.digest } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(digestHex ? { checksums: [{ algorithm: "SHA256", checksumValue: digestHex }] } : {}),
    ...(m.image.purl ? { externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: m.image.purl }] } : {}),
    primaryPackagePurpose: "CONTAINER",
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    comment: `The image ${m.image.reference}${m.image.digest ? ` (manifest ${m.image.digest})` : ""}.`,
  };
  const packages = m.packages.map((p) => ({
    SPDXID: ids.get(p)!,
    name: p.name,
    versionInfo: p.version,
    supplier: `Organization: ${m.supplier}`,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(p.sha256 ? { checksums: [{ algorithm: "SHA256", checksumValue: p.sha256 }] } : {}),
    sourceInfo: `built package from: ${p.source}`,
    licenseConcluded: NOASSERTION,
    licenseDeclared: p.license.expression,
    ...(p.license.method === "common-licenses"
      ? { licenseComments: "Read from the references to /usr/share/common-licenses in a copyright file that is not machine-readable." }
      : {}),
    copyrightText: NOASSERTION,
    externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl }],
  }));

  const languageIds = new Map(m.languagePackages.map((p) => [p, `SPDXRef-Package-${p.ecosystem}-${createHash("sha256").update(`${p.name}@${p.version} ${p.path}`).digest("hex").slice(0, 16)}`]));
  const language = m.languagePackages.map((p) => ({
    SPDXID: languageIds.get(p)!,
    name: p.name,
    versionInfo: p.version,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: p.license.expression,
    copyrightText: NOASSERTION,
    comment: `Installed at /${p.path}.`,
    externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl }],
  }));

  const byName = new Map(m.packages.map((p) => [p.name, p]));
  const relationships = [
    { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: IMAGE_ID },
    ...m.packages.map((p) => ({ spdxElementId: IMAGE_ID, relationshipType: "CONTAINS", relatedSpdxElement: ids.get(p)! })),
    ...m.languagePackages.map((p) => ({ spdxElementId: IMAGE_ID, relationshipType: "CONTAINS", relatedSpdxElement: languageIds.get(p)! })),
    ...m.packages.flatMap((p) =>
      p.dependsOn.map((d) => ({ spdxElementId: ids.get(p)!, relationshipType: "DEPENDS_ON", relatedSpdxElement: ids.get(byName.get(d)!)! }))),
  ];

  // Every LicenseRef- used must be defined in the document, with its text when the file had it.
  const refs = new Map<string, string>();
  for (const p of [...m.packages, ...m.languagePackages]) {
    for (const ref of licenseRefsIn(p.license.expression)) {
      if (!refs.has(ref) || (!refs.get(ref) && p.license.texts.get(ref))) refs.set(ref, p.license.texts.get(ref) ?? "");
    }
  }
  const extracted = [...refs.entries()].sort((a, b) => compare(a[0], b[0])).map(([licenseId, text]) => ({
    licenseId,
    name: licenseId.slice("LicenseRef-".length),
    extractedText: text || `A licence a Debian copyright file names "${licenseId.slice("LicenseRef-".length)}", which the SPDX licence list does not have.`,
  }));

  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: m.image.reference,
    documentNamespace: `https://spdx.org/spdxdocs/cairn/${encodeURIComponent(m.image.repository.replace(/[/:]/g, "-"))}-${uuidFrom(`spdx ${m.image.id}`)}`,
    creationInfo: { created: m.image.created, creators: [`Tool: ${m.tool.name}-${m.tool.version}`] },
    packages: [imagePackage, ...packages, ...language],
    relationships,
    ...(extracted.length ? { hasExtractedLicensingInfos: extracted } : {}),
  };
}

/** SPDXRef-Package-deb-NAME-ARCH; names with characters SPDX ids cannot hold get a hash to stay unique. */
function packageIds(packages: SbomPackage[]): Map<SbomPackage, string> {
  const ids = new Map<SbomPackage, string>();
  for (const p of packages) {
    const raw = `${p.name}-${p.architecture}`;
    const clean = raw.replace(/[^A-Za-z0-9.-]/g, "-");
    const suffix = clean === raw ? "" : `-${createHash("sha256").update(raw).digest("hex").slice(0, 8)}`;
    ids.set(p, `SPDXRef-Package-deb-${clean}${suffix}`);
  }
  return ids;
}
