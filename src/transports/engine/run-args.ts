// `cairn run`'s plan, without I/O: which host ports the image's ExposedPorts are published on,
// the engine's `run` argv, and the line telling people where to connect.
import { CairnError, ErrorCode } from "../../errors.js";

export type Protocol = "tcp" | "udp" | "sctp";

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

const PORT_KEY = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i;

/** A usage error when the port came from -p, a definition error when from the image. */
function portNumber(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new CairnError(what.startsWith("-p") ? ErrorCode.USAGE : ErrorCode.DEFINITION_INVALID, `${what}: ${s} is not a port number (1–65535).`, "Use a port between 1 and 65535.");
  }
  return n;
}

/** The ports of a config's ExposedPorts keys ("6379/tcp", "53/udp", "80", "8000-8002/tcp"), sorted. */
export function exposedPorts(exposed: Record<string, unknown> | undefined): { port: number; protocol: Protocol }[] {
  const out: { port: number; protocol: Protocol }[] = [];
  for (const key of Object.keys(exposed ?? {})) {
    const m = PORT_KEY.exec(key.trim());
    if (!m) throw new CairnError(ErrorCode.DEFINITION_INVALID, `The image's ExposedPorts has "${key}", which is not PORT[/tcp|/udp|/sctp].`, 'Write exposed ports as e.g. "6379/tcp".');
    const protocol = (m[3]?.toLowerCase() ?? "tcp") as Protocol;
    const first = portNumber(m[1]!, `ExposedPorts "${key}"`);
    const last = m[2] === undefined ? first : portNumber(m[2], `ExposedPorts "${key}"`);
    for (let p = first; p <= last; p++) out.push({ port: p, protocol });
  }
  return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** `-p HOST:CONTAINER[/PROTO]`. */
export function parsePublish(s: string): PortMapping {
  const m = /^(\d+):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(s.trim());
  if (!m) throw new CairnError(ErrorCode.USAGE, `-p ${s}: expected HOST:CONTAINER, e.g. -p 16379:6379 (or 5353:53/udp).`, "Give the host port, a colon, and the container's port.");
  return { hostPort: portNumber(m[1]!, `-p ${s}`), containerPort: portNumber(m[2]!, `-p ${s}`), protocol: (m[3]?.toLowerCase() ?? "tcp") as Protocol };
}

/**
 * Every exposed port on the same host port, except where a -p says otherwise; a -p for a port the
 * image does not expose publishes it too (as `docker run -p` does).
 */
export function portMappings(exposed: Record<string, unknown> | undefined, publish: readonly PortMapping[]): PortMapping[] {
  const key = (port: number, protocol: Protocol) => `${port}/${protocol}`;
  const chosen = new Map<string, PortMapping>();
  for (const { port, protocol } of exposedPorts(exposed)) chosen.set(key(port, protocol), { hostPort: port, containerPort: port, protocol });
  for (const p of publish) chosen.set(key(p.containerPort, p.protocol), p);
  const mappings = [...chosen.values()].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  const hosts = new Map<string, PortMapping>();
  for (const m of mappings) {
    const other = hosts.get(key(m.hostPort, m.protocol));
    if (other) {
      throw new CairnError(ErrorCode.USAGE, `Host port ${key(m.hostPort, m.protocol)} would be published for both container port ${other.containerPort} and ${m.containerPort}.`, `Give one of them another host port with -p, e.g. -p ${m.hostPort + 10000 <= 65535 ? m.hostPort + 10000 : m.hostPort - 1}:${m.containerPort}${m.protocol === "tcp" ? "" : `/${m.protocol}`}.`);
    }
    hosts.set(key(m.hostPort, m.protocol), m);
  }
  return mappings;
}

/** A container name engines accept: `cairn-run-<image name>-<pid>`. */
export function containerName(imageRef: string, pid: number): string {
  const base = imageRef.replace(/:[^:/]*$/, "").split("/").pop() ?? "image";
  const clean = base.replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[^a-zA-Z0-9]+/, "") || "image";
  return `cairn-run-${clean}-${pid}`;
}

export interface RunPlan {
  image: string;
  name: string;
  ports: readonly PortMapping[];
  /** stdin is a terminal: attach it with a TTY (`-it`). */
  tty: boolean;
  /** Replaces the image's Cmd, as `docker run IMAGE ARGS…` does. */
  args: readonly string[];
  /** The image's platform when it is not the host's (`linux/arm64`): run under emulation, said to the engine. */
  platform?: string;
}

/** The engine's argv (without the engine's own name). */
export function runArgs(plan: RunPlan): string[] {
  const protoSuffix = (p: PortMapping) => (p.protocol === "tcp" ? "" : `/${p.protocol}`);
  return [
    "run", "--rm", "--name", plan.name,
    ...(plan.tty ? ["-it"] : []),
    ...(plan.platform ? ["--platform", plan.platform] : []),
    ...plan.ports.flatMap((p) => ["-p", `${p.hostPort}:${p.containerPort}${protoSuffix(p)}`]),
    plan.image,
    ...plan.args,
  ];
}

/** `cairn: redis:7 on podman; port 6379 → localhost:6379`. */
export function describeRun(image: string, engine: string, ports: readonly PortMapping[]): string {
  const head = `cairn: ${image} on ${engine}`;
  if (ports.length === 0) return `${head}; no ports published`;
  const one = (p: PortMapping) => `${p.containerPort}${p.protocol === "tcp" ? "" : `/${p.protocol}`} → localhost:${p.hostPort}`;
  return `${head}; port${ports.length === 1 ? "" : "s"} ${ports.map(one).join(", ")}`;
}
