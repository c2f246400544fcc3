// What every fuzz property shares: its shape (so `npm run fuzz` and the short seeded run in
// `npm test` run the same code), and the rule a parser's rejection must follow — a CairnError
// with one of the codes the parser documents, never a TypeError, RangeError or other crash.
import fc from "fast-check";
import { isCairnError, type ErrorCode } from "../../src/errors.js";

export interface FuzzProperty {
  /** The parser it exercises, for the per-parser counts: "debian/version". */
  parser: string;
  /** What it checks, one line. */
  name: string;
  /** Built per run, so nothing carries over between the quick and the full run. */
  property: () => fc.IRawProperty<any, boolean>;
  /** Inputs one run checks (an oracle batch checks many): the counts report runs × this. */
  casesPerRun?: number;
  /** Runs in the full fuzz relative to CAIRN_FUZZ_RUNS (an oracle batch needs fewer runs). */
  runsScale?: number;
  /** Runs in the quick check inside npm test, when the default would be slow (file I/O per case). */
  quickRuns?: number;
}

/**
 * Call `fn`; a throw must be a CairnError whose code is in `codes`. Returns the result, or
 * `rejected` when it threw that typed error. Anything else is rethrown: a found crash.
 */
export function typed<T>(codes: readonly ErrorCode[], fn: () => T): T | typeof rejected {
  try {
    return accepted(fn());
  } catch (e) {
    return rejectedAs(codes, e);
  }
}

export async function typedAsync<T>(codes: readonly ErrorCode[], fn: () => Promise<T>): Promise<T | typeof rejected> {
  try {
    return accepted(await fn());
  } catch (e) {
    return rejectedAs(codes, e);
  }
}

function accepted<T>(r: T): T {
  outcomes.accepted++;
  return r;
}

function rejectedAs(codes: readonly ErrorCode[], e: unknown): typeof rejected {
  checkTyped(codes, e);
  outcomes.rejected++;
  return rejected;
}

/** How many parser calls accepted and rejected their input during the current run: a property that only ever rejects tests little. */
const outcomes = { accepted: 0, rejected: 0 };

export const rejected: unique symbol = Symbol("rejected");

// CAIRN_FUZZ_TRACE=1 prints every typed rejection: to see which checks a generator keeps hitting.
const trace = !!process.env.CAIRN_FUZZ_TRACE;

function checkTyped(codes: readonly ErrorCode[], e: unknown): void {
  if (isCairnError(e) && codes.includes(e.code)) {
    if (trace) console.log(`rejected: ${e.code} ${e.message.slice(0, 160)}`);
    return;
  }
  const what = isCairnError(e) ? `CairnError ${e.code} (expected ${codes.join(" or ")})` : `${(e as Error)?.name ?? typeof e}`;
  throw new Error(`untyped rejection: ${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

export interface RunResult {
  ok: boolean;
  runs: number;
  cases: number;
  ms: number;
  /** Calls through typed()/typedAsync() that returned, and that rejected with a typed error. */
  accepted: number;
  rejected: number;
  /** fast-check's report: the counterexample, seed and path to replay it. */
  report?: string;
}

/** Run one property; never throws. `timeoutMs` bounds a single case, so a hang is a failure. */
export async function runProperty(p: FuzzProperty, numRuns: number, seed: number, timeoutMs = 10_000): Promise<RunResult> {
  outcomes.accepted = outcomes.rejected = 0;
  const start = performance.now();
  const details = await fc.check(p.property(), { numRuns, seed, timeout: timeoutMs, endOnFailure: false });
  const ms = performance.now() - start;
  const runs = details.numRuns;
  const cases = runs * (p.casesPerRun ?? 1);
  const { accepted, rejected } = outcomes;
  if (!details.failed) return { ok: true, runs, cases, ms, accepted, rejected };
  const error = details.errorInstance as Error | undefined;
  const cause = (error?.cause as Error | undefined)?.stack;
  return { ok: false, runs, cases, ms, accepted, rejected, report: `${fc.defaultReportMessage(details) ?? "failed"}\nError: ${error?.message ?? String(error)}${cause ? `\nCaused by: ${cause}` : ""}` };
}
