// `--timings`: where a build's time goes. Each phase's wall time and the CPU time the whole process
// (worker threads included) spent meanwhile, summed over the times it ran; printed once at the end.
import { performance } from "node:perf_hooks";

interface Phase {
  wall: number;
  cpu: number;
  runs: number;
}

export class Timings {
  private readonly phases = new Map<string, Phase>();
  private readonly started = performance.now();
  private readonly cpuStarted = process.cpuUsage();

  async time<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await fn();
    } finally {
      const c = process.cpuUsage(c0);
      const p = this.phases.get(phase) ?? { wall: 0, cpu: 0, runs: 0 };
      p.wall += performance.now() - t0;
      p.cpu += (c.user + c.system) / 1000;
      p.runs += 1;
      this.phases.set(phase, p);
    }
  }

  /** A table, phases in the order they first ran, then the whole run and what no phase covered. */
  format(): string {
    const total = performance.now() - this.started;
    const c = process.cpuUsage(this.cpuStarted);
    const cpuTotal = (c.user + c.system) / 1000;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const rows: [string, string, string][] = [...this.phases].map(([name, p]) => [p.runs > 1 ? `${name} (×${p.runs})` : name, s(p.wall), s(p.cpu)]);
    const covered = [...this.phases.values()].reduce((n, p) => n + p.wall, 0);
    rows.push(["other (start-up, between phases)", s(Math.max(0, total - covered)), ""], ["total", s(total), s(cpuTotal)]);
    const w = Math.max(...rows.map((r) => r[0].length));
    const lines = rows.map(([n, wall, cpu]) => `  ${n.padEnd(w)}  ${wall.padStart(9)}  ${cpu.padStart(9)}`);
    return [`cairn: timings (wall, CPU of all threads):`, `  ${"phase".padEnd(w)}  ${"wall".padStart(9)}  ${"cpu".padStart(9)}`, ...lines].join("\n");
  }
}

/** `fn`, timed as `phase` when timings are kept. */
export function timed<T>(timings: Timings | undefined, phase: string, fn: () => Promise<T>): Promise<T> {
  return timings ? timings.time(phase, fn) : fn();
}
