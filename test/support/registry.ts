// A real OCI registry on 127.0.0.1 (Debian's docker-registry, i.e. distribution 2.8), optionally
// with htpasswd auth and a self-signed TLS certificate, for push tests. skopeo and podman are the
// independent checks of what was pushed.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "./command.js";
import { freePort, waitForPort } from "./engines.js";

export interface RegistryOptions {
  /** Require basic auth (htpasswd, bcrypt). true means user "cairn", password "cairn-secret". */
  auth?: boolean | { user: string; password: string };
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1. */
  tls?: boolean;
}

export interface Registry {
  /** "127.0.0.1:PORT", as it appears in image references. */
  host: string;
  /** "http://127.0.0.1:PORT" or "https://…". */
  url: string;
  user?: string;
  password?: string;
  /** The certificate (PEM) that clients must trust, when tls. */
  caFile?: string;
  /** A folder holding ca.crt, for skopeo/podman --cert-dir, when tls. */
  certDir?: string;
  close(): Promise<void>;
}

export async function registry(opts: RegistryOptions = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const creds = opts.auth === true ? { user: "cairn", password: "cairn-secret" } : opts.auth || undefined;
  const lines = [
    "version: 0.1",
    "log:\n  level: warn",
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true`,
    `http:\n  addr: ${host}\n  secret: cairn-test-secret`,
  ];
  let certDir: string | undefined;
  if (opts.tls) {
    certDir = join(dir, "certs");
    await mkdir(certDir);
    await command("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-days", "3650", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(certDir, "ca.crt")]);
    lines.push(`  tls:\n    certificate: ${join(certDir, "ca.crt")}\n    key: ${join(dir, "key.pem")}`);
  }
  if (creds) {
    const entry = await command("htpasswd", ["-Bbn", creds.user, creds.password]);
    await writeFile(join(dir, "htpasswd"), entry.stdout.trim() + "\n");
    lines.push(`auth:\n  htpasswd:\n    realm: cairn-test\n    path: ${join(dir, "htpasswd")}`);
  }
  const close = await serveRegistry(dir, lines, port);
  return {
    host,
    url: `${opts.tls ? "https" : "http"}://${host}`,
    user: creds?.user,
    password: creds?.password,
    caFile: certDir && join(certDir, "ca.crt"),
    certDir,
    close,
  };
}

/**
 * Run Debian's docker-registry with these config lines (written to dir/config.yml) until it
 * listens on `port`; the returned close() stops it (and `alsoClose`) and removes `dir`.
 */
export async function serveRegistry(dir: string, config: string[], port: number, alsoClose?: () => Promise<void>): Promise<() => Promise<void>> {
  await writeFile(join(dir, "config.yml"), config.join("\n") + "\n");
  const log = join(dir, "registry.log");
  const fd = openSync(log, "a");
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const killOnExit = () => { try { child.kill("SIGKILL"); } catch { /* gone */ } };
  process.once("exit", killOnExit);
  const close = async () => {
    child.kill("SIGTERM");
    const forceKill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(forceKill);
    process.removeListener("exit", killOnExit);
    await alsoClose?.();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForPort(port, 30_000),
      exited.then(() => { throw new Error(`docker-registry exited at start; its log:\n${readFileSync(log, "utf8")}`); }),
    ]);
  } catch (e) {
    await close();
    throw e;
  }
  return close;
}
