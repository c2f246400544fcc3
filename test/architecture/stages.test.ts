// The folders of src/ are the stages of the pipeline, lowest first. A stage may import from itself
// and from the stages below it, never from one above; the leaf modules at the top of src/ import
// from no folder. The graph is read from the sources (static and dynamic imports, type-only ones
// too), so a cycle between folders cannot come back unnoticed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Lowest first; "." is the leaf modules at the top of src/. Keep in step with docs/ARCHITECTURE.md. */
export const STAGES = [
  ".", "store", "define", "load", "debian", "fs", "closure", "image", "transports", "sandbox", "steps", "build", "inspect", "cli",
] as const;

interface Import { from: string; to: string; line: number }

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".test-helper.ts") ? [p] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const found: Import[] = [];
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
    const to = path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, ".ts");
    found.push({ from: file, to, line: text.slice(0, m.index).split("\n").length });
  }
  return found;
}

function stageOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? "." : rel[0]!;
}

const where = (i: Import) => `src/${path.relative(SRC, i.from)}:${i.line} imports src/${path.relative(SRC, i.to)}`;
const all = sources(SRC).flatMap(importsOf);

test("every folder of src/ has a place in the stage order", () => {
  const folders = new Set(sources(SRC).map(stageOf));
  assert.deepEqual([...folders].filter((f) => !(STAGES as readonly string[]).includes(f)), []);
});

test("no stage imports from a stage above it", () => {
  const rank = (f: string) => STAGES.indexOf(stageOf(f) as (typeof STAGES)[number]);
  const upward = all.filter((i) => rank(i.to) > rank(i.from)).map((i) => `${where(i)} (${stageOf(i.from)} is below ${stageOf(i.to)})`);
  assert.deepEqual(upward, []);
});

test("no import cycle between folders, at any depth", () => {
  // Folders at every depth (transports/registry and transports/archive too), so a cycle inside a stage shows as well.
  const folderOf = (f: string) => path.relative(SRC, path.dirname(f)) || ".";
  const edges = new Map<string, Map<string, Import>>();
  for (const i of all) {
    const a = folderOf(i.from), b = folderOf(i.to);
    // A folder and its own subfolders are one unit when read from outside, not a cycle.
    if (a === b || b.startsWith(a + "/") || a.startsWith(b + "/")) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, i);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const [m, i] of edges.get(n) ?? []) {
      if (state.get(m) === "open") cycles.push([...stack.slice(stack.indexOf(m)), m].join(" → ") + ` (closed by ${where(i)})`);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

test("only the lock module and the command line read cairn.lock", () => {
  const allowed = new Set(["lock", "cli"]);
  const readers = sources(SRC)
    .filter((f) => !allowed.has(stageOf(f)) && !/\/lock(file)?\.ts$/.test(f))
    .filter((f) => /\breadLock\b|cairn\.lock["']/.test(readFileSync(f, "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")))
    .map((f) => `src/${path.relative(SRC, f)}`);
  assert.deepEqual(readers, []);
});

test("the checks see the imports they judge", () => {
  // Guards against a regex that silently matches nothing: the CLI imports the build, the build the image.
  assert.ok(all.some((i) => stageOf(i.from) === "cli" && stageOf(i.to) === "build"));
  assert.ok(all.some((i) => stageOf(i.from) === "build" && stageOf(i.to) === "image"));
  assert.ok(all.length > 300, `only ${all.length} imports found`);
});
