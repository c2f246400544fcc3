import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pemCertificates, subjectHash } from "./x509.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-x509-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A self-signed certificate made by openssl with this subject and string mask. */
function makeCert(name: string, subject: string, mask: string, extra: string[] = []): string {
  const cnf = path.join(tmp, `${name}.cnf`);
  fs.writeFileSync(cnf, `[req]\ndistinguished_name = dn\nstring_mask = ${mask}\nprompt = no\n[dn]\n`);
  const out = path.join(tmp, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(tmp, `${name}.key`),
    "-out", out, "-days", "1", "-subj", subject, "-utf8", "-config", cnf, ...extra], { stdio: "pipe" });
  return out;
}

const opensslHash = (file: string) => execFileSync("openssl", ["x509", "-noout", "-subject_hash", "-in", file], { encoding: "utf8" }).trim();

test("subjectHash is openssl's -subject_hash: case, white space, string types, multi-valued RDNs", () => {
  const subjects: [string, string, string, string[]?][] = [
    ["plain", "/CN=Test CA", "utf8only"],
    ["spaces", "/O=  Big   Company \t Ltd  /CN=UPPER lower", "utf8only"],
    ["t61", "/C=DE/O=  Grüße  AG/CN=ÆØÅ Straße  ", "nombstr"],
    ["bmp", "/C=DE/O=  Grüße  AG/CN=ÆØÅ Straße  ", "pkix"],
    ["utf8", "/O=東京 ＡＢＣ/CN=Ünïcode NAME", "utf8only"],
    ["email", "/CN=Mail CA/emailAddress=Admin@Example.COM", "default"],
    ["multi", "/O=Org/OU=Zed   Unit+CN=Alpha+OU=Beta", "default", ["-multivalue-rdn"]],
  ];
  for (const [name, subject, mask, extra] of subjects) {
    const file = makeCert(name, subject, mask, extra);
    assert.equal(subjectHash(pemCertificates(fs.readFileSync(file))[0]!), opensslHash(file), `${name}: ${subject}`);
  }
});

test("pemCertificates reads every CERTIFICATE block, CRLF included, and nothing else", () => {
  const a = fs.readFileSync(makeCert("pa", "/CN=A", "utf8only"), "utf8");
  const b = fs.readFileSync(makeCert("pb", "/CN=B", "utf8only"), "utf8").replace(/\n/g, "\r\n");
  const key = fs.readFileSync(path.join(tmp, "pa.key"), "utf8");
  const certs = pemCertificates(`# comment\n${a}${key}${b}trailing text\n`);
  assert.equal(certs.length, 2);
  const der = (pem: string) => execFileSync("openssl", ["x509", "-outform", "DER"], { input: pem });
  assert.deepEqual(certs[0], der(a));
  assert.deepEqual(certs[1], der(b));
  assert.deepEqual(pemCertificates("no certificates here"), []);
  assert.throws(() => subjectHash(Buffer.from([0x30, 0x03, 0x02, 0x01])), /DER|certificate/);
});
