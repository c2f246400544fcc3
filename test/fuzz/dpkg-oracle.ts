// The host's dpkg as the oracle for Debian versions: one bash process per half batch reads
// tab-separated lines from stdin and runs `dpkg --compare-versions` per line, so a batch of a
// few hundred pairs costs two process starts plus dpkg's own, not one node spawn per pair.
import { spawn, spawnSync } from "node:child_process";

const COMPARE = `while IFS=$'\\t' read -r a b; do
  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
  elif dpkg --compare-versions "$a" gt "$b" 2>/dev/null; then echo 1
  else echo 0; fi
done`;

// dpkg warns (exit 0) or errors (exit 2) on bad syntax; either way it printed something.
const VALID = `while IFS= read -r v; do
  if [ -z "$(dpkg --compare-versions "$v" eq "$v" 2>&1 >/dev/null)" ]; then echo 1; else echo 0; fi
done`;

export function haveDpkg(): boolean {
  return spawnSync("dpkg", ["--version"], { stdio: "ignore" }).status === 0;
}

function runScript(script: string, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", ["-c", script], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, LC_ALL: "C" } });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const got = out.split("\n").slice(0, -1);
      if (code !== 0 || got.length !== lines.length) reject(new Error(`dpkg oracle: exit ${code}, ${got.length} answers for ${lines.length} lines`));
      else resolve(got);
    });
    p.stdin.end(lines.map((l) => l + "\n").join(""));
  });
}

/** Split across two processes (dpkg is the cost; two cores halve it). */
async function inHalves(script: string, lines: string[]): Promise<string[]> {
  const mid = Math.ceil(lines.length / 2);
  const [x, y] = await Promise.all([runScript(script, lines.slice(0, mid)), lines.length > mid ? runScript(script, lines.slice(mid)) : Promise.resolve([])]);
  return [...x, ...y];
}

/** dpkg's order of each pair: -1, 0 or 1. Versions must not hold tabs or newlines. */
export async function dpkgCompare(pairs: readonly (readonly [string, string])[]): Promise<number[]> {
  return (await inHalves(COMPARE, pairs.map(([a, b]) => `${a}\t${b}`))).map(Number);
}

/** Whether dpkg takes each version without a syntax warning or error. */
export async function dpkgValid(versions: readonly string[]): Promise<boolean[]> {
  return (await inHalves(VALID, [...versions])).map((s) => s === "1");
}
