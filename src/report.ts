// Where the pipeline tells people what it is doing. The CLI supplies a terminal reporter; tests and
// nested builds take the silent one.

export interface Reporter {
  /** A note for people on stderr (progress, what was done); `-q` silences it. */
  info(message: string): void;
  /** Something the user should look at; printed even with `-q`. Printed as `cairn: warning: …`. */
  warn(message: string): void;
  /** A progress bar for a long step; returns a handle to advance and finish it. */
  progress(title: string, total: number, unit: "bytes" | "items"): Progress;
}

export interface Progress {
  advance(by: number): void;
  done(): void;
}

export const silentReporter: Reporter = {
  info() {},
  warn() {},
  progress: () => ({ advance() {}, done() {} }),
};
