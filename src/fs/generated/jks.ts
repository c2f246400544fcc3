// A Java KeyStore (JKS) of trusted certificates: what ca-certificates-java's trigger writes to
// /etc/ssl/certs/java/cacerts on Debian (`file` calls it "Java KeyStore"; JDK 17 reads JKS through
// keystore.type.compat even though its default type is PKCS12). The format is the one of
// sun.security.provider.JavaKeyStore; with a fixed date and sorted aliases it is the same bytes
// on every build.
import { createHash } from "node:crypto";

export interface TrustedCert {
  /** Lowercased, as JavaKeyStore stores aliases. */
  alias: string;
  /** DER bytes of the X.509 certificate. */
  der: Buffer;
}

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TRUSTED_CERT_ENTRY = 2;

/** Java's DataOutput.writeUTF: a 16-bit length, then "modified UTF-8" (NUL as C0 80, UTF-16 units one by one). */
function writeUtf(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 1 && c <= 0x7f) bytes.push(c);
    else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (bytes.length > 0xffff) throw new Error("keystore alias too long");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, Buffer.from(bytes)]);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/**
 * The keystore's bytes. Entries are sorted by alias (Java keeps them in a hash table, so any order
 * reads back the same); every entry's date is `dateMs`. The trailing SHA-1 is keyed with the
 * password the way JavaKeyStore does: UTF-16BE password, then "Mighty Aphrodite", then the body.
 */
export function javaKeyStore(certs: TrustedCert[], password = "changeit", dateMs = 0): Buffer {
  const sorted = [...certs].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.alias === sorted[i - 1]!.alias) throw new Error(`duplicate keystore alias ${sorted[i]!.alias}`);
  const date = Buffer.alloc(8);
  date.writeBigUInt64BE(BigInt(dateMs));
  const parts: Buffer[] = [u32(MAGIC), u32(VERSION), u32(sorted.length)];
  for (const c of sorted) parts.push(u32(TRUSTED_CERT_ENTRY), writeUtf(c.alias.toLowerCase()), date, writeUtf("X.509"), u32(c.der.length), c.der);
  const body = Buffer.concat(parts);
  const key = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) key.writeUInt16BE(password.charCodeAt(i), i * 2);
  const digest = createHash("sha1").update(key).update("Mighty Aphrodite", "utf8").update(body).digest();
  return Buffer.concat([body, digest]);
}
