// Path lookups over the files of many packages, the way the kernel and ld.so would see them in
// the finished image: symlinks followed (the /usr-merge links too), and for every lookup, which
// packages own the links and the file it went through — that is what "referencing" a package means.

export interface IndexedEntry {
  type: "file" | "dir" | "symlink" | "hardlink";
  linkname?: string;
  /** Package that ships the entry; "" for cairn's own links. */
  owner: string;
}

export interface Lookup {
  /** The final path, symlinks resolved. */
  path: string;
  type: "file" | "dir";
  /** Owners of every symlink passed and of the final entry. */
  owners: string[];
}

const MAX_HOPS = 40;

export class PathIndex {
  private readonly entries = new Map<string, IndexedEntry>();
  private linksByOwner?: Map<string, string[]>;

  private readonly fallbacks = new Set<string>();

  /** An entry any package's own entry at the path replaces (busybox's applet links, made only where nothing else is). */
  addFallback(p: string, e: IndexedEntry): void {
    if (this.entries.has(p)) return;
    this.add(p, e);
    this.fallbacks.add(p);
  }

  add(p: string, e: IndexedEntry): void {
    // Parents exist implicitly, as in the image (packages do not always list them).
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) {
      const dir = p.slice(0, i);
      if (!this.entries.has(dir)) this.entries.set(dir, { type: "dir", owner: "" });
    }
    const old = this.entries.get(p);
    // The first owner stays (packages are added in name order); dirs never replace files.
    if (!old || (old.type === "dir" && e.type !== "dir") || (e.type !== "dir" && this.fallbacks.delete(p))) this.entries.set(p, e);
    this.linksByOwner = undefined;
  }

  get(p: string): IndexedEntry | undefined {
    return this.entries.get(p.replace(/^\/+/, ""));
  }

  /** Resolve an absolute image path, following symlinks; undefined when it leads nowhere. */
  lookup(p: string): Lookup | undefined {
    const owners: string[] = [];
    let parts = p.split("/").filter((x) => x && x !== ".");
    let cur: string[] = [];
    for (let hops = 0; hops <= MAX_HOPS; ) {
      let i = 0;
      let restarted = false;
      for (; i < parts.length; i++) {
        const part = parts[i]!;
        if (part === "..") {
          cur.pop();
          continue;
        }
        const next = [...cur, part].join("/");
        const e = this.entries.get(next);
        if (!e) return undefined;
        if (e.type === "symlink") {
          if (e.owner) owners.push(e.owner);
          const target = e.linkname!;
          const base = target.startsWith("/") ? [] : cur;
          parts = [...base, ...target.split("/").filter((x) => x && x !== "."), ...parts.slice(i + 1)];
          cur = [];
          hops++;
          restarted = true;
          break;
        }
        if (e.type === "hardlink") {
          parts = [...e.linkname!.split("/"), ...parts.slice(i + 1)];
          cur = [];
          hops++;
          restarted = true;
          break;
        }
        if (e.type === "file" && i < parts.length - 1) return undefined;
        cur.push(part);
      }
      if (restarted) continue;
      const final = cur.join("/");
      const e = this.entries.get(final);
      if (!e) return final === "" ? { path: "/", type: "dir", owners: [...new Set(owners)] } : undefined;
      if (e.owner) owners.push(e.owner);
      return { path: "/" + final, type: e.type === "dir" ? "dir" : "file", owners: [...new Set(owners)] };
    }
    return undefined;
  }

  /** Paths of the symlinks a package ships, sorted. */
  symlinksOwnedBy(owner: string): string[] {
    if (!this.linksByOwner) {
      this.linksByOwner = new Map();
      for (const [p, e] of this.entries) {
        if (e.type !== "symlink" || !e.owner) continue;
        if (!this.linksByOwner.has(e.owner)) this.linksByOwner.set(e.owner, []);
        this.linksByOwner.get(e.owner)!.push(p);
      }
      for (const l of this.linksByOwner.values()) l.sort();
    }
    return this.linksByOwner.get(owner) ?? [];
  }
}
