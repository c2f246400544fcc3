// The dpkg database as dpkg would have written it: /var/lib/dpkg/status plus info/<pkg>.list and
// info/<pkg>.md5sums, so `dpkg-query --admindir` and image scanners see every package.
import { formatParagraph, parseParagraphs } from "../../debian/control.js";

export interface InstalledPackage {
  /** The raw control file from the .deb. */
  control: string;
  md5sums?: string;
  /** Paths as the package ships them (before the /usr merge), without leading "/". */
  paths: string[];
}

export interface DpkgDatabase {
  status: string;
  /** info/<file> → content: the .list and .md5sums files, and dpkg's `format` marker. */
  info: Map<string, string>;
}

export function dpkgDatabase(packages: InstalledPackage[]): DpkgDatabase {
  const records = packages.map((p) => {
    const fields = parseParagraphs(p.control)[0] ?? {};
    const name = fields["Package"]!;
    const arch = fields["Architecture"] ?? "all";
    // dpkg names info files with the architecture for Multi-Arch: same packages.
    const infoName = fields["Multi-Arch"] === "same" ? `${name}:${arch}` : name;
    return { p, fields, name, infoName };
  });
  records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const status = records
    .map(({ fields }) => {
      const withStatus: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) {
        withStatus[k] = v;
        if (k === "Package") withStatus["Status"] = "install ok installed";
      }
      return formatParagraph(withStatus);
    })
    .join("\n");

  const info = new Map<string, string>();
  // Database format 1 (multiarch): without it dpkg reads info files by bare name and misses the
  // `name:arch.list` of Multi-Arch: same packages.
  info.set("format", "1\n");
  for (const { p, infoName } of records) {
    info.set(`${infoName}.list`, ["/.", ...p.paths.map((x) => `/${x}`)].join("\n") + "\n");
    if (p.md5sums) info.set(`${infoName}.md5sums`, p.md5sums.endsWith("\n") ? p.md5sums : p.md5sums + "\n");
  }
  return { status, info };
}
