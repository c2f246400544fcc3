// Credentials for a registry from the files docker and podman log in to (`auths` entries with a
// base64 "user:password"), so `docker login` / `podman login` once is enough for cairn too.
// credHelpers/credsStore programs are not consulted yet.
import { readFile } from "node:fs/promises";
import type { Credentials } from "./client.js";

/** The first file that has an `auths` entry for `registry` wins. */
export async function credentialsFromConfigFiles(registry: string, files: string[]): Promise<Credentials | undefined> {
  for (const file of files) {
    let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try {
      config = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue; // absent or unreadable: not where this user logged in
    }
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (hostOf(key) !== registry) continue;
      if (entry.username && entry.password) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const text = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = text.indexOf(":");
        if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
      }
    }
  }
  return undefined;
}

/** `https://index.docker.io/v1/` and `127.0.0.1:5000` both name a host. */
function hostOf(key: string): string {
  const host = key.replace(/^https?:\/\//, "").split("/")[0]!;
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}
