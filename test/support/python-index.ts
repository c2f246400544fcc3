// A PEP 503 "simple" index on 127.0.0.1 serving wheels and sdists a test makes (PyPI is out of
// reach here), and PEP 427 wheels made in memory at fixed times, so their hashes stay put.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { strToU8, zipSync } from "fflate";

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const b64 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64url");

/** A wheel as PEP 427 lays it out: the modules, METADATA (with Requires-Dist), WHEEL and a RECORD of them. */
export function wheel(name: string, version: string, modules: Record<string, string>, requires: string[] = []): Uint8Array {
  const dist = `${name.replace(/-/g, "_")}-${version}.dist-info`;
  const files: Record<string, Uint8Array> = Object.fromEntries(Object.entries(modules).map(([p, t]) => [p, strToU8(t)]));
  files[`${dist}/METADATA`] = strToU8(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nLicense-Expression: MIT\n${requires.map((r) => `Requires-Dist: ${r}\n`).join("")}`);
  files[`${dist}/WHEEL`] = strToU8("Wheel-Version: 1.0\nGenerator: cairn-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
  const record = Object.entries(files).map(([p, b]) => `${p},sha256=${b64(b)},${b.length}`).join("\n") + `\n${dist}/RECORD,,\n`;
  files[`${dist}/RECORD`] = strToU8(record);
  return zipSync(Object.fromEntries(Object.entries(files).map(([p, b]) => [p, [b, { mtime: new Date(Date.UTC(2020, 0, 1)) }]])));
}

export interface Index {
  /** The index's URL, for PIP_INDEX_URL. */
  url: string;
  /** Every path asked, in order. */
  requests: string[];
  /** File name → bytes; change it to change what the index serves. */
  files: Record<string, Uint8Array>;
  close(): Promise<void>;
}

/** Serves `files` (named as on PyPI: `name-version-….whl`, `name-version.tar.gz`) under /simple/NAME/ with #sha256= links. */
export async function serveIndex(files: Record<string, Uint8Array>): Promise<Index> {
  const requests: string[] = [];
  const project = (file: string) => file.replace(/-\d.*$/, "").toLowerCase().replace(/[-_.]+/g, "-");
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const asked = /^\/simple\/([a-z0-9-]+)\/$/.exec(req.url ?? "")?.[1];
    const file = /^\/files\/(.+)$/.exec(req.url ?? "")?.[1];
    const listed = Object.keys(files).filter((f) => project(f) === asked);
    if (asked && listed.length) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!DOCTYPE html><html><body>${listed.map((f) => `<a href="/files/${f}#sha256=${sha256(files[f]!)}">${f}</a>`).join("\n")}</body></html>`);
    } else if (file && files[file]) {
      res.writeHead(200, { "content-length": files[file]!.length });
      res.end(Buffer.from(files[file]!));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`,
    requests, files,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
