// `npm run bench`: builds the same images with cairn and with the anchors (a Dockerfile through
// `podman build`, and mmdebstrap), and prints one table with ratios. Not a test: numbers depend on
// the machine. Options: --runs N, --big-runs N, --only redis,starlette,big, --tools cairn,dockerfile,mmdebstrap,
// --work DIR, --storage-driver auto|overlay|vfs, --typecheck, --json, --keep.
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { benchDockerfile, benchMmdebstrap } from "./anchors.js";
import { benchCairn } from "./cairn.js";
import { BIG, CASES, bigDefinition, lockedDebs } from "./cases.js";
import { GNU_TIME } from "./measure.js";
import { removeTree, startPodman, stopPodman, type Podman } from "./podman.js";
import { startStore, type BenchStore } from "./registry.js";
import { checkTargets, renderMeasurements, renderRatios, renderTargets, type Row, type Tool } from "./report.js";
import { MMDEBSTRAP_VARIANT, aptDownloads, type AptCache, type MmdebstrapCache, baseTar, bigData, cairnDownloads, mmdebstrapDownloads } from "./setup.js";

const IMAGES = ["redis", "starlette", "big"] as const;
const TOOLS: readonly Tool[] = ["cairn", "dockerfile", "mmdebstrap"];
const INSTALL = "apt-get install -y time mmdebstrap podman runc";

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--runs N] [--big-runs N] [--only ${IMAGES.join(",")}] [--tools ${TOOLS.join(",")}] [--work DIR] [--storage-driver auto|overlay|vfs] [--typecheck] [--json] [--keep]\n`);
  process.exit(2);
}

function list<T extends string>(values: string[] | undefined, allowed: readonly T[], flag: string): T[] {
  if (!values?.length) return [...allowed];
  const out = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  for (const v of out) if (!allowed.includes(v as T)) usage(`${flag} ${v}: expected one of ${allowed.join(", ")}`);
  return out as T[];
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        runs: { type: "string", default: "3" }, "big-runs": { type: "string", default: "1" }, only: { type: "string", multiple: true }, tools: { type: "string", multiple: true },
        work: { type: "string", default: "/var/tmp/cairn-bench" }, "storage-driver": { type: "string", default: "auto" },
        typecheck: { type: "boolean", default: false }, json: { type: "boolean", default: false }, keep: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    usage((e as Error).message);
  }
})();
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) usage(`--runs ${args.runs}: expected a whole number from 1 to 50`);
// The big case takes a minute a run and exists to check memory, which does not need a median.
const bigRuns = Number(args["big-runs"]);
if (!Number.isInteger(bigRuns) || bigRuns < 1 || bigRuns > 50) usage(`--big-runs ${args["big-runs"]}: expected a whole number from 1 to 50`);
const only = list(args.only, IMAGES, "--only");
const tools = list(args.tools, TOOLS, "--tools");
const driver = args["storage-driver"] as "auto" | "overlay" | "vfs";
if (!["auto", "overlay", "vfs"].includes(driver)) usage(`--storage-driver ${driver}: expected auto, overlay or vfs`);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

const onPath = (bin: string) => bin.startsWith("/") ? canRun(bin) : (process.env.PATH ?? "").split(delimiter).some((d) => canRun(join(d, bin)));
function canRun(p: string): boolean {
  try { accessSync(p, constants.X_OK); return true; } catch { return false; }
}

const cases = CASES.filter((c) => only.includes(c.id));
const anchors = tools.filter((t) => t !== "cairn" && cases.length > 0);
const needed = [GNU_TIME, "tar", ...(anchors.length ? ["mmdebstrap"] : []), ...(anchors.includes("dockerfile") ? ["podman", "runc"] : [])];
const missing = needed.filter((b) => !onPath(b));
if (missing.length) {
  process.stderr.write(`bench: missing ${missing.join(", ")}. npm run bench needs: ${INSTALL}\n(to measure cairn alone: npm run bench -- --tools cairn)\n`);
  process.exit(2);
}
if (anchors.length && process.getuid?.() !== 0) {
  process.stderr.write("bench: the anchors need root (podman with private storage, mmdebstrap's chroot); run as root, or measure cairn alone: npm run bench -- --tools cairn\n");
  process.exit(2);
}

const version = (cmd: string, a: string[]) => { try { return execFileSync(cmd, a, { encoding: "utf8" }).trim().split("\n")[0]; } catch { return "?"; } };
const work = args.work!;
const scratch = join(work, "run");
const rows: Row[] = [];
let podman: Podman | undefined;
let store: BenchStore | undefined;
const started = Date.now();
try {
  await removeTree(scratch); // what an interrupted run left
  await mkdir(scratch, { recursive: true });
  // Setup, untimed: downloads are kept in WORK/downloads between runs.
  const cairnCache = tools.includes("cairn") && cases.length ? await cairnDownloads(work, cases, log) : "";
  let apt: AptCache | undefined;
  if (anchors.includes("dockerfile")) {
    const base = await baseTar(work, log);
    podman = await startPodman(join(scratch, "podman"), driver, base, log);
    apt = await aptDownloads(podman, work, log);
  }
  // The "from a store" phase needs a registry: Debian's docker-registry, when installed.
  store = tools.includes("cairn") && onPath("docker-registry") ? await startStore(join(scratch, "registry")) : undefined;
  if (!store && tools.includes("cairn")) log("docker-registry is not installed: no \"from a store\" phase (apt-get install docker-registry)");
  const mmCaches = new Map<string, MmdebstrapCache>();
  if (anchors.includes("mmdebstrap")) for (const c of cases) mmCaches.set(c.id, await mmdebstrapDownloads(work, c, log));

  for (const c of cases) {
    if (tools.includes("cairn")) {
      rows.push(await benchCairn({ id: c.id, sourceDir: c.exampleDir, attr: c.attr, debs: lockedDebs(c), appFile: c.appFile, frozen: true, phases: ["cold", "warm", "noop", "app", "store"] },
        { runs, scratch, downloads: cairnCache, typecheck: args.typecheck!, log, ...(store ? { store } : {}) }));
    }
    if (podman && apt) rows.push(await benchDockerfile(c, podman, apt, { runs, scratch, log }));
    if (mmCaches.has(c.id)) rows.push(await benchMmdebstrap(c, mmCaches.get(c.id)!, { runs, scratch, log }));
  }
  if (only.includes("big") && tools.includes("cairn")) {
    const data = await bigData(work, log);
    const src = join(scratch, "big-src");
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "image.ts"), bigDefinition(data));
    // No packages, so no lock to pin: the cold build writes one (trivial) in its copy.
    rows.push(await benchCairn({ id: "big", sourceDir: src, attr: "big", debs: [], frozen: false, phases: ["cold", "warm", "noop"] },
      { runs: bigRuns, scratch, downloads: "", typecheck: args.typecheck!, log }));
  }
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  if (podman) await stopPodman(podman);
  store?.stop();
  if (!args.keep) await removeTree(scratch);
}

const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
const host = `${cpus().length} × ${cpu}, node ${process.version}` +
  (podman ? `, ${version("podman", ["--version"])} (storage driver ${podman.driver}, runtime runc)` : "") +
  (anchors.length ? `, mmdebstrap ${version("mmdebstrap", ["--version"]).replace(/^mmdebstrap /, "")}` : "");
if (process.exitCode) {
  // the failure is reported above
} else if (args.json) {
  process.stdout.write(`${JSON.stringify({ runs, host, typecheck: args.typecheck, rows, targets: checkTargets(rows) }, null, 2)}\n`);
} else {
  process.stdout.write(`${[
    "## cairn benchmark",
    "",
    `Host: ${host}. Each time is the median of ${runs} run(s), wall clock of the whole command; the bench took ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
    "",
    `- **cold** — packages already downloaded, nothing else. cairn: a new cache holding only the .debs its cairn.lock pins, \`--offline --frozen\`${args.typecheck ? "" : " `--no-typecheck`"}. ` +
      "Dockerfile: `podman build --no-cache` FROM the bench's `mmdebstrap --variant=minbase` base, apt's lists and .debs bind-mounted (`podman build -v`, like BuildKit's cache mounts: nothing downloaded, nothing of apt's cache in the image). " +
      `mmdebstrap: \`--variant=${MMDEBSTRAP_VARIANT} --include=…\`, its lists and .debs synced in, \`--skip=update\`, apt pointed at a dead proxy.`,
    "- **warm** — everything cached, and the definition changed without changing a layer: a new label (cairn: `config.Labels`; Dockerfile: a final `LABEL`).",
    "- **no-op** — the same command again (after one untimed run).",
    "- **from a store** — cairn only: another machine, an empty cache and `--offline` (no mirror), with a registry store (Debian's docker-registry on 127.0.0.1) that one untimed `--store-push` build from the cold cache filled: `--store REF --store-trust KEY.pub`.",
    "- **app change** — one small file changes: starlette's server.py gains a comment line (cairn: its `files()` layer; Dockerfile: its `COPY` layer); redis gains /etc/bench-app.conf (cairn: `text()`; Dockerfile: `COPY`).",
    "- **size** — the layers as tars (uncompressed) and gzipped (cairn: its own blobs; anchors: gzip -6 of each `podman save`d layer, or of mmdebstrap's rootfs tar). MB = 10^6 bytes. The Dockerfile image includes its base layer.",
    "- **peak RSS** — the largest over the row's timed runs, GNU time's %M (the largest single process the command waited for).",
    `- **big** — cairn only: a \`files()\` directory of ${(BIG.files * BIG.fileBytes) / 2 ** 30} GiB of random bytes (${BIG.files} × ${BIG.fileBytes / 2 ** 20} MiB), from an empty cache; ${bigRuns} run(s) per phase (\`--big-runs N\`).`,
    "",
    renderMeasurements(rows),
    "",
    "Ratios — time: anchor ÷ cairn (above 1: cairn is faster); size and memory: cairn ÷ anchor (below 1: cairn is smaller).",
    "",
    renderRatios(rows),
    "",
    "Targets (DESIGN.md §7):",
    "",
    renderTargets(checkTargets(rows)),
    "",
  ].join("\n")}`);
}
