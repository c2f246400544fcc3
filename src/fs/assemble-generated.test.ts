// Generated files against a definition's own (README "Files cairn generates"): which replace
// cairn's with a note, which are refused; and the trust store a local CA ends up in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unpackDeb } from "../debian/deb.js";
import { buildImage, files, text, type ImageOptions } from "../define/index.js";
import { ErrorCode, isCairnError } from "../errors.js";
import type { FileTree } from "./tree.js";
import { javaKeyStore } from "./generated/jks.js";
import { pemCertificates, subjectHash } from "./generated/x509.js";
import { imageLdSoCache } from "../closure/ld-so-cache.js";
import { assemble, userEntries, type UnpackedPackage } from "./assemble.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-generated-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

function makeCert(name: string, subject: string): string {
  const out = path.join(dir, `${name}.crt`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, `${name}.key`), "-out", out, "-days", "1", "-subj", subject], { stdio: "pipe" });
  return fs.readFileSync(out, "utf8");
}

/** A real .deb (dpkg-deb --build) with these files (a value starting "->" is a symlink), unpacked as fetch does. */
async function unpacked(name: string, content: Record<string, string>): Promise<UnpackedPackage> {
  const root = path.join(dir, name);
  const put = (p: string, body: string) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    if (body.startsWith("->")) fs.symlinkSync(body.slice(2), path.join(root, p));
    else fs.writeFileSync(path.join(root, p), body);
  };
  put("DEBIAN/control", `Package: ${name}\nVersion: 1\nArchitecture: all\nMaintainer: T <t@example.org>\nDescription: t\n`);
  for (const [p, body] of Object.entries(content)) put(p, body);
  const deb = path.join(dir, `${name}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, deb], { stdio: "pipe" });
  const manifest = await unpackDeb(deb, path.join(dir, `${name}-unpacked`));
  return { locked: { name, version: "1", architecture: "all", filename: "", sha256: "", size: 0, suite: "", component: "" }, dir: path.join(dir, `${name}-unpacked`), manifest };
}

const packageCa = makeCert("package-ca", "/O=Package/CN=Package Root CA");
const localCa = makeCert("local-ca", "/O=Cairn Tests/CN=Local Test CA");
fs.writeFileSync(path.join(dir, "nsswitch.conf"), "hosts: files\n");
fs.writeFileSync(path.join(dir, "bundle.crt"), localCa);
const caCertificates = await unpacked("ca-certificates", { "usr/share/ca-certificates/test/Package_Root.crt": packageCa, "etc/ssl/certs/.keep": "" });
const jre = await unpacked("jre", { "usr/lib/jvm/jre/lib/security/cacerts": "->/etc/ssl/certs/java/cacerts" });

async function build(options: Omit<ImageOptions, "name">, packages = [caCertificates, jre]): Promise<{ tree: FileTree; notes: string[]; warnings: string[] }> {
  const spec = buildImage({ name: "t", ...options });
  const notes: string[] = [];
  const warnings: string[] = [];
  const distribution = packages.length ? { origin: "Debian", codename: "bookworm", version: "12.11" } : undefined;
  const tree = await assemble(spec, packages, distribution, await userEntries(spec, dir), { report: { info: (m) => notes.push(m), warn: (m) => warnings.push(m) }, ldSoCache: (t) => imageLdSoCache(t, spec.architecture) });
  return { tree, notes, warnings };
}
const bytes = (tree: FileTree, p: string) => {
  const e = tree.get(p);
  if (e?.type !== "file") return undefined;
  return e.content?.kind === "bytes" ? e.content.data : fs.readFileSync((e.content as { path: string }).path);
};
const target = (tree: FileTree, p: string) => tree.get(p)?.linkname;

test("a local CA joins the bundle, gets its .pem and hash links, and Java's cacerts; OpenSSL's paths lead there", async () => {
  const { tree, notes } = await build({ contents: [files("./local-ca.crt", "/usr/local/share/ca-certificates/test.crt")], caBundleLinks: true });
  assert.deepEqual(notes, []);
  assert.equal(bytes(tree, "etc/ssl/certs/ca-certificates.crt")?.toString(), packageCa + localCa, "package CAs first, then local ones");
  assert.equal(target(tree, "etc/ssl/certs/test.pem"), "/usr/local/share/ca-certificates/test.crt");
  const der = pemCertificates(localCa)[0]!;
  assert.equal(target(tree, `etc/ssl/certs/${subjectHash(der)}.0`), "test.pem");
  assert.equal(target(tree, "usr/lib/ssl/cert.pem"), "/etc/ssl/certs/ca-certificates.crt");
  assert.equal(target(tree, "usr/lib/ssl/certs"), "/etc/ssl/certs");
  assert.deepEqual(bytes(tree, "etc/ssl/certs/java/cacerts"), javaKeyStore([{ alias: "debian:package_root.pem", der: pemCertificates(packageCa)[0]! }, { alias: "debian:test.pem", der }]));
  for (const p of ["etc/pki/tls/certs/ca-bundle.crt", "etc/ssl/certs/ca-bundle.crt", "etc/pki/tls/cacert.pem", "etc/ssl/cert.pem"]) assert.equal(target(tree, p), "/etc/ssl/certs/ca-certificates.crt", p);
});

test("no JRE: no cacerts; no ca-certificates: no bundle, a warning for Java, and caBundleLinks says what to add", async () => {
  assert.equal((await build({}, [caCertificates])).tree.has("etc/ssl/certs/java/cacerts"), false);
  const javaOnly = await build({}, [jre]);
  assert.equal(javaOnly.tree.has("etc/ssl/certs/java/cacerts"), false);
  assert.equal(javaOnly.warnings.length, 1);
  assert.match(javaOnly.warnings[0]!, /Java in this image \(jre\) trusts no certificate authority.*Add pkgs\("ca-certificates"\)/);
  assert.deepEqual((await build({ exclude: ["ca-certificates-java"] }, [jre])).warnings, [], "excluding the trust store says Java needs none");
  const none = await build({}, []);
  assert.equal(none.tree.has("etc/ssl/certs/ca-certificates.crt"), false);
  await assert.rejects(build({ caBundleLinks: ["/etc/pki/tls/certs/ca-bundle.crt"] }, []), (e: unknown) => isCairnError(e) && e.code === ErrorCode.DEFINITION_INVALID && /no CA bundle/.test(e.message) && /ca-certificates/.test(e.hint ?? ""));
});

test("the definition's nsswitch.conf, os-release and CA bundle replace cairn's, each with a note", async () => {
  const { tree, notes } = await build({
    contents: [files("./nsswitch.conf", "/etc/nsswitch.conf"), text("/usr/lib/os-release", "ID=mine\n"), files("./bundle.crt", "/etc/ssl/certs/ca-certificates.crt")],
  });
  assert.equal(bytes(tree, "etc/nsswitch.conf")?.toString(), "hosts: files\n");
  assert.equal(bytes(tree, "etc/ssl/certs/ca-certificates.crt")?.toString(), localCa);
  assert.equal(bytes(tree, "usr/lib/os-release")?.toString(), "ID=mine\n");
  assert.equal(target(tree, "etc/os-release"), "../usr/lib/os-release", "the link cairn makes still leads to the definition's file");
  assert.deepEqual(notes.sort(), [
    "cairn: your /etc/nsswitch.conf replaces the one cairn generates",
    "cairn: your /etc/ssl/certs/ca-certificates.crt replaces the one cairn generates",
    "cairn: your /usr/lib/os-release replaces the one cairn generates",
  ]);
  // Java trusts what the bundle in the image holds: the definition's.
  assert.deepEqual(bytes(tree, "etc/ssl/certs/java/cacerts"), javaKeyStore([{ alias: "bundle:0001", der: pemCertificates(localCa)[0]! }]));
});

test("the definition's /etc/passwd or dpkg status is refused, naming the file and what to use instead", async () => {
  for (const [dest, hint] of [["/etc/passwd", /`users: \[/], ["/etc/shadow", /`users: \[/], ["/var/lib/dpkg/status", /`contents`/]] as const) {
    await assert.rejects(build({ contents: [text(dest, "x\n")] }), (e: unknown) => {
      assert.ok(isCairnError(e));
      assert.equal(e.code, ErrorCode.GENERATED_FILE_CLASH);
      assert.match(e.message, new RegExp(`your text\\(\\) puts a file at ${dest}, which cairn generates`));
      assert.match(e.hint ?? "", hint);
      return true;
    });
  }
});

test("users redefine root's shell and set a home mode", async () => {
  const { tree } = await build({ users: [{ name: "root", uid: 0, shell: "/bin/bash" }, { name: "app", uid: 1000, home: "/home/app", homeMode: 0o700 }] }, []);
  assert.match(bytes(tree, "etc/passwd")!.toString(), /^root:x:0:0:root:\/root:\/bin\/bash$/m);
  assert.deepEqual([tree.get("home/app")?.mode, tree.get("home/app")?.uid], [0o700, 1000]);
});
