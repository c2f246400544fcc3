// The official SBOM schemas, compiled once: SPDX 2.3 (vendored in test/fixtures/sbom, draft
// 2019-09) and CycloneDX 1.6 from @cyclonedx/cyclonedx-library (draft-07), whose $refs to
// spdx.SNAPSHOT.schema.json and jsf-0.82.SNAPSHOT.schema.json are registered under the URLs
// they resolve to. No network: everything is on disk.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
type Validate = ((doc: unknown) => boolean) & { errors?: unknown[] | null };

const here = path.dirname(fileURLToPath(import.meta.url));
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

let compiled: { spdx: Validate; cyclonedx: Validate } | undefined;

function validators() {
  if (compiled) return compiled;
  const Ajv2019 = require("ajv/dist/2019").default;
  const Ajv = require("ajv").default;
  const addFormats = require("ajv-formats").default;

  const spdxAjv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(spdxAjv);
  const spdx = spdxAjv.compile(readJson(path.join(here, "../fixtures/sbom/spdx-2.3.schema.json")));

  const res = path.join(path.dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res/schema");
  const cdxAjv = new Ajv({ strict: false, allErrors: true });
  addFormats(cdxAjv);
  // Two draft-07 formats ajv-formats leaves out; cairn writes neither, so a loose check will do.
  cdxAjv.addFormat("iri-reference", /^\S*$/);
  cdxAjv.addFormat("idn-email", /^[^\s@]+@[^\s@]+$/);
  // bom-1.6's $id is …/bom-1.6.schema.json; its relative $refs name the SNAPSHOT files.
  for (const name of ["spdx", "jsf-0.82"]) {
    const { $id: _id, ...schema } = readJson(path.join(res, `${name}.SNAPSHOT.schema.json`));
    cdxAjv.addSchema(schema, `http://cyclonedx.org/schema/${name}.SNAPSHOT.schema.json`);
  }
  const cyclonedx = cdxAjv.compile(readJson(path.join(res, "bom-1.6.SNAPSHOT.schema.json")));
  compiled = { spdx, cyclonedx };
  return compiled;
}

/** The schema's complaints about a document (empty when it validates). */
export function schemaErrors(format: "spdx" | "cyclonedx", doc: unknown): string[] {
  const validate = validators()[format];
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => JSON.stringify(e));
}
