// SVG to PNG with resvg (a Rust renderer shipped as a prebuilt Node addon; no graphviz, no
// browser). resvg draws no text without a font, so it is given DejaVu Sans when Debian's
// fonts-dejavu-core is installed, and the system's fonts otherwise.
import { existsSync } from "node:fs";
import { CairnError, ErrorCode } from "../errors.js";

export const DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

export async function svgToPng(svg: string, opts: { fontFiles?: string[]; scale?: number } = {}): Promise<Buffer> {
  let Resvg: typeof import("@resvg/resvg-js").Resvg;
  try {
    ({ Resvg } = await import("@resvg/resvg-js"));
  } catch (e) {
    throw new CairnError(ErrorCode.OUTPUT_FAILED, `PNG output needs @resvg/resvg-js, which could not be loaded: ${(e as Error).message}.`, "Reinstall cairn's dependencies (npm ci), or ask for --format svg and convert it yourself.");
  }
  const fontFiles = opts.fontFiles ?? [DEJAVU, DEJAVU_BOLD].filter((f) => existsSync(f));
  const renderer = new Resvg(svg, {
    fitTo: { mode: "zoom", value: opts.scale ?? 1.5 },
    font: fontFiles.length
      ? { loadSystemFonts: false, fontFiles, defaultFontFamily: "DejaVu Sans" }
      : { loadSystemFonts: true },
  });
  return renderer.render().asPng();
}
