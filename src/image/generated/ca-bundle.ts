// /etc/ssl/certs/ca-certificates.crt, which update-ca-certificates writes in ca-certificates'
// postinst: every certificate under /usr/share/ca-certificates, in path order, concatenated.

/** Paths (image paths, no leading "/") of the certificates the bundle is made from. */
export function bundleSources(paths: Iterable<string>): string[] {
  return [...paths].filter((p) => p.startsWith("usr/share/ca-certificates/") && p.endsWith(".crt")).sort();
}

export function caBundle(certs: Buffer[]): Buffer {
  return Buffer.concat(certs.map((c) => (c.length && c[c.length - 1] !== 0x0a ? Buffer.concat([c, Buffer.from("\n")]) : c)));
}
