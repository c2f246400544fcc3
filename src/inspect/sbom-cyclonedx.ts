// CycloneDX 1.6 JSON: the image is metadata.component (type container, hashed by its manifest
// digest); every Debian package a component with its purl as bom-ref; `dependencies` holds the
// image → packages edges and each package's Depends.
import { NOASSERTION } from "./license-spdx.js";
import { uuidFrom, type SbomModel } from "./sbom.js";

const IMAGE_REF = "image";

export function cyclonedxDocument(m: SbomModel): Record<string, unknown> {
  const digestHex = m.image.digest?.replace(/^sha256:/, "");
  const image = {
    type: "container",
    "bom-ref": IMAGE_REF,
    name: m.image.repository,
    ...(m.image.tag || m.image.digest ? { version: m.image.tag ?? m.image.digest } : {}),
    ...(digestHex ? { hashes: [{ alg: "SHA-256", content: digestHex }] } : {}),
    ...(m.image.purl ? { purl: m.image.purl } : {}),
    ...(m.image.digest ? { properties: [{ name: "cairn:image:manifestDigest", value: m.image.digest }] } : {}),
  };
  const components = m.packages.map((p) => ({
    type: "library",
    "bom-ref": p.purl,
    supplier: { name: m.supplier },
    name: p.name,
    version: p.version,
    ...(p.sha256 ? { hashes: [{ alg: "SHA-256", content: p.sha256 }] } : {}),
    ...(p.license.expression !== NOASSERTION ? { licenses: [{ expression: p.license.expression, acknowledgement: "declared" }] } : {}),
    purl: p.purl,
    properties: [
      { name: "cairn:debian:architecture", value: p.architecture },
      { name: "cairn:debian:source", value: p.source },
      ...(p.license.method === "common-licenses" ? [{ name: "cairn:license:method", value: "common-licenses references in a prose copyright file" }] : []),
    ],
  }));
  // Two copies of one version (nested node_modules) are two components: the path tells them apart.
  const languageRef = (p: SbomModel["languagePackages"][number]) => `${p.purl}#${p.path}`;
  const language = m.languagePackages.map((p) => ({
    type: "library",
    "bom-ref": languageRef(p),
    name: p.name,
    version: p.version,
    ...(p.license.expression !== NOASSERTION ? { licenses: [{ expression: p.license.expression, acknowledgement: "declared" }] } : {}),
    purl: p.purl,
    properties: [{ name: "cairn:package:path", value: `/${p.path}` }],
  }));
  const refOf = new Map(m.packages.map((p) => [p.name, p.purl]));
  const dependencies = [
    { ref: IMAGE_REF, dependsOn: [...m.packages.map((p) => p.purl), ...m.languagePackages.map(languageRef)] },
    ...m.packages.map((p) => ({ ref: p.purl, dependsOn: p.dependsOn.map((d) => refOf.get(d)!) })),
  ];
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${uuidFrom(`cyclonedx ${m.image.id}`)}`,
    version: 1,
    metadata: {
      timestamp: m.image.created,
      tools: { components: [{ type: "application", name: m.tool.name, version: m.tool.version }] },
      component: image,
    },
    components: [...components, ...language],
    dependencies,
  };
}
