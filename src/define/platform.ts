// Platforms: Debian's architecture names and the OCI platforms engines match images by
// (`linux/arm/v7` is armhf). An image for several platforms is the same definition built once per
// architecture: every package set in it, however deep (steps' tools, derivations' inputs), takes
// that architecture; nothing else changes, so files and `Architecture: all` packages give the
// same layers on every platform.
import type { DebianSetSpec, ImageSpec } from "./spec.js";
import { withMarks } from "./call-site.js";

export interface Platform {
  os: "linux";
  architecture: string;
  variant?: string;
}

/** Debian architecture → OCI platform, for the architectures Debian's mirror serves. */
const PLATFORMS: Record<string, Platform> = {
  amd64: { os: "linux", architecture: "amd64" },
  arm64: { os: "linux", architecture: "arm64" },
  armhf: { os: "linux", architecture: "arm", variant: "v7" },
  armel: { os: "linux", architecture: "arm", variant: "v5" },
  i386: { os: "linux", architecture: "386" },
  ppc64el: { os: "linux", architecture: "ppc64le" },
  s390x: { os: "linux", architecture: "s390x" },
  riscv64: { os: "linux", architecture: "riscv64" },
  mips64el: { os: "linux", architecture: "mips64le" },
  mipsel: { os: "linux", architecture: "mipsle" },
};

export function platformOf(debianArch: string): Platform {
  return PLATFORMS[debianArch] ?? { os: "linux", architecture: debianArch };
}

/** "linux/arm/v7" */
export function platformName(debianArch: string): string {
  const p = platformOf(debianArch);
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/**
 * The Debian architecture an OCI platform names (`linux/arm64`, `linux/arm64/v8`, `linux/arm/v7`,
 * or a Debian name itself, `arm64`), or an error text listing what is known.
 */
export function debianArchitecture(text: string): string | { error: string } {
  const t = text.trim();
  if (PLATFORMS[t]) return t;
  const [os, arch, variant, ...rest] = t.split("/");
  const known = Object.keys(PLATFORMS).map(platformName).join(", ");
  if (os !== "linux" || !arch || rest.length) return { error: `${JSON.stringify(text)} is not a platform cairn builds for; it takes ${known} (or a Debian architecture name)` };
  const hits = Object.entries(PLATFORMS).filter(([, p]) => p.architecture === arch && (variant === undefined ? true : p.variant === variant || (arch === "arm64" && variant === "v8")));
  // linux/arm alone means v7 (armhf), as engines read it.
  const pick = hits.length > 1 ? hits.find(([, p]) => p.variant === "v7") : hits[0];
  if (!pick) return { error: `${JSON.stringify(text)} is not a platform cairn builds for; it takes ${known}` };
  return pick[0];
}

/** The Debian architectures an image is built for: its `platforms`, else its packages' one architecture. */
export function architecturesOf(spec: ImageSpec): string[] {
  return spec.platforms?.length ? spec.platforms : [spec.architecture];
}

/**
 * The image as built for one architecture: every package set it uses takes `arch`, and it names
 * no other platform. The definition's marks (its lines, for errors) stay on what is rewritten.
 */
export function forArchitecture(spec: ImageSpec, arch: string, host: string = hostArchitecture()): ImageSpec {
  // By architecture, then object: a derivation used natively and by a cross build is mapped twice.
  const seen = new Map<string, Map<object, unknown>>();
  const map = <T>(v: T, a: string): T => {
    if (v === null || typeof v !== "object") return v;
    const memo = seen.get(a) ?? seen.set(a, new Map()).get(a)!;
    const hit = memo.get(v as object);
    if (hit !== undefined) return hit as T;
    let out: unknown;
    if (Array.isArray(v)) out = v.map((x) => map(x, a));
    else if ((v as { kind?: string }).kind === "debian-set") out = withMarks(v as object, { ...(v as unknown as DebianSetSpec), architecture: a });
    else {
      // A cross-compiling derivation runs on the building machine: its own inputs take the host's architecture.
      const cross = (v as { kind?: string; crossCompiles?: boolean }).kind === "derivation" && (v as { crossCompiles?: boolean }).crossCompiles === true;
      const copy: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (k !== "platforms") copy[k] = map(x, cross && k === "inputs" ? host : a);
      if (cross) copy["target"] = a;
      out = withMarks(v as object, copy);
    }
    memo.set(v as object, out);
    return out as T;
  };
  return { ...map(spec, arch), architecture: arch } as ImageSpec;
}

/** Whether any derivation in the image cross-compiles (and so must be told its target). */
export function crossCompiles(spec: ImageSpec): boolean {
  const walk = (v: unknown): boolean =>
    !!v && typeof v === "object" && (((v as { crossCompiles?: boolean }).crossCompiles === true) || Object.values(v as object).some(walk));
  return walk(spec.contents) || walk(spec.fromImage);
}

/** The Debian architecture of the CPU cairn runs on (node's process.arch). */
export function hostArchitecture(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "armhf", ia32: "i386", ppc64: "ppc64el", s390x: "s390x", riscv64: "riscv64" };
  return map[arch] ?? arch;
}

/** Debian's GNU triplets (DEB_HOST_GNU_TYPE), for cross compilers (`aarch64-linux-gnu-gcc`). */
const GNU_TYPES: Record<string, string> = {
  amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", armhf: "arm-linux-gnueabihf", armel: "arm-linux-gnueabi",
  i386: "i686-linux-gnu", ppc64el: "powerpc64le-linux-gnu", s390x: "s390x-linux-gnu", riscv64: "riscv64-linux-gnu",
  mips64el: "mips64el-linux-gnuabi64",
};

/** What a cross-compiling build is told of its target: Go's names, and Debian's. */
export function crossEnvironment(target: string): Record<string, string> {
  const p = platformOf(target);
  return {
    CAIRN_TARGET_ARCH: target, DEB_HOST_ARCH: target, DEB_HOST_GNU_TYPE: GNU_TYPES[target] ?? `${target}-linux-gnu`,
    GOOS: "linux", GOARCH: p.architecture, ...(p.variant && p.architecture === "arm" ? { GOARM: p.variant.slice(1) } : {}),
  };
}
