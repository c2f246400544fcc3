// Image references as docker and podman read them: `[registry/]repository[:tag][@digest]`, where a
// short name means Docker Hub (`redis` → docker.io/library/redis:latest). Pure: no network.
import { CairnError, ErrorCode } from "../../errors.js";

export interface ImageReference {
  /** Host and optional port as written (`127.0.0.1:5000`, `[::1]:5000`), or `docker.io`. */
  registry: string;
  /** Path inside the registry (`team/redis`, `library/redis`). */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

export const DOCKER_HUB = "docker.io";

// The distribution project's grammar: lowercase components joined by `.`, `_`, `__` or dashes.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::[0-9]+)?$/;

export function parseReference(ref: string): ImageReference {
  const bad = (why: string) =>
    new CairnError(ErrorCode.BAD_REFERENCE, `image reference ${JSON.stringify(ref)} is not valid: ${why}`,
      "write it as [registry/]repository[:tag][@sha256:digest], e.g. 127.0.0.1:5000/team/redis:7");
  let rest = ref.trim();
  if (!rest) throw bad("it is empty");

  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`the digest ${JSON.stringify(digest)} is not sha256: followed by 64 lowercase hex digits`);
  }

  let tag: string | undefined;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  // A colon after the last slash is the tag; one before it belongs to the host's port.
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`the tag ${JSON.stringify(tag)} may hold only letters, digits, _ . - (at most 128, not starting with . or -)`);
  }

  let registry = DOCKER_HUB;
  const first = rest.indexOf("/");
  if (first >= 0) {
    const head = rest.slice(0, first);
    // Docker's rule: a first component with a dot, a port or brackets, or `localhost`, is a host.
    if (head.includes(".") || head.includes(":") || head.startsWith("[") || head === "localhost" || head !== head.toLowerCase()) {
      if (!HOST.test(head)) throw bad(`the registry host ${JSON.stringify(head)} is not a host name or address`);
      registry = head;
      rest = rest.slice(first + 1);
    }
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;

  for (const c of rest.split("/")) {
    if (!COMPONENT.test(c)) throw bad(`the repository part ${JSON.stringify(c)} must be lowercase letters and digits, joined by . _ __ or -`);
  }
  const repository = registry === DOCKER_HUB && !rest.includes("/") ? `library/${rest}` : rest;
  if (repository.length > 255) throw bad("the repository name is longer than 255 characters");
  if (!tag && !digest) tag = "latest";
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The reference in its full form: `registry/repository[:tag][@digest]`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** True for 127.0.0.0/8, localhost and [::1], with or without a port. */
export function isLoopback(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.replace(/:[0-9]+$/, "");
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Where the registry's API lives. HTTPS unless the host is on this machine or the user said
 * `insecure` (as docker treats loopback registries); `tls` (e.g. a CA file was given) forces
 * HTTPS. Docker Hub's API has its own host name.
 */
export function registryBaseUrl(registry: string, opts: { insecure?: boolean; tls?: boolean } = {}): string {
  if (registry === DOCKER_HUB) return "https://registry-1.docker.io";
  const scheme = !opts.tls && (opts.insecure || isLoopback(registry)) ? "http" : "https";
  return `${scheme}://${registry}`;
}
