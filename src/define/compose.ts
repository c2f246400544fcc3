// compose(): several images of a definition run together, as a compose file says (seed 003's
// docker-compose.yaml). Like the rest of define, it only describes: `cairn compose` builds the
// images and writes the file.
import type { ImageSpec } from "./spec.js";
import { arrayOf, checkObject, invalid, isNonEmptyString, isStringArray } from "./validate.js";

export interface ServiceOptions {
  /** The image the service runs: an image of this definition. Required. */
  image: ImageSpec;
  /** Published ports, as compose writes them: "8080:80", "127.0.0.1:5432:5432", "53:53/udp". */
  ports?: string[];
  /** Environment variables of the container. */
  environment?: Record<string, string>;
  /** Services started before this one. */
  dependsOn?: string[];
  /** Replaces the image's Cmd. */
  command?: string[];
}

export interface ComposeOptions {
  /** The project name (compose's `name:`, prefixing containers and networks). */
  name?: string;
  /** The services by name. Required. */
  services: Record<string, ServiceOptions>;
}

export interface ServiceSpec {
  image: ImageSpec;
  ports: string[];
  environment: Record<string, string>;
  dependsOn: string[];
  command?: string[];
}

export interface ComposeSpec {
  kind: "compose";
  name?: string;
  /** Sorted by name. */
  services: Record<string, ServiceSpec>;
}

// Compose's own rules for project and service names, and a port mapping's shape.
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PORT = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}:)?\d{1,5}:)?\d{1,5}(?:\/(?:tcp|udp|sctp))?$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isPorts = arrayOf((v: unknown, at: string) => {
  if (typeof v !== "string" || !PORT.test(v)) invalid(at, 'must be a port mapping like "8080:80", "127.0.0.1:5432:5432" or "53:53/udp"');
  for (const n of v.split("/")[0]!.split(":").slice(-2)) if (Number(n) < 1 || Number(n) > 65535) invalid(at, "has a port outside 1–65535");
});
const isEnvironment = (v: unknown, at: string) => {
  if (!v || typeof v !== "object" || Array.isArray(v)) invalid(at, "must be an object of variable → value");
  for (const [k, x] of Object.entries(v)) {
    if (!VARIABLE.test(k)) invalid(`${at}.${k}`, "is not a variable name");
    if (typeof x !== "string") invalid(`${at}.${k}`, "must be a string");
  }
};

/** Services that run together; `cairn compose` builds their images and writes compose.yaml. */
export function compose(options: ComposeOptions): ComposeSpec {
  checkObject(options, "compose()", {
    name: (v: unknown, at: string) => {
      if (typeof v !== "string" || !PROJECT_NAME.test(v)) invalid(at, 'must be a lowercase name like "agatha" (letters, digits, _ and -)');
    },
    services: (v: unknown, at: string) => {
      if (!v || typeof v !== "object" || Array.isArray(v) || !Object.keys(v).length) invalid(at, "must be an object with at least one service");
    },
  }, ["services"]);
  const names = Object.keys(options.services).sort();
  const services: Record<string, ServiceSpec> = {};
  for (const name of names) {
    const at = `compose().services.${name}`;
    if (!SERVICE_NAME.test(name)) invalid(at, "is not a service name (letters, digits, _ . -)");
    const s = options.services[name]!;
    checkObject(s, at, {
      image: (v: unknown, a: string) => {
        if ((v as { kind?: string } | null)?.kind !== "image") invalid(a, "must be an image (buildLayeredImage(...) or buildImage(...))");
      },
      ports: isPorts,
      environment: isEnvironment,
      dependsOn: (v: unknown, a: string) => {
        isStringArray(v, a);
        for (const d of v as string[]) {
          if (d === name) invalid(a, "names the service itself");
          if (!Object.hasOwn(options.services, d)) invalid(a, `names "${d}", which is not a service (services: ${names.join(", ")})`);
        }
      },
      command: (v: unknown, a: string) => {
        isStringArray(v, a);
        if (!(v as string[]).length) invalid(a, "must not be empty (leave it out to run the image's Cmd)");
      },
    }, ["image"]);
    isNonEmptyString(s.image.name, `${at}.image.name`);
    services[name] = {
      image: s.image,
      ports: [...(s.ports ?? [])],
      environment: Object.fromEntries(Object.entries(s.environment ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      dependsOn: [...new Set(s.dependsOn ?? [])].sort(),
      ...(s.command ? { command: [...s.command] } : {}),
    };
  }
  const cycle = dependencyCycle(services);
  if (cycle) invalid("compose().services", `depend on each other in a cycle: ${cycle.join(" → ")}`);
  return { kind: "compose", ...(options.name ? { name: options.name } : {}), services };
}

/** A dependsOn cycle as a path of names, or undefined. */
function dependencyCycle(services: Record<string, ServiceSpec>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const d of services[name]!.dependsOn) {
      const c = visit(d, [...path, name]);
      if (c) return c;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const c = visit(name, []);
    if (c) return c;
  }
  return undefined;
}
