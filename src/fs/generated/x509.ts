// Just enough X.509 for the trust stores: the certificates of a PEM file, and OpenSSL's subject
// name hash, which names the /etc/ssl/certs/<hash>.0 links OpenSSL's capath lookup opens.
import { createHash } from "node:crypto";

const PEM = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END CERTIFICATE-----/g;

/** The DER bytes of every CERTIFICATE block of a PEM text, in order (other blocks are skipped). */
export function pemCertificates(text: Buffer | string): Buffer[] {
  const s = typeof text === "string" ? text : text.toString("latin1");
  return [...s.matchAll(PEM)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")).filter((d) => d.length > 0);
}

interface Tlv {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  value: Buffer;
}

function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error("truncated DER");
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > buf.length) throw new Error("bad DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i]!;
    head += n;
  }
  if (at + head + len > buf.length) throw new Error("truncated DER");
  return { tag, raw: buf.subarray(at, at + head + len), value: buf.subarray(at + head, at + head + len) };
}

function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const t = readTlv(value, at);
    out.push(t);
    at += t.raw.length;
  }
  return out;
}

function encode(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), value]);
}

/** The subject Name of a DER certificate, as its TLV. */
function subjectName(der: Buffer): Tlv {
  const cert = readTlv(der, 0);
  const tbs = children(cert.value)[0];
  if (!tbs || tbs.tag !== 0x30) throw new Error("not a certificate");
  const fields = children(tbs.value);
  // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject || subject.tag !== 0x30) throw new Error("certificate without a subject");
  return subject;
}

// The string types OpenSSL canonicalises (ASN1_MASK_CANON), with the width of their characters.
const STRING_TYPES = new Map<number, "utf8" | 1 | 2 | 4>([[0x0c, "utf8"], [0x13, 1], [0x14, 1], [0x16, 1], [0x1a, 1], [0x1e, 2], [0x1c, 4]]);
const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/** asn1_string_canon: to UTF-8, outer white space dropped, inner runs made one space, ASCII lowercased. */
function canonString(tag: number, value: Buffer): Buffer {
  const width = STRING_TYPES.get(tag)!;
  let text: string;
  if (width === "utf8") text = value.toString("utf8");
  else if (width === 1) text = value.toString("latin1");
  else {
    const codes: number[] = [];
    for (let i = 0; i + width <= value.length; i += width) codes.push(width === 2 ? value.readUInt16BE(i) : value.readUInt32BE(i));
    text = String.fromCodePoint(...codes);
  }
  const bytes = Buffer.from(text, "utf8");
  let from = 0;
  let to = bytes.length;
  while (from < to && isSpace(bytes[from]!)) from++;
  while (to > from && isSpace(bytes[to - 1]!)) to--;
  const out: number[] = [];
  for (let i = from; i < to; ) {
    const b = bytes[i]!;
    if (isSpace(b)) {
      out.push(0x20);
      while (i < to && isSpace(bytes[i]!)) i++;
    } else {
      out.push(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
      i++;
    }
  }
  return Buffer.from(out);
}

/**
 * OpenSSL's X509_NAME_hash (what `openssl x509 -subject_hash` prints and `openssl rehash` names
 * links by): SHA-1 of the canonical name — each RDN's SET re-encoded with its strings
 * canonicalised, the SETs concatenated without the outer SEQUENCE — first four bytes, little-endian.
 */
export function subjectHash(der: Buffer): string {
  const rdns = children(subjectName(der).value).map((rdn) => {
    const atvs = children(rdn.value).map((atv) => {
      const [oid, value] = children(atv.value);
      if (!oid || !value) throw new Error("bad name attribute");
      const canon = STRING_TYPES.has(value.tag) ? encode(0x0c, canonString(value.tag, value.value)) : value.raw;
      return encode(0x30, Buffer.concat([oid.raw, canon]));
    });
    // DER sorts the members of a SET OF by their encodings (it matters for multi-valued RDNs).
    return encode(0x31, Buffer.concat(atvs.sort(Buffer.compare)));
  });
  const digest = createHash("sha1").update(Buffer.concat(rdns)).digest();
  return digest.readUInt32LE(0).toString(16).padStart(8, "0");
}
