// /etc/os-release and /etc/debian_version, which base-files would install: scanners and many
// scripts read them to learn the distribution.
import type { Distribution } from "../../debian/types.js";

export type { Distribution };


export function osRelease(d: Distribution): { osRelease: string; debianVersion?: string } {
  const major = d.version?.split(".")[0];
  const isDebian = d.origin.toLowerCase() === "debian";
  const name = isDebian ? "Debian GNU/Linux" : d.origin;
  const lines = [
    `PRETTY_NAME="${name}${major ? ` ${major}` : ""} (${d.codename})"`,
    `NAME="${name}"`,
    ...(major ? [`VERSION_ID="${major}"`, `VERSION="${major} (${d.codename})"`] : []),
    `VERSION_CODENAME=${d.codename}`,
    `ID=${isDebian ? "debian" : d.origin.toLowerCase().replace(/[^a-z0-9._-]/g, "")}`,
    ...(isDebian ? ['HOME_URL="https://www.debian.org/"', 'SUPPORT_URL="https://www.debian.org/support"', 'BUG_REPORT_URL="https://bugs.debian.org/"'] : []),
  ];
  return { osRelease: lines.join("\n") + "\n", ...(isDebian && d.version ? { debianVersion: d.version + "\n" } : {}) };
}
