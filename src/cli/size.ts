// `cairn size [FILE -A NAME | IMAGE.tar]`: where an image's bytes are and what is wasted, for
// people (stdout) or machines (--json); --svg writes the treemap, --html the interactive report.
import { writeFile } from "node:fs/promises";
import { CairnError, ErrorCode } from "../errors.js";
import { renderGraphSvg } from "../inspect/graph-render.js";
import { renderReportHtml } from "../inspect/report.js";
import { sizeReport, type SizeReport } from "../inspect/size.js";
import { formatSizeReport } from "../inspect/size-format.js";
import { inspectTarget } from "./inspect-target.js";
import { renderTreemapSvg } from "../inspect/treemap.js";
import type { BuildContext } from "../build/context.js";
import { makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export interface SizeCommandOptions {
  /** A definition (with attr) or an image tar. */
  file: string;
  attr?: string;
  json?: boolean;
  /** How many packages, files and wasted paths to list (default 10). */
  top?: number;
  /** Write the treemap SVG here. */
  svg?: string;
  /** Write the HTML report here. */
  html?: string;
  global: GlobalOptions;
}

/** Prints the report; returns it too (tests read it without stdout). */
export async function sizeCommand(o: SizeCommandOptions, ctx: BuildContext = makeContext(o.global), now = new Date()): Promise<SizeReport> {
  const inspected = await inspectTarget({ file: o.file, ...(o.attr ? { attr: o.attr } : {}) }, o.global, ctx);
  const report = sizeReport(inspected.image, { top: o.top ?? 10 });
  if (o.svg) await write(o.svg, renderTreemapSvg(inspected.image), "treemap");
  if (o.html) {
    const graphSvg = renderGraphSvg(inspected);
    await write(o.html, renderReportHtml(inspected, report, { graphSvg, generated: `made by cairn size on ${now.toISOString().slice(0, 10)}` }), "report");
  }
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatSizeReport(report, { top: o.top ?? 10 }));
  if (o.svg) ctx.reporter.info(`cairn: wrote ${o.svg}`);
  if (o.html) ctx.reporter.info(`cairn: wrote ${o.html}`);
  return report;
}

async function write(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (e) {
    throw new CairnError(ErrorCode.OUTPUT_FAILED, `Could not write the ${what} to ${file}: ${(e as Error).message}.`, "Check that the folder exists and is writable.");
  }
}
