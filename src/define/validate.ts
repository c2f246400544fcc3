// Checks what a definition hands to buildImage & co, so a typo fails at once with the field's
// name instead of surfacing later as a strange image. Unknown keys are rejected, as apko does.
import { CairnError, ErrorCode } from "../errors.js";

export type Shape = Record<string, (v: unknown, at: string) => void>;

export function invalid(at: string, what: string): never {
  throw new CairnError(ErrorCode.DEFINITION_INVALID, `Invalid definition: ${at} ${what}.`, "See the ImageSpec fields in the README (an editor with TypeScript shows them as you type).");
}

export function checkObject(v: unknown, at: string, shape: Shape, required: string[] = []): void {
  if (!v || typeof v !== "object" || Array.isArray(v)) invalid(at, "must be an object");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    // Own keys only: `toString` or `constructor` must not pass as known through Object.prototype.
    const check = Object.hasOwn(shape, k) ? shape[k] : undefined;
    if (!check) invalid(`${at}.${k}`, `is not a known field (known: ${Object.keys(shape).join(", ")})`);
    if (o[k] !== undefined) check(o[k], `${at}.${k}`);
  }
  for (const k of required) if (o[k] === undefined) invalid(`${at}.${k}`, "is required");
}

export const isString = (v: unknown, at: string) => {
  if (typeof v !== "string") invalid(at, "must be a string");
};
export const isNonEmptyString = (v: unknown, at: string) => {
  if (typeof v !== "string" || v === "") invalid(at, "must be a non-empty string");
};
export const isBoolean = (v: unknown, at: string) => {
  if (typeof v !== "boolean") invalid(at, "must be true or false");
};
export const isId = (v: unknown, at: string) => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 2 ** 31) invalid(at, "must be a non-negative integer id");
};
export const isMode = (v: unknown, at: string) => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0o7777) invalid(at, "must be a file mode like 0o755");
};
export const isAbsolutePath = (v: unknown, at: string) => {
  if (typeof v !== "string" || !v.startsWith("/") || v.split("/").includes("..")) invalid(at, "must be an absolute path without '..'");
};
export const isStringArray = (v: unknown, at: string) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) invalid(at, "must be an array of strings");
};
export const isStringRecord = (v: unknown, at: string) => {
  if (!v || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) invalid(at, "must be an object of strings");
};
export const isEmptyObjectRecord = (v: unknown, at: string) => {
  if (!v || typeof v !== "object" || Array.isArray(v)) invalid(at, 'must be an object like { "6379/tcp": {} }');
  for (const [k, x] of Object.entries(v)) if (!x || typeof x !== "object" || Object.keys(x).length) invalid(`${at}["${k}"]`, "must be {}");
};
export function arrayOf(check: (v: unknown, at: string) => void) {
  return (v: unknown, at: string) => {
    if (!Array.isArray(v)) invalid(at, "must be an array");
    v.forEach((x, i) => check(x, `${at}[${i}]`));
  };
}
