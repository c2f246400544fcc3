// Debian's busybox ships only the binary; Nix's (which seed 001 uses) also has a link per applet,
// so `Cmd = ["sh"]` works. The applet names sit in the binary as one sorted, NUL-separated list
// that starts "[\0[[\0" — read them from there rather than running a binary of the image's arch.

export const BUSYBOX_PATH = "usr/bin/busybox";

export function busyboxApplets(binary: Buffer): string[] {
  const start = binary.indexOf(Buffer.from("[\0[[\0", "latin1"));
  if (start < 0) return [];
  const end = binary.indexOf(Buffer.from("\0\0", "latin1"), start);
  const names = binary.subarray(start, end < 0 ? undefined : end).toString("latin1").split("\0");
  return names.filter((n) => n && n !== "busybox" && /^[\x21-\x7e]+$/.test(n) && !n.includes("/"));
}
