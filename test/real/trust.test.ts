// DESIGN.md §5 "TLS": no maintainer script runs, yet a CA the definition puts under
// /usr/local/share/ca-certificates is trusted by Python (OpenSSL's default paths) and by Java
// (cacerts), with no SSL_CERT_FILE, against a local HTTPS server whose certificate it signed.
// Also README "Files cairn generates": the definition's nsswitch.conf and root's redefined shell.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, project } from "../support/cairn.js";
import { available, podman, type Engine } from "../support/engines.js";

const noPodman = !available().podman && "podman is not installed (apt-get install -y podman runc; .ci/run installs it)";
const noJavac = spawnSync("javac", ["-version"]).status !== 0 && "javac is not installed (apt-get install -y openjdk-17-jdk-headless; .ci/run installs it)";
let work = "";
const servers: Server[] = [];
let url = "";
/** A server whose certificate a CA the images do not hold signed. */
let untrustedUrl = "";
let engine: Engine | undefined;

/** A CA `${name}-ca.crt` and an HTTPS server on 127.0.0.1 with a certificate it signed; the server's URL. */
async function caAndServer(name: string): Promise<string> {
  const ssl = (args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl(["req", "-x509", ...ec, "-keyout", `${name}-ca.key`, "-out", `${name}-ca.crt`, "-days", "2", "-subj", `/O=Cairn Tests/CN=Cairn ${name} CA`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  ssl(["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=127.0.0.1"]);
  await writeFile(join(work, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  ssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${name}-ca.crt`, "-CAkey", `${name}-ca.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", "ext.cnf"]);
  const server = createServer({ key: await readFile(join(work, `${name}.key`)), cert: await readFile(join(work, `${name}.crt`)) }, (_req, res) => res.end("trusted\n"));
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "cairn-trust-"));
  url = await caAndServer("test");
  untrustedUrl = await caAndServer("other");
  await writeFile(join(work, "ca.crt"), await readFile(join(work, "test-ca.crt")));
});
after(async () => {
  for (const s of servers) s.close();
  await engine?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** Builds the definition in a fresh folder holding ca.crt and `copies` (files of `work`); cairn's stderr. */
async function buildIn(definition: string, copies: string[], out: string): Promise<string> {
  const d = await project({ "image.ts": definition });
  for (const f of ["ca.crt", ...copies]) await writeFile(join(d, f), await readFile(join(work, f)));
  const r = await cairn(["build", "--cache-dir", sharedCache(), "-o", out], { cwd: d, timeoutMs: 900_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stderr;
}

const pyOut = () => join(work, "python.tar");
const PYTHON = `import { buildLayeredImage, debian, files, text } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export default buildLayeredImage({
  name: "trust-python",
  contents: [
    pkgs("python3"), pkgs("ca-certificates"),
    files("./ca.crt", "/usr/local/share/ca-certificates/test.crt"),
    text("/etc/nsswitch.conf", "passwd: files\\ngroup: files\\nhosts: files\\n"),
  ],
  users: [{ name: "root", uid: 0, shell: "/usr/bin/python3" }],
  caBundleLinks: true,
  config: { Cmd: ["python3"] },
});`;

test("python3 + ca-certificates: the local CA is in the bundle, the OpenSSL links and the hash links", async () => {
  const stderr = await buildIn(PYTHON, [], pyOut());
  assert.match(stderr, /cairn: your \/etc\/nsswitch\.conf replaces the one cairn generates/);
  const { root } = await extractImage(pyOut());
  const ca = await readFile(join(work, "ca.crt"), "utf8");
  const bundle = await readFile(join(root, "etc/ssl/certs/ca-certificates.crt"), "utf8");
  assert.ok(bundle.endsWith(ca), "the local CA comes last in the bundle");
  assert.ok((bundle.match(/BEGIN CERTIFICATE/g) ?? []).length > 100, "and Debian's CAs before it");
  assert.equal(await readlink(join(root, "usr/lib/ssl/cert.pem")), "/etc/ssl/certs/ca-certificates.crt");
  assert.equal(await readlink(join(root, "usr/lib/ssl/certs")), "/etc/ssl/certs");
  assert.equal(await readlink(join(root, "etc/ssl/certs/test.pem")), "/usr/local/share/ca-certificates/test.crt");
  const hash = execFileSync("openssl", ["x509", "-noout", "-subject_hash", "-in", join(work, "ca.crt")], { encoding: "utf8" }).trim();
  assert.match(hash, /^[0-9a-f]{8}$/);
  assert.equal(await readlink(join(root, `etc/ssl/certs/${hash}.0`)), "test.pem");
  assert.equal(await readlink(join(root, "etc/pki/tls/certs/ca-bundle.crt")), "/etc/ssl/certs/ca-certificates.crt");
  assert.equal(await readFile(join(root, "etc/nsswitch.conf"), "utf8"), "passwd: files\ngroup: files\nhosts: files\n");
  assert.match(await readFile(join(root, "etc/passwd"), "utf8"), /^root:x:0:0:root:\/root:\/usr\/bin\/python3$/m);
});

test("python's urllib trusts the server through the default paths, capath alone, and the Fedora path", { skip: noPodman }, async () => {
  engine ??= await podman();
  const ref = await engine.load(pyOut());
  const fetch = (context: string) => `import ssl, urllib.request\nprint(urllib.request.urlopen("${url}", context=${context}, timeout=20).read().decode(), end="")`;
  for (const context of ["ssl.create_default_context()", 'ssl.create_default_context(capath="/etc/ssl/certs")', 'ssl.create_default_context(cafile="/etc/pki/tls/certs/ca-bundle.crt")']) {
    const r = await engine.run(["--network", "host", ref, "python3", "-c", fetch(context)]);
    assert.equal(r.code, 0, `${context}: ${r.stderr}`);
    assert.equal(r.stdout, "trusted\n");
  }
  // A server whose CA the image does not hold is refused: the test CA really is what makes it pass.
  const r = await engine.run(["--network", "host", ref, "python3", "-c", fetch("ssl.create_default_context()").replace(url, untrustedUrl)]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /CERTIFICATE_VERIFY_FAILED/);
  // The shell root was given is what the image's passwd says, as the container sees it.
  const pw = await engine.run([ref, "python3", "-c", "import pwd; print(pwd.getpwnam('root').pw_shell)"]);
  assert.equal(pw.stdout, "/usr/bin/python3\n", pw.stderr);
});

const JAVA_SOURCE = `import java.net.URL;
import javax.net.ssl.HttpsURLConnection;
public class Fetch {
  public static void main(String[] args) throws Exception {
    HttpsURLConnection c = (HttpsURLConnection) new URL(args[0]).openConnection();
    System.out.print(new String(c.getInputStream().readAllBytes(), "UTF-8"));
  }
}
`;

test("a JRE's HttpsURLConnection trusts the server through the generated cacerts", { skip: noPodman || noJavac }, async () => {
  await writeFile(join(work, "Fetch.java"), JAVA_SOURCE);
  execFileSync("javac", ["--release", "17", "-d", work, join(work, "Fetch.java")], { stdio: "pipe" });
  const out = join(work, "java.tar");
  await buildIn(`import { buildLayeredImage, debian, files } from "cairn";
const pkgs = debian({ suite: "bookworm" });
export default buildLayeredImage({
  name: "trust-java",
  // The JRE alone: its lib/security/cacerts link keeps ca-certificates-java, whose keystore is made from ca-certificates.
  contents: [pkgs("openjdk-17-jre-headless"), files("./ca.crt", "/usr/local/share/ca-certificates/test.crt"), files("./Fetch.class", "/app/Fetch.class")],
  config: { Entrypoint: ["java", "-cp", "/app", "Fetch"] },
});`, ["Fetch.class"], out);
  const { root } = await extractImage(out);
  const jvm = (await readlink(join(root, "etc/alternatives/java"))).replace(/\/bin\/java$/, "");
  assert.equal(await readlink(join(root, jvm, "lib/security/cacerts")), "/etc/ssl/certs/java/cacerts");
  // The host's keytool reads the image's keystore with Debian's password and finds the test CA.
  const list = execFileSync("keytool", ["-list", "-keystore", join(root, "etc/ssl/certs/java/cacerts"), "-storepass", "changeit"], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
  assert.match(list, /Keystore type: JKS/);
  assert.match(list, /^debian:test\.pem, /m);
  assert.ok(Number(/contains (\d+) entries/.exec(list)?.[1]) > 100, "Debian's CAs are there too");

  engine ??= await podman();
  const ref = await engine.load(out);
  const r = await engine.run(["--network", "host", ref, url], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "trusted\n");
  // The check is real: a server whose CA the image does not hold is refused.
  const strict = await engine.run(["--network", "host", ref, untrustedUrl], { timeoutMs: 180_000 });
  assert.notEqual(strict.code, 0);
  assert.match(strict.stderr, /unable to find valid certification path|PKIX path building failed/);
});
