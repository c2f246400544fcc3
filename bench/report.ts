// The bench's results as markdown: one table of measurements, one of ratios to the anchors, and
// the targets of DESIGN.md §7 checked against them. Pure: the runner hands in the samples.

export const PHASES = ["cold", "warm", "noop", "app", "store", "push"] as const;
export type Phase = (typeof PHASES)[number];

export const TOOLS = ["cairn", "dockerfile", "docker", "mmdebstrap"] as const;
export type Tool = (typeof TOOLS)[number];
export const TOOL_NAMES: Record<Tool, string> = { cairn: "cairn", dockerfile: "Dockerfile (podman build)", docker: "Dockerfile (docker build)", mmdebstrap: "mmdebstrap" };
const PHASE_NAMES: Record<Phase, string> = { cold: "cold", warm: "warm", noop: "no-op", app: "app change", store: "from a store", push: "app change + push" };
/** The anchors that build the same Dockerfile: DESIGN.md §7 holds cairn to 2× faster than each. */
const DOCKERFILE_TOOLS: readonly Tool[] = ["dockerfile", "docker"];

export interface ImageSizes {
  /** Sum of the layers as tars (what diffIDs hash). */
  uncompressed: number;
  /** Sum of the layers gzipped: the tool's own blobs if it compresses, else gzip -6 of each. */
  compressed: number;
}

export interface Row {
  image: string;
  tool: Tool;
  /** Wall-clock seconds of every timed run, per phase; a phase the tool has no counterpart for is absent. */
  seconds: Partial<Record<Phase, number[]>>;
  /** Peak RSS (KiB, GNU time's %M) of every timed run, all phases. */
  rssKiB: number[];
  sizes?: ImageSizes;
}

/**
 * The irreducible work of a cold build on this machine, per image: decompressing the data.tar of
 * every .deb its cairn.lock pins, then gzip -6 of its layers (both spread over the machine's cores).
 */
export interface Limit {
  image: string;
  /** How many .debs were decompressed, and the uncompressed bytes of the layers gzipped. */
  debs: number;
  layerBytes: number;
  /** How many processes (decompression, gzip -6) or workers (fflate) ran at a time: the machine's cores. */
  cores: number;
  /** Seconds per run of each part: the .debs' data.tar decompressed; the layers gzipped with fflate, and with gzip -6. */
  decompress: number[];
  fflate: number[];
  gzip: number[];
}

export type LimitKind = "fflate" | "gzip";
const LIMIT_NAMES: Record<LimitKind, string> = { fflate: "limit (fflate)", gzip: "limit (gzip -6)" };

/** Median decompression plus median compression with the given compressor. */
export function limitSeconds(l: Limit, kind: LimitKind): number {
  return median(l.decompress) + median(l[kind]);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const phaseMedian = (r: Row | undefined, p: Phase) => (r?.seconds[p]?.length ? median(r.seconds[p]!) : undefined);
const peakBytes = (r: Row | undefined) => (r?.rssKiB.length ? Math.max(...r.rssKiB) * 1024 : undefined);

export function formatSeconds(s: number | undefined): string {
  if (s === undefined || Number.isNaN(s)) return "—";
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** Megabytes of 10^6 bytes, as docker and podman print image sizes. */
export function formatMB(bytes: number | undefined): string {
  if (bytes === undefined) return "—";
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "—";
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

function table(head: string[], body: string[][]): string {
  return [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function renderMeasurements(rows: readonly Row[]): string {
  const head = ["image", "tool", ...PHASES.map((p) => PHASE_NAMES[p]), "size uncompressed", "size gzip", "peak RSS"];
  return table(head, rows.map((r) => [
    r.image, TOOL_NAMES[r.tool], ...PHASES.map((p) => formatSeconds(phaseMedian(r, p))),
    formatMB(r.sizes?.uncompressed), formatMB(r.sizes?.compressed), formatMB(peakBytes(r)),
  ]));
}

const div = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);

/** One line per image: the limit with each compressor, and its parts. */
export function renderLimits(limits: readonly Limit[]): string {
  if (!limits.length) return "(no limit measured in this run)";
  return limits.map((l) =>
    `- ${l.image}: limit (decompress ${l.debs} .debs + gzip ${formatMB(l.layerBytes)} of layers, ${l.cores} cores): ` +
    `${formatSeconds(limitSeconds(l, "fflate"))} (fflate) / ${formatSeconds(limitSeconds(l, "gzip"))} (gzip -6) — ` +
    `decompress ${formatSeconds(median(l.decompress))}, gzip ${formatSeconds(median(l.fflate))} / ${formatSeconds(median(l.gzip))}`).join("\n");
}

/**
 * Anchor time ÷ cairn time per phase (above 1: cairn is faster); cairn size or memory ÷ the anchor's
 * (below 1: cairn is smaller). A limit row has only the cold column: the limit ÷ cairn's cold
 * (1 would be cairn at this machine's limit).
 */
export function renderRatios(rows: readonly Row[], limits: readonly Limit[] = []): string {
  const head = ["image", "cairn vs", ...PHASES.map((p) => PHASE_NAMES[p]), "size uncompressed", "size gzip", "peak RSS"];
  const body: string[][] = [];
  for (const c of rows.filter((r) => r.tool === "cairn")) {
    for (const a of rows.filter((r) => r.image === c.image && r.tool !== "cairn")) {
      body.push([
        c.image, TOOL_NAMES[a.tool], ...PHASES.map((p) => formatRatio(div(phaseMedian(a, p), phaseMedian(c, p)))),
        formatRatio(div(c.sizes?.uncompressed, a.sizes?.uncompressed)), formatRatio(div(c.sizes?.compressed, a.sizes?.compressed)),
        formatRatio(div(peakBytes(c), peakBytes(a))),
      ]);
    }
    for (const l of limits.filter((x) => x.image === c.image)) {
      for (const kind of ["fflate", "gzip"] as const) {
        body.push([c.image, LIMIT_NAMES[kind], ...PHASES.map((p) => p === "cold" ? formatRatio(div(limitSeconds(l, kind), phaseMedian(c, p))) : "—"), "—", "—", "—"]);
      }
    }
  }
  return body.length ? table(head, body) : "(no anchor ran beside cairn)";
}

export interface Target {
  what: string;
  value: string;
  ok: boolean;
}

/** DESIGN.md §7's targets, for those the rows measured. */
export function checkTargets(rows: readonly Row[]): Target[] {
  const find = (image: string, tool: Tool) => rows.find((r) => r.image === image && r.tool === tool);
  const out: Target[] = [];
  const redis = find("redis", "cairn");
  const below = (what: string, v: number | undefined, limit: number, fmt: (x: number) => string) => {
    if (v !== undefined && !Number.isNaN(v)) out.push({ what, value: fmt(v), ok: v < limit });
  };
  below("redis warm rebuild < 1 s", phaseMedian(redis, "warm"), 1, formatSeconds);
  below("redis no-op rebuild < 0.3 s", phaseMedian(redis, "noop"), 0.3, formatSeconds);
  below("redis application change < 1 s", phaseMedian(redis, "app"), 1, formatSeconds);
  // The "at least 10× faster than the Dockerfile build": cairn's rebuild against the
  // Dockerfile's build (13 s in DESIGN §7). Cold against cold is in the ratios table.
  const speedup = div(phaseMedian(find("redis", "dockerfile"), "cold"), phaseMedian(redis, "warm"));
  if (speedup !== undefined) out.push({ what: "redis rebuild (warm) ≥ 10× faster than the Dockerfile build (cold)", value: formatRatio(speedup), ok: speedup >= 10 });
  below("redis image < 25 MB uncompressed", redis?.sizes?.uncompressed, 25e6, formatMB);
  // Issue 14: a machine with an empty cache and a registry store, against this one's own builds.
  const fromStore = phaseMedian(redis, "store");
  const warm = phaseMedian(redis, "warm");
  const cold = phaseMedian(redis, "cold");
  if (fromStore !== undefined && warm !== undefined) out.push({ what: "redis from a registry store (empty cache) within 2× of a warm rebuild", value: formatRatio(fromStore / warm), ok: fromStore <= 2 * warm });
  if (fromStore !== undefined && cold !== undefined) out.push({ what: "redis from a registry store under a third of a cold build", value: formatRatio(fromStore / cold), ok: fromStore < cold / 3 });
  below("1 GB image build: peak RSS < 300 MB", peakBytes(find("big", "cairn")), 300e6, formatMB);
  below("redis app change + push < 0.5 s", phaseMedian(redis, "push"), 0.5, formatSeconds);
  for (const c of rows.filter((r) => r.tool === "cairn")) {
    for (const a of rows.filter((r) => r.image === c.image && DOCKERFILE_TOOLS.includes(r.tool))) out.push(...againstDockerfile(c, a));
    if (c.image !== "big") below(`${c.image} peak RSS < 300 MB`, peakBytes(c), 300e6, formatMB);
  }
  return out;
}

/** DESIGN.md §7: every phase both ran at least 2× faster than the Dockerfile build, and peak RSS at or under its. */
function againstDockerfile(c: Row, a: Row): Target[] {
  const out: Target[] = [];
  const ratios = PHASES.flatMap((p) => {
    const r = div(phaseMedian(a, p), phaseMedian(c, p));
    return r === undefined ? [] : [{ p, r }];
  });
  if (ratios.length) {
    const worst = ratios.reduce((x, y) => (y.r < x.r ? y : x));
    out.push({ what: `${c.image}: every phase ≥ 2× faster than ${TOOL_NAMES[a.tool]}`, value: `${formatRatio(worst.r)} (${PHASE_NAMES[worst.p]})`, ok: worst.r >= 2 });
  }
  const mine = peakBytes(c);
  const theirs = peakBytes(a);
  if (mine !== undefined && theirs !== undefined) {
    out.push({ what: `${c.image} peak RSS ≤ ${TOOL_NAMES[a.tool]}'s`, value: `${formatMB(mine)} vs ${formatMB(theirs)}`, ok: mine <= theirs });
  }
  return out;
}

export function renderTargets(targets: readonly Target[]): string {
  if (!targets.length) return "(none measured in this run)";
  return targets.map((t) => `- ${t.ok ? "✓" : "✗"} ${t.what}: ${t.value}`).join("\n");
}
