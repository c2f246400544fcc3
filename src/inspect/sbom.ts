// The software bill of materials of an image, in one neutral model that the SPDX and CycloneDX
// writers render: the image as the root, every installed Debian package with its purl, declared
// licence, .deb checksum (when a lock pins it), source package and dependencies. Pure: everything
// comes from the inspected image and what the caller hands in; sorted; no clock, no random ids.
import { createHash } from "node:crypto";
import { declaredLicense, type DeclaredLicense } from "./license.js";
import type { InspectedImage, InstalledPackage } from "./model.js";
import { NOASSERTION, spdxExpression } from "./license-spdx.js";
import { debPurl, distroQualifier, npmPurl, ociPurl, pypiPurl } from "./sbom-purl.js";

export type SbomFormat = "spdx" | "cyclonedx";
export const SBOM_FORMATS: readonly SbomFormat[] = ["spdx", "cyclonedx"];

/** The media type of each format, as OCI artifacts and HTTP name them. */
export const SBOM_MEDIA_TYPE: Record<SbomFormat, string> = {
  spdx: "application/spdx+json",
  cyclonedx: "application/vnd.cyclonedx+json",
};

export interface SbomPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package name. */
  source: string;
  purl: string;
  license: DeclaredLicense;
  /** sha256 (hex) of the .deb, when the lock pins it. */
  sha256?: string;
  /** Names of installed packages it depends on, sorted. */
  dependsOn: string[];
}

/** An npm or Python package installed outside Debian's. */
export interface SbomLanguagePackage {
  ecosystem: "npm" | "pypi";
  name: string;
  version: string;
  purl: string;
  license: DeclaredLicense;
  /** Where it is installed, without leading "/": two copies of one version are two entries. */
  path: string;
}

export interface SbomModel {
  image: {
    /** `name:tag` as the image is known, or the tar's name. */
    reference: string;
    repository: string;
    tag?: string;
    /** The manifest digest, when known. */
    digest?: string;
    /** A stable identity: the manifest digest, else a digest of the config and layers. */
    id: string;
    purl?: string;
    /** The config's `created`, as SPDX wants it (UTC, whole seconds). */
    created: string;
  };
  /** The organisation that supplies the packages ("Debian"). */
  supplier: string;
  packages: SbomPackage[];
  languagePackages: SbomLanguagePackage[];
  tool: { name: string; version: string };
}

export interface SbomInput {
  /** sha256 of each package's .deb by name, from the lock (definitions only). */
  debSha256?: ReadonlyMap<string, string>;
  tool: { name: string; version: string };
}

export function sbomModel(image: InspectedImage, input: SbomInput): SbomModel {
  const vendor = (image.osRelease["ID"] || "debian").toLowerCase();
  const distro = distroQualifier(image.osRelease);
  const byName = new Map(image.packages.map((p) => [p.name, p]));
  const packages = [...image.packages]
    .sort((a, b) => compare(a.name, b.name) || compare(a.architecture, b.architecture))
    .map((p): SbomPackage => {
      const sha256 = input.debSha256?.get(p.name);
      return {
        name: p.name, version: p.version, architecture: p.architecture, source: p.source,
        purl: debPurl({ vendor, name: p.name, version: p.version, architecture: p.architecture, distro }),
        license: declaredLicense(copyrightOf(p, image, byName)),
        ...(sha256 ? { sha256 } : {}),
        dependsOn: [...new Set(p.dependsOn.filter((d) => byName.has(d) && d !== p.name))].sort(compare),
      };
    });
  const { repository, tag } = splitReference(image.reference);
  const id = image.manifestDigest ?? `sha256:${createHash("sha256").update(JSON.stringify([image.config, image.layers.map((l) => l.digest)])).digest("hex")}`;
  return {
    image: {
      reference: image.reference, repository, ...(tag ? { tag } : {}),
      ...(image.manifestDigest ? { digest: image.manifestDigest, purl: ociPurl({ repository, digest: image.manifestDigest, tag }) } : {}),
      id, created: spdxTime(image.config.created),
    },
    supplier: supplierName(image.osRelease),
    packages,
    languagePackages: (image.languagePackages ?? []).map((p) => ({
      ecosystem: p.ecosystem, name: p.name, version: p.version, path: p.path,
      purl: p.ecosystem === "npm" ? npmPurl(p.name, p.version) : pypiPurl(p.name, p.version),
      license: p.license ? { expression: spdxExpression(p.license.replace(/^\((.*)\)$/, "$1")), method: "manifest", texts: new Map() } : { expression: NOASSERTION, method: "none", texts: new Map() },
    })),
    tool: input.tool,
  };
}

/**
 * The package's copyright file. Packages of one source may share a doc directory through a
 * symlink (/usr/share/doc/libstdc++6 -> gcc-12-base), which policy allows only towards a package
 * of the same source; cairn's images leave such links out, so a package without a file of its
 * own takes that of a package of its source (one it depends on first).
 */
function copyrightOf(p: InstalledPackage, image: InspectedImage, byName: Map<string, InstalledPackage>): string | undefined {
  if (p.copyright) return p.copyright;
  const link = image.files.get(`usr/share/doc/${p.name}`);
  if (link?.kind === "symlink" && link.linkname) {
    const target = byName.get(link.linkname.replace(/\/+$/, "").split("/").pop()!);
    if (target?.copyright) return target.copyright;
  }
  const siblings = image.packages
    .filter((q) => q.source === p.source && q.copyright)
    .sort((a, b) => Number(p.dependsOn.includes(b.name)) - Number(p.dependsOn.includes(a.name)) || compare(a.name, b.name));
  return siblings[0]?.copyright;
}

function supplierName(os: Record<string, string>): string {
  const id = os["ID"] ?? "debian";
  if (id === "debian") return "Debian";
  return os["NAME"] ?? id;
}

/** `registry/repo:tag` → repository and tag (a digest after @ is dropped; a port is not a tag). */
export function splitReference(reference: string): { repository: string; tag?: string } {
  const ref = reference.split("@")[0]!;
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref.replace(/\.(tar|oci|tgz)$/, "") };
}

/** An RFC 3339 time as SPDX's pattern wants it: UTC, no fraction; the epoch when absent or unreadable. */
export function spdxTime(created: string | undefined): string {
  const t = created ? Date.parse(created) : NaN;
  return new Date(Number.isNaN(t) ? 0 : t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A name-based UUID (RFC 4122 layout, version 5 bits) from a digest: the same image, the same id. */
export function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Bytewise order, the same in every locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The document as bytes: two-space JSON and a final newline; key order is the writers' own. */
export function serialise(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
