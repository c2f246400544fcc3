// `cairn why`: why a package is in an image's closure, and which files use it.
import { packageGraph } from "../inspect/graph-model.js";
import { inspectTarget } from "./inspect-target.js";
import { explainWhy, formatWhy, type WhyReport } from "../inspect/why.js";
import { referencesTo, scanFileUses, type FileUse } from "../inspect/why-refs.js";
import { makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface WhyCommandOptions {
  file: string;
  attr?: string;
  /** The package to explain. */
  package: string;
  global: GlobalOptions;
}

/** Prints the explanation to stdout; returns it too (tests read the report). */
export async function whyCommand(o: WhyCommandOptions, ctx = makeContext(o.global)): Promise<WhyReport> {
  let uses: FileUse[] = [];
  const inspected = await inspectTarget({ file: o.file, ...(o.attr ? { attr: o.attr } : {}) }, o.global, ctx, async (source, image) => {
    // Only a package the image holds can be used by its files: skip the second read otherwise.
    if (image.packages.some((p) => p.name === o.package)) uses = await scanFileUses(source, image);
  });
  const report = explainWhy(packageGraph(inspected), o.package, referencesTo(inspected.image, uses, o.package));
  process.stdout.write(formatWhy(report));
  return report;
}
