// `npm run bench`: builds the same images with cairn and with the anchors (a Dockerfile through
// `podman build` and through `docker build`, and mmdebstrap), and prints one table with ratios. Not
// a test: numbers depend on the machine. Options: --runs N, --big-runs N, --only redis,starlette,jdk,big,
// --tools cairn,dockerfile,docker,mmdebstrap, --work DIR, --storage-driver auto|overlay|vfs,
// --typecheck, --json, --keep.
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { benchDockerfile, benchMmdebstrap, type AnchorOptions } from "./anchors.js";
import { benchCairn } from "./cairn.js";
import { BIG, CASES, bigDefinition, lockedDebs, type BenchCase } from "./cases.js";
import { buildAptImage, dockerBin, dockerEngine, dockerRunner, startDocker, stopDocker, type Docker } from "./docker.js";
import { LIMIT_TOOLS, measureLimit } from "./limit.js";
import { GNU_TIME } from "./measure.js";
import { podmanEngine, removeTree, startPodman, stopPodman, type Podman } from "./podman.js";
import { startRegistry, startStore, type BenchStore } from "./registry.js";
import { TOOLS, checkTargets, renderLimits, renderMeasurements, renderRatios, renderTargets, type Limit, type Row } from "./report.js";
import { MMDEBSTRAP_VARIANT, aptDownloads, type AptCache, type MmdebstrapCache, baseTar, bigData, cairnDownloads, mmdebstrapDownloads, podmanRunner } from "./setup.js";

const IMAGES = ["redis", "starlette", "jdk", "big"] as const;
const INSTALL = "apt-get install -y time mmdebstrap podman runc docker.io docker-registry";

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--runs N] [--big-runs N] [--only ${IMAGES.join(",")}] [--tools ${TOOLS.join(",")}] [--work DIR] [--storage-driver auto|overlay|vfs] [--typecheck] [--json] [--keep]\n` +
    "  --runs N      timed runs per phase (default 3; each time is their median)\n" +
    "  --big-runs N  timed runs per phase of the memory cases, jdk and big (default 1)\n");
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
// The memory cases (jdk, big) take long a run and exist to check memory, which does not need a median.
const bigRuns = Number(args["big-runs"]);
if (!Number.isInteger(bigRuns) || bigRuns < 1 || bigRuns > 50) usage(`--big-runs ${args["big-runs"]}: expected a whole number from 1 to 50`);
const runsFor = (c: BenchCase) => (c.big ? bigRuns : runs);
const only = list(args.only, IMAGES, "--only");
let tools = list(args.tools, TOOLS, "--tools");
const driver = args["storage-driver"] as "auto" | "overlay" | "vfs";
if (!["auto", "overlay", "vfs"].includes(driver)) usage(`--storage-driver ${driver}: expected auto, overlay or vfs`);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

const onPath = (bin: string) => bin.startsWith("/") ? canRun(bin) : (process.env.PATH ?? "").split(delimiter).some((d) => canRun(join(d, bin)));
function canRun(p: string): boolean {
  try { accessSync(p, constants.X_OK); return true; } catch { return false; }
}

// docker.io is newer to the bench than podman: skipped with a note when only the default tool list
// asked for it, an error when --tools named it.
const dockerMissing = ["dockerd", dockerBin()].filter((b) => !onPath(b));
if (tools.includes("docker") && dockerMissing.length) {
  if (args.tools?.length) {
    process.stderr.write(`bench: missing ${dockerMissing.join(", ")}: the docker build anchor needs apt-get install -y docker.io\n`);
    process.exit(2);
  }
  log(`no docker build anchor: ${dockerMissing.join(", ")} not installed (apt-get install -y docker.io)`);
  tools = tools.filter((t) => t !== "docker");
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
  process.stderr.write("bench: the anchors need root (podman and dockerd with private storage, mmdebstrap's chroot); run as root, or measure cairn alone: npm run bench -- --tools cairn\n");
  process.exit(2);
}
const hasRegistry = onPath("docker-registry");
const limitMissing = Object.keys(LIMIT_TOOLS).filter((b) => !onPath(b));
const cores = availableParallelism();

const version = (cmd: string, a: string[]) => { try { return execFileSync(cmd, a, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n")[0]; } catch { return "?"; } };
const work = args.work!;
const scratch = join(work, "run");
const rows: Row[] = [];
const limits: Limit[] = [];
let podman: Podman | undefined;
let docker: Docker | undefined;
let store: BenchStore | undefined;
const started = Date.now();

/** The limit figure of one case, from the .debs its lock pins and the image cairn built. */
async function limitOf(c: BenchCase, downloads: string, imageTar: string): Promise<Limit> {
  const dir = join(scratch, `limit-${c.id}`);
  await mkdir(dir, { recursive: true });
  try {
    log(`limit ${c.id}: decompressing ${lockedDebs(c).length} .debs and gzipping the layers, ${runsFor(c)} run(s)`);
    return await measureLimit({ image: c.id, debs: lockedDebs(c).map((sha) => join(downloads, "blobs", "sha256", sha)), imageTar, runs: runsFor(c), cores, scratch: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(imageTar, { force: true });
  }
}

try {
  await removeTree(scratch); // what an interrupted run left
  await mkdir(scratch, { recursive: true });
  // Setup, untimed: downloads are kept in WORK/downloads between runs.
  const cairnCache = tools.includes("cairn") && cases.length ? await cairnDownloads(work, cases, log) : "";
  let apt: AptCache | undefined;
  if (anchors.includes("dockerfile") || anchors.includes("docker")) {
    const base = await baseTar(work, log);
    if (anchors.includes("dockerfile")) podman = await startPodman(join(scratch, "podman"), driver, base, log);
    if (anchors.includes("docker")) docker = await startDocker(join(scratch, "docker"), driver, base, log);
    apt = await aptDownloads(podman ? podmanRunner(podman) : dockerRunner(docker!), work, log);
  }
  const aptImage = docker && apt ? await buildAptImage(docker, apt, scratch) : undefined;
  // The "from a store" and "app change + push" phases need a registry: Debian's docker-registry, when installed.
  store = tools.includes("cairn") && hasRegistry ? await startStore(join(scratch, "registry")) : undefined;
  if (!hasRegistry) log("docker-registry is not installed: no \"from a store\" or \"app change + push\" phase (apt-get install docker-registry)");
  if (limitMissing.length && tools.includes("cairn")) log(`no limit figure: ${limitMissing.join(", ")} not installed (apt-get install ${limitMissing.map((b) => LIMIT_TOOLS[b as keyof typeof LIMIT_TOOLS]).join(" ")})`);
  const registry = hasRegistry ? (name: string) => startRegistry(join(scratch, "registries", name)) : undefined;
  const mmCaches = new Map<string, MmdebstrapCache>();
  if (anchors.includes("mmdebstrap")) for (const c of cases) mmCaches.set(c.id, await mmdebstrapDownloads(work, c, log));

  for (const c of cases) {
    const o: AnchorOptions = { runs: runsFor(c), scratch, log, ...(registry ? { registry } : {}) };
    if (tools.includes("cairn")) {
      const keepImage = limitMissing.length ? undefined : join(scratch, `image-${c.id}.tar`);
      rows.push(await benchCairn({ id: c.id, sourceDir: c.exampleDir, attr: c.attr, debs: lockedDebs(c), appFile: c.appFile, frozen: true, phases: ["cold", "warm", "noop", "app", "push", "store"] },
        { runs: runsFor(c), scratch, downloads: cairnCache, typecheck: args.typecheck!, log, ...(store ? { store } : {}), ...(registry ? { registry } : {}), ...(keepImage ? { keepImage } : {}) }));
      if (keepImage) limits.push(await limitOf(c, cairnCache, keepImage));
    }
    if (podman && apt) rows.push(await benchDockerfile(c, podmanEngine(podman, apt), o));
    if (docker && aptImage) rows.push(await benchDockerfile(c, dockerEngine(docker, aptImage), o));
    if (mmCaches.has(c.id)) rows.push(await benchMmdebstrap(c, mmCaches.get(c.id)!, o));
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
  if (docker) await stopDocker(docker);
  await store?.stop();
  if (!args.keep) await removeTree(scratch);
}

const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
const host = `${cpus().length} × ${cpu}, node ${process.version}` +
  (podman ? `, ${version("podman", ["--version"])} (storage driver ${podman.driver}, runtime runc)` : "") +
  (docker ? `, ${version(docker.bin, ["--version"]).replace(/, build .*$/, "")} (docker.io's dockerd and BuildKit, storage driver ${docker.driver}, runtime runc)` : "") +
  (anchors.length ? `, mmdebstrap ${version("mmdebstrap", ["--version"]).replace(/^mmdebstrap /, "")}` : "");
const timedRuns = `${runs} run(s)${cases.some((c) => c.big) || only.includes("big") ? `, ${bigRuns} for jdk and big (\`--big-runs N\`)` : ""}`;
if (process.exitCode) {
  // the failure is reported above
} else if (args.json) {
  process.stdout.write(`${JSON.stringify({ runs, bigRuns, host, typecheck: args.typecheck, rows, limits, targets: checkTargets(rows) }, null, 2)}\n`);
} else {
  process.stdout.write(`${[
    "## cairn benchmark",
    "",
    `Host: ${host}. Each time is the median of ${timedRuns}, wall clock of the whole command; the bench took ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
    "",
    `- **cold** — packages already downloaded, nothing else. cairn: a new cache holding only the .debs its cairn.lock pins, \`--offline --frozen\`${args.typecheck ? "" : " `--no-typecheck`"}. ` +
      "Dockerfile (podman build): `podman build --no-cache --network=none` FROM the bench's `mmdebstrap --variant=minbase` base, apt's lists and .debs bind-mounted (`podman build -v`, like BuildKit's cache mounts: nothing downloaded, nothing of apt's cache in the image). " +
      "Dockerfile (docker build): the same Dockerfile through docker.io's dockerd and its built-in BuildKit, `docker build --no-cache --network=none`, apt's lists and .debs bind-mounted rw into the `RUN` from an image made of them beforehand (`RUN --mount=type=bind,from=…,rw`: the writes are thrown away, nothing lands in a layer; a `type=cache` mount starts empty under `--no-cache` there). " +
      `mmdebstrap: \`--variant=${MMDEBSTRAP_VARIANT} --include=…\`, its lists and .debs synced in, \`--skip=update\`, apt pointed at a dead proxy.`,
    "- **warm** — everything cached, and the definition changed without changing a layer: a new label (cairn: `config.Labels`; Dockerfile: a final `LABEL`).",
    "- **no-op** — the same command again (after one untimed run).",
    "- **app change** — one small file changes: starlette's server.py gains a comment line (cairn: its `files()` layer; Dockerfile: its `COPY` layer); redis and jdk gain /etc/bench-app.conf (cairn: `text()`; Dockerfile: `COPY`).",
    "- **app change + push** — the same kind of change, then the image pushed to a registry of its own (Debian's docker-registry on 127.0.0.1, plain HTTP), one figure for the whole: cairn: `cairn push FILE 127.0.0.1:PORT/bench-IMAGE:cairn` (builds from the cache what is unchanged, writes no tar); podman: `podman build … && podman push --tls-verify=false …` in one timed `sh -c`; docker: `docker build … && docker tag … && docker push …` in one timed `sh -c`. Each tool's registry starts empty and gets one untimed push first, so the timed runs push only the changed layer, as a CI rebuild would.",
    "- **from a store** — cairn only: another machine, an empty cache and `--offline` (no mirror), with a registry store (Debian's docker-registry on 127.0.0.1) that one untimed `--store-push` build from the cold cache filled: `--store REF --store-trust KEY.pub`.",
    "- **size** — the layers as tars (uncompressed) and gzipped (cairn: its own blobs; anchors: gzip -6 of each `podman save`d or `docker save`d layer, or of mmdebstrap's rootfs tar). MB = 10^6 bytes. The Dockerfile images include their base layer.",
    "- **peak RSS** — the largest over the row's timed runs, GNU time's %M (the largest single process the command waited for). docker build: the larger of the client's %M and dockerd's own peak (VmHWM, reset before each run), since BuildKit and the pushes run in the daemon.",
    `- **jdk** — Debian's openjdk-17-jdk-headless (bookworm), the memory case: ${bigRuns} run(s) per phase (\`--big-runs N\`).`,
    `- **big** — cairn only: a \`files()\` directory of ${(BIG.files * BIG.fileBytes) / 2 ** 30} GiB of random bytes (${BIG.files} × ${BIG.fileBytes / 2 ** 20} MiB), from an empty cache; ${bigRuns} run(s) per phase (\`--big-runs N\`).`,
    `- **limit** — the irreducible work of a cold build on this machine (${cores} cores), per image: the data.tar of every .deb its cairn.lock pins decompressed (\`ar p DEB data.tar.* | xz -dc\` / \`zstd -dc\` / \`gzip -dc\`, ${cores} at a time), plus gzip level 6 of cairn's layers as plain tars, with fflate's \`gzipSync\` (what cairn uses; layers split over ${cores} worker threads, read into memory first) or with \`gzip -6\` (${cores} at a time). Medians of the same runs as the case. cairn keeps only the packages its image uses, so it may decompress fewer .debs than this counts.`,
    "",
    renderMeasurements(rows),
    "",
    renderLimits(limits),
    "",
    "Ratios — time: anchor ÷ cairn (above 1: cairn is faster); size and memory: cairn ÷ anchor (below 1: cairn is smaller). Limit rows: the limit ÷ cairn's cold (1.00× would be cairn at this machine's limit).",
    "",
    renderRatios(rows, limits),
    "",
    "Targets (DESIGN.md §7):",
    "",
    renderTargets(checkTargets(rows)),
    "",
  ].join("\n")}`);
}
