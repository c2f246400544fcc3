// What update-ca-certificates (ca-certificates' postinst) and ca-certificates-java's trigger would
// have left in /etc/ssl/certs: the bundle ca-certificates.crt, a <name>.pem link per certificate,
// the <hash>.N links `openssl rehash` makes for OpenSSL's capath lookup, and Java's cacerts.
import { createHash, X509Certificate } from "node:crypto";
import { CairnError, ErrorCode } from "../../errors.js";
import { javaKeyStore, type TrustedCert } from "./jks.js";
import { pemCertificates, subjectHash } from "./x509.js";

export const BUNDLE_PATH = "etc/ssl/certs/ca-certificates.crt";
export const JAVA_CACERTS_PATH = "etc/ssl/certs/java/cacerts";
/** The password every Debian JRE and tool expects cacerts to have. */
export const JAVA_CACERTS_PASSWORD = "changeit";

const SHARE = "usr/share/ca-certificates/";
const LOCAL = "usr/local/share/ca-certificates/";

/**
 * Paths (image paths, no leading "/") of the certificates the bundle is made from, in its order:
 * the packages' under /usr/share/ca-certificates, then the local ones a definition puts under
 * /usr/local/share/ca-certificates (any depth), each group in path order, as the script does.
 */
export function bundleSources(paths: Iterable<string>): string[] {
  const all = [...paths].filter((p) => p.endsWith(".crt"));
  return [...all.filter((p) => p.startsWith(SHARE)).sort(), ...all.filter((p) => p.startsWith(LOCAL)).sort()];
}

export function caBundle(certs: Buffer[]): Buffer {
  return Buffer.concat(certs.map((c) => (c.length && c[c.length - 1] !== 0x0a ? Buffer.concat([c, Buffer.from("\n")]) : c)));
}

/** update-ca-certificates' name for a certificate's link in /etc/ssl/certs. */
export function pemLinkName(certPath: string): string {
  const base = certPath.slice(certPath.lastIndexOf("/") + 1).replace(/\.crt$/, "");
  return `${base.replace(/ /g, "_").replace(/[()]/g, "=").replace(/,/g, "_")}.pem`;
}

export interface CertFile {
  /** Image path, no leading "/". */
  path: string;
  data: Buffer;
}

export interface TrustLink {
  path: string;
  target: string;
}

export interface TrustPlan {
  bundle: Buffer;
  /** /etc/ssl/certs/<name>.pem → the certificate, and <hash>.N → <name>.pem. */
  links: TrustLink[];
  /** The certificates for Java's cacerts, aliased "debian:<name>.pem" as ca-certificates-java does. */
  java: TrustedCert[];
}

/**
 * The trust store for `sources` (as bundleSources orders them). `inCertsDir` are other files
 * already in /etc/ssl/certs (a definition's own .pem there), which `openssl rehash` hashes too.
 */
export function planTrust(sources: CertFile[], inCertsDir: CertFile[] = []): TrustPlan {
  for (const s of sources) if (s.path.startsWith(LOCAL)) checkLocal(s);
  // A later certificate with the same link name takes the link over (`ln -sf`); the bundle keeps both.
  const byLink = new Map<string, CertFile>();
  for (const s of sources) byLink.set(pemLinkName(s.path), s);
  const links: TrustLink[] = [...byLink].map(([name, s]) => ({ path: `etc/ssl/certs/${name}`, target: `/${s.path}` }));

  // openssl rehash: files ending .pem/.crt/.cer holding exactly one certificate, each distinct
  // certificate once, numbered by name order within a hash.
  const hashed = new Map<string, Buffer[]>([...byLink].map(([name, s]) => [name, pemCertificates(s.data)]));
  for (const f of inCertsDir) {
    const name = f.path.slice(f.path.lastIndexOf("/") + 1);
    if (/\.(pem|crt|cer)$/.test(name) && !hashed.has(name)) hashed.set(name, pemCertificates(f.data));
  }
  const seen = new Set<string>();
  const perHash = new Map<string, number>();
  for (const name of [...hashed.keys()].sort()) {
    const certs = hashed.get(name)!;
    if (certs.length !== 1) continue;
    const fingerprint = createHash("sha256").update(certs[0]!).digest("hex");
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    let hash: string;
    try {
      hash = subjectHash(certs[0]!);
    } catch {
      continue; // not a certificate OpenSSL could read either; rehash skips it too
    }
    const n = perHash.get(hash) ?? 0;
    perHash.set(hash, n + 1);
    links.push({ path: `etc/ssl/certs/${hash}.${n}`, target: name });
  }

  const java: TrustedCert[] = [];
  for (const [name, s] of byLink) {
    // One unreadable certificate would make Java refuse the whole keystore.
    pemCertificates(s.data).filter(parses).forEach((der, i) => java.push({ alias: `debian:${name}${i ? `_${i}` : ""}`.toLowerCase(), der }));
  }
  return { bundle: caBundle(sources.map((s) => s.data)), links: links.sort((a, b) => (a.path < b.path ? -1 : 1)), java: dedupeAliases(java) };
}

/** Java's cacerts from a bundle alone (when the definition gives its own bundle): one entry per certificate. */
export function javaTrustFromBundle(bundle: Buffer): TrustedCert[] {
  return pemCertificates(bundle).filter(parses).map((der, i) => ({ alias: `bundle:${String(i + 1).padStart(4, "0")}`, der }));
}

export function cacerts(certs: TrustedCert[]): Buffer {
  return javaKeyStore(certs, JAVA_CACERTS_PASSWORD, 0);
}

function parses(der: Buffer): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

/** A CA of the definition's must be PEM (update-ca-certificates would paste anything else into the bundle as is). */
function checkLocal(s: CertFile): void {
  const certs = pemCertificates(s.data);
  if (!certs.length || !certs.every(parses)) {
    throw new CairnError(
      ErrorCode.DEFINITION_INVALID,
      `/${s.path} is not a PEM certificate: ${certs.length ? "a -----BEGIN CERTIFICATE----- block in it does not parse" : "it has no -----BEGIN CERTIFICATE----- block"}.`,
      "Certificates under /usr/local/share/ca-certificates must be PEM; convert a DER one with `openssl x509 -inform DER -in ca.der -out ca.crt`.",
    );
  }
}

/** Aliases differing only in case collide once lowercased; keep the first. */
function dedupeAliases(certs: TrustedCert[]): TrustedCert[] {
  const seen = new Set<string>();
  return certs.filter((c) => !seen.has(c.alias) && seen.add(c.alias));
}
