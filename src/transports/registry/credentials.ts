// Credentials for a registry from the files docker and podman log in to, so `docker login` /
// `podman login` once is enough for cairn too: `credHelpers[registry]` or `credsStore` name a
// `docker-credential-<name>` program to ask; else an `auths` entry holds base64 "user:password".
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { CairnError, ErrorCode } from "../../errors.js";
import type { Credentials } from "./client.js";

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** How to talk to one registry: who to be, and how to trust it. */
export interface RegistryAccess {
  credentials?: Credentials;
  insecure?: boolean;
  caFile?: string;
}

export interface AccessOptions {
  /** `USER:PASSWORD` (`--creds`). */
  creds?: string;
  insecure?: boolean;
  caFile?: string;
  /**
   * The registry that `creds`, `insecure`, `caFile` and CAIRN_REGISTRY_USER/PASSWORD are for (the
   * one pushed to); unset, they are for every registry, as when a command only pulls base images.
   * A password given for one registry is never sent to another.
   */
  only?: string;
}

/**
 * The one chain pushes and pulls use: --creds, else CAIRN_REGISTRY_USER/CAIRN_REGISTRY_PASSWORD,
 * else what `docker login` / `podman login` wrote. `env` and `home` are read at the edge.
 */
export function registryAccess(o: AccessOptions, env: NodeJS.ProcessEnv, home: string): (registry: string) => Promise<RegistryAccess> {
  const explicit = o.creds !== undefined ? parseCreds(o.creds) : undefined;
  const fromEnv = env["CAIRN_REGISTRY_USER"] && env["CAIRN_REGISTRY_PASSWORD"] ? { username: env["CAIRN_REGISTRY_USER"], password: env["CAIRN_REGISTRY_PASSWORD"] } : undefined;
  const files = [
    path.join(env["DOCKER_CONFIG"] ?? path.join(home, ".docker"), "config.json"),
    ...(env["REGISTRY_AUTH_FILE"] ? [env["REGISTRY_AUTH_FILE"]] : []),
    ...(env["XDG_RUNTIME_DIR"] ? [path.join(env["XDG_RUNTIME_DIR"], "containers", "auth.json")] : []),
    path.join(home, ".config", "containers", "auth.json"),
  ];
  const known = new Map<string, Promise<RegistryAccess>>();
  const lookUp = async (registry: string): Promise<RegistryAccess> => {
    const mine = o.only === undefined || o.only === registry;
    const tls = mine ? { ...(o.insecure ? { insecure: true } : {}), ...(o.caFile ? { caFile: o.caFile } : {}) } : {};
    const credentials = (mine ? explicit ?? fromEnv : undefined) ?? (await credentialsFromConfigFiles(registry, files, env));
    return { ...tls, ...(credentials ? { credentials } : {}) };
  };
  // Asked once per registry: a credential helper may prompt or be slow.
  return (registry) => {
    if (!known.has(registry)) known.set(registry, lookUp(registry));
    return known.get(registry)!;
  };
}

function parseCreds(creds: string): Credentials {
  const colon = creds.indexOf(":");
  if (colon <= 0) throw new CairnError(ErrorCode.USAGE, "--creds must be USER:PASSWORD.", "Or set CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD, or log in with docker/podman.");
  return { username: creds.slice(0, colon), password: creds.slice(colon + 1) };
}

/** The first file that knows `registry` wins. `env` is passed to credential helpers (PATH). */
export async function credentialsFromConfigFiles(registry: string, files: string[], env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  for (const file of files) {
    let config: ConfigFile;
    try {
      config = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue; // absent or unreadable: not where this user logged in
    }
    const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => hostOf(k) === registry)?.[1];
    if (helper) return askHelper(helper, registry, env);
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (hostOf(key) !== registry) continue;
      if (entry.username && entry.password) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const text = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = text.indexOf(":");
        if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
      }
      // An auths entry without a secret: the secret lives in the credsStore.
      if (config.credsStore) return askHelper(config.credsStore, registry, env);
    }
  }
  return undefined;
}

/** `docker-credential-<name> get`, the registry on stdin, JSON {Username, Secret} on stdout. */
function askHelper(name: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ["get"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.resume();
    child.on("error", () =>
      reject(new CairnError(ErrorCode.REGISTRY_AUTH, `The docker config names the credential helper ${program} for ${registry}, but it cannot be run.`, `Install ${program}, or give credentials with --creds or CAIRN_REGISTRY_USER/CAIRN_REGISTRY_PASSWORD.`)),
    );
    child.on("close", (code) => {
      // Helpers say "credentials not found" with a non-zero exit: then there are none to use.
      if (code !== 0) return resolve(undefined);
      try {
        const { Username, Secret } = JSON.parse(out) as { Username?: string; Secret?: string };
        resolve(Username && Secret ? { username: Username, password: Secret } : undefined);
      } catch {
        reject(new CairnError(ErrorCode.REGISTRY_AUTH, `The credential helper ${program} answered something other than JSON for ${registry}.`, `Check \`echo ${registry} | ${program} get\`.`));
      }
    });
    child.stdin.on("error", () => {});
    child.stdin.end(registry);
  });
}

/** `https://index.docker.io/v1/` and `127.0.0.1:5000` both name a host. */
function hostOf(key: string): string {
  const host = key.replace(/^https?:\/\//, "").split("/")[0]!;
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}
