// OCI whiteouts, read the one way every reader of layers needs: `.wh.NAME` removes NAME (and what
// is under it) from the layers below; `.wh..wh..opq` empties its directory.

export interface Whiteout {
  /** The path removed, or the directory emptied. */
  target: string;
  opaque: boolean;
}

export function whiteoutOf(p: string): Whiteout | undefined {
  const slash = p.lastIndexOf("/");
  const name = p.slice(slash + 1);
  if (!name.startsWith(".wh.")) return undefined;
  const dir = slash < 0 ? "" : p.slice(0, slash);
  if (name === ".wh..wh..opq") return { target: dir, opaque: true };
  return { target: dir ? `${dir}/${name.slice(4)}` : name.slice(4), opaque: false };
}

/** The whiteout entry that removes `p`. */
export function whiteoutPath(p: string): string {
  const slash = p.lastIndexOf("/");
  return `${p.slice(0, slash + 1)}.wh.${p.slice(slash + 1)}`;
}

/** Applies `p` to a map of paths if it is a whiteout; returns whether it was one. */
export function applyWhiteout(paths: Map<string, unknown>, p: string): boolean {
  const w = whiteoutOf(p);
  if (!w) return false;
  const under = w.target ? `${w.target}/` : "";
  for (const k of [...paths.keys()]) if (k.startsWith(under) || (!w.opaque && k === w.target)) paths.delete(k);
  return true;
}
