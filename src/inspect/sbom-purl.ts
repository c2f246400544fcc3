// Package URLs (purl-spec): `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12` for
// packages, `pkg:oci/redis@sha256:…?tag=7` for the image. Percent-encoding per the spec's
// "Character encoding": letters, digits and ".-_~" stay, and so does ":" anywhere; every other
// octet of the UTF-8 form becomes %XX (so a Debian version's "+" is "%2B").

/** Percent-encodes one purl component (a namespace segment, name, version or qualifier value). */
export function purlEncode(component: string): string {
  let out = "";
  for (const byte of Buffer.from(component, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9.\-_~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

/** The canonical string: type lowercased, qualifiers with empty values dropped and sorted by key. */
export function formatPurl(p: Purl): string {
  const ns = p.namespace ? `${p.namespace.split("/").filter(Boolean).map(purlEncode).join("/")}/` : "";
  const version = p.version ? `@${purlEncode(p.version)}` : "";
  const qualifiers = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => !!e[1])
    .map(([k, v]) => `${k.toLowerCase()}=${purlEncode(v)}`)
    .sort();
  return `pkg:${p.type.toLowerCase()}/${ns}${purlEncode(p.name)}${version}${qualifiers.length ? `?${qualifiers.join("&")}` : ""}`;
}

/** The distro qualifier: os-release's `ID-VERSION_ID` ("debian-12"), or the codename when there is no number (testing). */
export function distroQualifier(os: Record<string, string>): string | undefined {
  const id = (os["ID"] ?? "").toLowerCase();
  const version = os["VERSION_ID"] ?? os["VERSION_CODENAME"];
  return id && version ? `${id}-${version}` : undefined;
}

/** A Debian binary package (purl type deb: namespace = the distro's ID, names lowercased). */
export function debPurl(p: { vendor: string; name: string; version: string; architecture: string; distro?: string }): string {
  return formatPurl({
    type: "deb", namespace: p.vendor.toLowerCase(), name: p.name.toLowerCase(), version: p.version,
    qualifiers: { arch: p.architecture, distro: p.distro },
  });
}

/** An image by manifest digest (purl type oci: the last path segment of the repository as name). */
export function ociPurl(p: { repository: string; digest: string; tag?: string }): string {
  const segments = p.repository.split("/");
  const name = segments[segments.length - 1]!.toLowerCase();
  // A repository on a registry (has a host part) is named in repository_url.
  const onRegistry = segments.length > 1 && /[.:]|^localhost$/.test(segments[0]!);
  return formatPurl({
    type: "oci", name, version: p.digest,
    qualifiers: { tag: p.tag, repository_url: onRegistry ? p.repository : undefined },
  });
}

/** `pkg:npm/%40scope/name@1.0.0`: a scope is the namespace. */
export function npmPurl(name: string, version: string): string {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(name);
  return formatPurl({ type: "npm", ...(scoped ? { namespace: scoped[1]!, name: scoped[2]! } : { name }), version });
}

/** `pkg:pypi/django-crispy-forms@2.1`: the name lowercased, runs of `_`, `-` and `.` as one `-` (PEP 503, as purl-spec says). */
export function pypiPurl(name: string, version: string): string {
  return formatPurl({ type: "pypi", name: name.toLowerCase().replace(/[-_.]+/g, "-"), version });
}
