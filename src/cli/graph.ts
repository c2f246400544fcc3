// `cairn graph`: the package closure as DOT (default), SVG or PNG, to stdout or a file.
import * as fs from "node:fs/promises";
import { CairnError, ErrorCode } from "../errors.js";
import { packageGraph } from "../inspect/graph-model.js";
import { graphDot, graphSvg } from "../inspect/graph-render.js";
import { inspectTarget } from "./inspect-target.js";
import { makeContext } from "./commands.js";
import type { GlobalOptions } from "./main.js";

export type GraphFormat = "dot" | "svg" | "png";

export interface GraphCommandOptions {
  file: string;
  attr?: string;
  /** Default: from the -o extension (.svg, .png), else dot. */
  format?: GraphFormat;
  /** A file to write; stdout when absent or "-". */
  out?: string;
  global: GlobalOptions;
}

export async function graphCommand(o: GraphCommandOptions, ctx = makeContext(o.global), stdout: NodeJS.WriteStream = process.stdout): Promise<void> {
  const format = o.format ?? (/\.(svg|png)$/i.exec(o.out ?? "")?.[1]?.toLowerCase() as GraphFormat | undefined) ?? "dot";
  const toStdout = !o.out || o.out === "-";
  if (format === "png" && toStdout && stdout.isTTY) {
    throw new CairnError(ErrorCode.OUTPUT_FAILED, "A PNG would be written to the terminal.", "Give a file with -o graph.png, or redirect stdout.");
  }
  const inspected = await inspectTarget({ file: o.file, ...(o.attr ? { attr: o.attr } : {}) }, o.global, ctx);
  const graph = packageGraph(inspected);
  let data: string | Buffer;
  if (format === "dot") data = graphDot(graph);
  else if (format === "svg") data = graphSvg(graph);
  else data = await (await import("../inspect/graph-png.js")).svgToPng(graphSvg(graph));
  if (toStdout) {
    await new Promise<void>((resolve, reject) => stdout.write(data, (e) => (e ? reject(e) : resolve())));
    return;
  }
  try {
    await fs.writeFile(o.out!, data);
  } catch (e) {
    throw new CairnError(ErrorCode.OUTPUT_FAILED, `Could not write ${o.out}: ${(e as Error).message}.`, "Check that the folder exists and is writable.");
  }
  ctx.reporter.info(`cairn: wrote ${o.out} (${format}, ${graph.nodes.length} packages)`);
}
