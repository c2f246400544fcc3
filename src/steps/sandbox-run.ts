// A script in the sandbox as part of a build: its output shown line by line under a label, and a
// failure turned into one error that quotes the end of the output and, when the script tried to
// reach the network without having asked for it, says so.
import { CairnError, ErrorCode } from "../errors.js";
import { lastLines, looksLikeNetworkFailure, runInSandbox, type SandboxRun } from "../sandbox/bwrap.js";
import type { StepContext } from "./context.js";

export async function runInSandboxOrFail(what: string, run: Omit<SandboxRun, "stdio" | "onOutput">, ctx: StepContext): Promise<void> {
  const prefix = `  ${what} │ `;
  let pending = "";
  const result = await runInSandbox({
    ...run, stdio: "capture",
    onOutput: (s) => {
      const lines = (pending + s).split("\n");
      pending = lines.pop()!;
      for (const l of lines) ctx.reporter.info(prefix + l);
    },
  });
  if (pending) ctx.reporter.info(prefix + pending);
  if (result.code === 0) return;
  throw stepFailed(what, result.signal ? `was killed by ${result.signal}` : `exited with status ${result.code}`, result.tail, run.network);
}

export function stepFailed(what: string, how: string, output: string, network: boolean): CairnError {
  const shown = lastLines(output, 12);
  // A Python module the build imports and its environment lacks (a build backend, most often):
  // named, with Debian's package of it, before any guess about the network.
  const missing = /No module named '([A-Za-z0-9_]+)/.exec(output)?.[1];
  const offline = !missing && !network && looksLikeNetworkFailure(output);
  const debianName = missing && `python3-${missing.toLowerCase().replace(/_/g, "-")}`;
  return new CairnError(
    ErrorCode.STEP_FAILED,
    `${what} ${how}.${shown ? `\nIts last output:\n${shown.replace(/^/gm, "  ")}` : ""}${offline ? `\nIt tried to reach the network, and ${what} runs without network access.` : ""}${missing ? `\nIt imports the Python module ${missing}, which its environment lacks.` : ""}`,
    missing
      ? `Give it Debian's package of ${missing} (likely ${debianName}): in py.package({ ..., tools: [pkgs("${debianName}")] }), or in the inputs of the derivation.`
      : offline
        ? `Steps run offline so that their result depends only on their inputs. If it must download (npm ci, go mod download), add \`network: true\` to ${what}.`
        : "Fix the script in the definition; try it by hand in `cairn shell -p PACKAGE…` first.",
  );
}
