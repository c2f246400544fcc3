// Progress and logs go to stderr (stdout stays pipeable): plain lines always, and a progress bar
// for long steps when stderr is a terminal.
import type * as CliProgress from "cli-progress";
import { createRequire } from "node:module";
import type { Progress, Reporter } from "../report.js";

// Required on first use: most runs (quiet, piped, cached) never draw a bar.
const require = createRequire(import.meta.url);

export function stderrReporter(options: { quiet?: boolean } = {}): Reporter {
  const tty = process.stderr.isTTY === true;
  return {
    info(message) {
      if (!options.quiet) process.stderr.write(message + "\n");
    },
    warn(message) {
      process.stderr.write(`cairn: warning: ${message}\n`);
    },
    progress(title, total, unit): Progress {
      if (!tty || options.quiet || total <= 0) return { advance() {}, done() {} };
      const cliProgress = require("cli-progress") as typeof CliProgress;
      const bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `  ${title} [{bar}] {percentage}% | {value}/{total}${unit === "bytes" ? " MB" : ""}`,
          hideCursor: true,
          clearOnComplete: true,
          formatValue: (v, _o, type) => (unit === "bytes" && (type === "value" || type === "total") ? (v / 1e6).toFixed(1) : String(v)),
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      let value = 0;
      return {
        advance(by) {
          value += by;
          bar.update(Math.min(value, total));
        },
        done() {
          bar.stop();
        },
      };
    },
  };
}
