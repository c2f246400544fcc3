import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../../errors.js";
import { bundleSources, caBundle, pemLinkName, planTrust, type CertFile } from "./ca-bundle.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-trust-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

function makeCert(name: string, subject: string): Buffer {
  const out = path.join(tmp, `${name}.crt`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(tmp, `${name}.key`), "-out", out, "-days", "1", "-subj", subject], { stdio: "pipe" });
  return fs.readFileSync(out);
}

test("bundleSources: the packages' certificates, then the local ones, each in path order", () => {
  assert.deepEqual(
    bundleSources([
      "usr/local/share/ca-certificates/b.crt", "usr/share/ca-certificates/mozilla/B.crt", "etc/ssl/certs/x.crt", "usr/share/ca-certificates/mozilla/A.crt",
      "usr/share/ca-certificates/mozilla/README", "usr/local/share/ca-certificates/corp/a.crt", "usr/local/share/ca-certificates/a.pem", "usr/share/ca-certificates/a.crt",
    ]),
    ["usr/share/ca-certificates/a.crt", "usr/share/ca-certificates/mozilla/A.crt", "usr/share/ca-certificates/mozilla/B.crt", "usr/local/share/ca-certificates/b.crt", "usr/local/share/ca-certificates/corp/a.crt"],
  );
});

test("caBundle concatenates, adding a newline only where one is missing", () => {
  const a = Buffer.from("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n");
  const b = Buffer.from("-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----");
  assert.equal(caBundle([b, a, Buffer.alloc(0)]).toString(), b.toString() + "\n" + a.toString());
  assert.equal(caBundle([]).length, 0);
});

test("pemLinkName renames as update-ca-certificates' sed does", () => {
  assert.equal(pemLinkName("usr/share/ca-certificates/mozilla/Hellenic Academic (2015), ECC.crt"), "Hellenic_Academic_=2015=__ECC.pem");
  assert.equal(pemLinkName("usr/local/share/ca-certificates/corp/test.crt"), "test.pem");
});

test("planTrust's <hash>.N links are the ones `openssl rehash` makes", () => {
  const host = "/usr/share/ca-certificates/mozilla";
  const mozilla: CertFile[] = fs.existsSync(host) ? fs.readdirSync(host).filter((f) => f.endsWith(".crt")).map((f) => ({ path: `usr/share/ca-certificates/mozilla/${f}`, data: fs.readFileSync(path.join(host, f)) })) : [];
  const local: CertFile[] = [
    { path: "usr/local/share/ca-certificates/test.crt", data: makeCert("test", "/CN=Cairn Test CA") },
    // Two CAs with one subject: one hash, numbered .0 and .1.
    { path: "usr/local/share/ca-certificates/same-b.crt", data: makeCert("same-b", "/O=Same/CN=Twin") },
    { path: "usr/local/share/ca-certificates/same-a.crt", data: makeCert("same-a", "/O=Same/CN=Twin") },
    // The same certificate twice: rehash links it once.
    { path: "usr/local/share/ca-certificates/copy.crt", data: fs.readFileSync(path.join(tmp, "test.crt")) },
    // Two certificates in one file: in the bundle, not hashed.
    { path: "usr/local/share/ca-certificates/pair.crt", data: Buffer.concat([makeCert("p1", "/CN=P1"), makeCert("p2", "/CN=P2")]) },
  ];
  const own: CertFile = { path: "etc/ssl/certs/mine.pem", data: makeCert("mine", "/CN=Mine") };
  const sources = [...mozilla, ...local];
  const plan = planTrust(sources, [own]);

  // The same directory made for real: the .pem links to copies of the files, then openssl rehash.
  const root = path.join(tmp, "root");
  const certs = path.join(root, "etc/ssl/certs");
  fs.mkdirSync(certs, { recursive: true });
  for (const s of [...sources, own]) {
    fs.mkdirSync(path.dirname(path.join(root, s.path)), { recursive: true });
    fs.writeFileSync(path.join(root, s.path), s.data);
  }
  for (const l of plan.links.filter((x) => x.path.endsWith(".pem"))) fs.symlinkSync(path.join(root, l.target), path.join(root, l.path));
  execFileSync("openssl", ["rehash", certs], { stdio: "pipe" });
  const made = fs.readdirSync(certs).filter((f) => /^[0-9a-f]{8}\.\d+$/.test(f)).sort().map((f) => ({ path: `etc/ssl/certs/${f}`, target: fs.readlinkSync(path.join(certs, f)) }));
  const ours = plan.links.filter((l) => /\/[0-9a-f]{8}\.\d+$/.test(l.path));
  assert.deepEqual(ours, made);
  assert.ok(ours.some((l) => l.target === "mine.pem"), "a .pem of the definition's own in /etc/ssl/certs is hashed too");
  assert.equal(ours.filter((l) => l.target === "same-a.pem" || l.target === "same-b.pem").length, 2);
  assert.ok(!ours.some((l) => l.target === "pair.pem"));
  assert.equal(ours.filter((l) => l.target === "copy.pem" || l.target === "test.pem").length, 1, "one certificate, one hash link");

  assert.deepEqual(plan.links.find((l) => l.path === "etc/ssl/certs/test.pem"), { path: "etc/ssl/certs/test.pem", target: "/usr/local/share/ca-certificates/test.crt" });
  assert.deepEqual(plan.bundle, caBundle(sources.map((s) => s.data)));
  // Java: one entry per certificate of every file, the pair's second one suffixed.
  const aliases = plan.java.map((j) => j.alias);
  assert.equal(plan.java.length, mozilla.length + 6);
  for (const a of ["debian:test.pem", "debian:copy.pem", "debian:pair.pem", "debian:pair.pem_1"]) assert.ok(aliases.includes(a), a);
});

test("a local CA that is not PEM is refused with how to convert it; a bad package certificate is left out of Java's", () => {
  const pem = makeCert("der", "/CN=Der CA");
  const der = execFileSync("openssl", ["x509", "-outform", "DER"], { input: pem });
  assert.throws(() => planTrust([{ path: "usr/local/share/ca-certificates/corp.crt", data: der }]), (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    assert.match(e.message, /\/usr\/local\/share\/ca-certificates\/corp\.crt is not a PEM certificate/);
    assert.match(e.hint ?? "", /openssl x509 -inform DER/);
    return true;
  });
  const broken = Buffer.from("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  assert.throws(() => planTrust([{ path: "usr/local/share/ca-certificates/bad.crt", data: broken }]), /does not parse/);
  const plan = planTrust([{ path: "usr/share/ca-certificates/x/bad.crt", data: broken }, { path: "usr/share/ca-certificates/x/good.crt", data: pem }]);
  assert.deepEqual(plan.java.map((j) => j.alias), ["debian:good.pem"]);
});
