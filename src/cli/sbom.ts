// `cairn sbom`: the bill of materials of a definition's image or of an image tar, as SPDX 2.3
// or CycloneDX 1.6 JSON, to stdout or a file; and the SBOM a push attaches as an OCI referrer.
import * as fs from "node:fs/promises";
import { cairnVersion } from "../location.js";
import { locatorOf, type Resolution } from "../debian/resolution.js";
import { CairnError, ErrorCode } from "../errors.js";
import { inspect, type InspectedImage } from "../inspect/model.js";
import { cyclonedxDocument } from "../inspect/sbom-cyclonedx.js";
import { spdxDocument } from "../inspect/sbom-spdx.js";
import { SBOM_FORMATS, SBOM_MEDIA_TYPE, sbomModel, serialise, type SbomFormat } from "../inspect/sbom.js";
import { inspectTarget } from "./inspect-target.js";
import type { BuildContext } from "../build/context.js";
import type { Store } from "../store/store.js";
import type { Credentials } from "../transports/registry/client.js";
import { makeContext, type DefinitionBuilt } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface SbomCommandOptions {
  /** A definition (with attr) or an image tar. */
  file: string;
  attr?: string;
  format?: SbomFormat;
  /** Write here instead of stdout. */
  out?: string;
  global: GlobalOptions;
}

/** Writes the SBOM to `out` or stdout; returns its text. */
export async function sbomCommand(o: SbomCommandOptions, ctx = makeContext(o.global)): Promise<string> {
  const format = checkFormat(o.format ?? "spdx");
  const { image, definition } = await inspectTarget({ file: o.file, ...(o.attr ? { attr: o.attr } : {}) }, o.global, ctx);
  const debSha256 = definition ? lockedDebs(definition.resolution, image) : undefined;
  const text = renderSbom(image, format, debSha256);
  if (o.out) {
    // Whole or nothing: a reader never sees half a document.
    const tmp = `${o.out}.${process.pid}.tmp`;
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, o.out);
    ctx.reporter.info(`cairn: wrote ${o.out} (${format}, ${image.packages.length} packages)`);
  } else {
    process.stdout.write(text);
  }
  return text;
}

/** The document's text for an inspected image. */
export function renderSbom(image: InspectedImage, format: SbomFormat, debSha256?: ReadonlyMap<string, string>): string {
  const model = sbomModel(image, { ...(debSha256 ? { debSha256 } : {}), tool: cairnTool() });
  return serialise(format === "spdx" ? spdxDocument(model) : cyclonedxDocument(model));
}

/** The SBOM of an image just built from a definition (for `--push … --sbom`). */
export async function sbomOfBuilt(built: DefinitionBuilt, format: SbomFormat, store: Store): Promise<string> {
  // From the layers' listings, written when they were made: the push streams each layer once.
  const inspected = await inspect(built.image, { store });
  return renderSbom(inspected, format, lockedDebs(built.resolution, inspected));
}

export interface AttachOptions {
  format: SbomFormat;
  credentials?: Credentials;
  insecure?: boolean;
  caFile?: string;
}

/** Pushes the image's SBOM next to it as an OCI referrer (after the image itself is pushed). */
export async function attachSbom(built: DefinitionBuilt, ref: string, o: AttachOptions, ctx: BuildContext): Promise<string> {
  const { image } = built;
  const text = await sbomOfBuilt(built, o.format, ctx.store);
  const { pushReferrer } = await import("../transports/registry/referrers.js");
  const manifestType = (JSON.parse(image.manifest.toString("utf8")) as { mediaType?: string }).mediaType ?? "application/vnd.oci.image.manifest.v1+json";
  const created = (JSON.parse(image.config.toString("utf8")) as { created?: string }).created;
  const result = await pushReferrer({
    artifactType: SBOM_MEDIA_TYPE[o.format],
    bytes: Buffer.from(text),
    subject: { mediaType: manifestType, digest: image.manifestDigest, size: image.manifest.length },
    ...(created ? { annotations: { "org.opencontainers.image.created": created } } : {}),
  }, ref, {
    ...(o.credentials ? { credentials: o.credentials } : {}), ...(o.insecure ? { insecure: true } : {}), ...(o.caFile ? { caFile: o.caFile } : {}),
  });
  ctx.reporter.info(`cairn: attached the ${o.format} SBOM as ${result.digest} (${"tag" in result.listedBy ? `listed under the referrers tag ${result.listedBy.tag}` : "listed by the registry's referrers API"})`);
  return result.digest;
}

export function checkFormat(format: string): SbomFormat {
  if ((SBOM_FORMATS as readonly string[]).includes(format)) return format as SbomFormat;
  throw new CairnError(ErrorCode.USAGE, `"${format}" is not an SBOM format cairn writes.`, `Use --format ${SBOM_FORMATS.join(" or --format ")}.`);
}

/** sha256 of each installed package's .deb, as the build's resolution pins it. */
function lockedDebs(resolution: Resolution, image: InspectedImage): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of image.packages) {
    const locked = resolution.packages.get(locatorOf(p));
    if (locked) out.set(p.name, locked.sha256);
  }
  return out;
}

/** cairn's name and version, as SBOMs name the tool that wrote them. */
export function cairnTool(): { name: string; version: string } {
  return { name: "cairn", version: cairnVersion() };
}
