// Where in the definition a value was made, for errors found later, at build time (a missing
// file named by files() on line 5). Kept off the spec's enumerable keys, so that specs stay
// plain data: JSON, cache keys and equality never see it.
const STACK = Symbol.for("cairn.callStack");
const LOCATION = Symbol.for("cairn.location");

/** Remember the stack of the call that made `spec` (resolved to file:line when the definition has loaded). */
export function recordCallSite<T extends object>(spec: T): T {
  Object.defineProperty(spec, STACK, { value: new Error().stack ?? "", enumerable: false });
  return spec;
}

export function callStackOf(spec: object): string | undefined {
  return (spec as Record<symbol, string | undefined>)[STACK];
}

export function setLocation(spec: object, where: string): void {
  Object.defineProperty(spec, LOCATION, { value: where, enumerable: false, configurable: true });
}

/** "image.ts:5:31" when known. */
export function locationOf(spec: object): string | undefined {
  return (spec as Record<symbol, string | undefined>)[LOCATION];
}

const HOME = Symbol.for("cairn.home");

/** The folder of the definition module whose code made `spec` (an imported module's, for a shared helper). */
export function setHome(spec: object, dir: string): void {
  Object.defineProperty(spec, HOME, { value: dir, enumerable: false, configurable: true });
}

export function homeOf(spec: object): string | undefined {
  return (spec as Record<symbol, string | undefined>)[HOME];
}

const PYTHON_REQUIREMENT = Symbol.for("cairn.pythonRequirement");

/** The Python requirement a Debian package stands for ("humanize==4.9.0"), for the build to compare with Debian's version. */
export function setPythonRequirement(spec: object, requirement: string): void {
  Object.defineProperty(spec, PYTHON_REQUIREMENT, { value: requirement, enumerable: false, configurable: true });
}

export function pythonRequirementOf(spec: object): string | undefined {
  return (spec as Record<symbol, string | undefined>)[PYTHON_REQUIREMENT];
}

/** `to` with the marks `from` carries (where it was made, its home folder, its requirement): for a spec the build rewrites. */
export function withMarks<T extends object>(from: object, to: T): T {
  for (const key of [STACK, LOCATION, HOME, PYTHON_REQUIREMENT]) {
    const v = (from as Record<symbol, unknown>)[key];
    if (v !== undefined) Object.defineProperty(to, key, { value: v, enumerable: false, configurable: true });
  }
  return to;
}

/** A fetched source as the definition called it, for messages: `fetchzip(https://…)`. */
export function fetchCall(c: { url: string; unpack?: unknown }): string {
  return `${c.unpack ? "fetchzip" : "fetchurl"}(${c.url})`;
}
