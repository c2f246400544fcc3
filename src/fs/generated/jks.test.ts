import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleSources, cacerts, planTrust } from "./ca-bundle.js";
import { javaKeyStore } from "./jks.js";
import { pemCertificates } from "./x509.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-jks-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const haveKeytool = spawnSync("keytool", ["-help"]).status === 0;

function derCert(name: string, subject: string): Buffer {
  const out = path.join(tmp, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(tmp, `${name}.key`), "-out", out, "-days", "1", "-subj", subject], { stdio: "pipe" });
  return pemCertificates(fs.readFileSync(out))[0]!;
}

/** keytool's view of a keystore: alias → SHA-256 fingerprint (lowercase hex, no colons). */
function keytoolList(file: string, storepass = "changeit"): Map<string, string> {
  const out = execFileSync("keytool", ["-list", "-keystore", file, "-storepass", storepass], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
  assert.match(out, /Keystore type: JKS/);
  const entries = new Map<string, string>();
  // "alias, Jan 1, 1970, trustedCertEntry," then the fingerprint line.
  for (const m of out.matchAll(/^(.+), [A-Z][a-z]{2} \d{1,2}, \d{4}, trustedCertEntry,\s*\nCertificate fingerprint \(SHA-256\): ([0-9A-F:]+)$/gm)) entries.set(m[1]!, m[2]!.replace(/:/g, "").toLowerCase());
  return entries;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

test("javaKeyStore: the same bytes whatever the input order, and keytool reads every entry", { skip: !haveKeytool && "no keytool on this host" }, () => {
  const a = { alias: "debian:Test-A.pem", der: derCert("a", "/CN=A") };
  const b = { alias: "debian:b.pem", der: derCert("b", "/CN=B") };
  const ks = javaKeyStore([a, b]);
  assert.deepEqual(javaKeyStore([b, a]), ks);
  const file = path.join(tmp, "cacerts");
  fs.writeFileSync(file, ks);
  assert.deepEqual(keytoolList(file), new Map([["debian:b.pem", sha256(b.der)], ["debian:test-a.pem", sha256(a.der)]]));
  // The keyed digest is checked: another password is refused (so the one we wrote is "changeit").
  const wrong = spawnSync("keytool", ["-list", "-keystore", file, "-storepass", "secret"], { encoding: "utf8" });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout + wrong.stderr, /tampered|password was incorrect/);
  assert.throws(() => javaKeyStore([a, { ...a, der: b.der }]), /duplicate keystore alias/);
});

test("cacerts from the host's CAs names each certificate as ca-certificates-java named it on this machine", {
  skip: (!haveKeytool || !fs.existsSync("/etc/ssl/certs/java/cacerts") || !fs.existsSync("/usr/share/ca-certificates/mozilla")) && "no ca-certificates-java keystore on this host",
}, (t) => {
  const roots = ["/usr/share/ca-certificates", "/usr/local/share/ca-certificates"];
  const files: string[] = [];
  const walk = (d: string) => fs.existsSync(d) && fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name).slice(1))));
  roots.forEach(walk);
  // Only what /etc/ca-certificates.conf enables, as update-ca-certificates reads it.
  const conf = fs.readFileSync("/etc/ca-certificates.conf", "utf8").split("\n").filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
  const enabled = new Set(conf.map((l) => `usr/share/ca-certificates/${l}`));
  const sources = bundleSources(files).filter((p) => !p.startsWith("usr/share/") || enabled.has(p)).map((p) => ({ path: p, data: fs.readFileSync("/" + p) }));
  const file = path.join(tmp, "host-cacerts");
  fs.writeFileSync(file, cacerts(planTrust(sources).java));
  const ours = keytoolList(file);
  assert.equal(ours.size, planTrust(sources).java.length);
  // The host's keystore lags its CA files (ca-certificates-java never renames an entry whose
  // file was renamed since), so compare the names of the certificates both hold, allowing a few.
  const hostAlias = new Map([...keytoolList("/etc/ssl/certs/java/cacerts")].map(([alias, fp]) => [fp, alias]));
  const common = [...ours].filter(([, fp]) => hostAlias.has(fp));
  const renamed = common.filter(([alias, fp]) => alias !== hostAlias.get(fp));
  t.diagnostic(`${common.length} certificates in common; named otherwise on this host: ${renamed.map(([a, fp]) => `${a} (host: ${hostAlias.get(fp)})`).join(", ") || "none"}`);
  assert.ok(common.length > 100, `only ${common.length} certificates in common with the host's keystore`);
  assert.ok(renamed.length <= 3, "the aliases follow ca-certificates-java's naming");
});
