// A tiny real image for registry tests, made without the Debian pipeline: busybox-static as
// /bin/busybox with /bin/sh and /bin/echo linking to it, and a marker file so each image differs.
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { buildConfig } from "../../src/image/config.js";
import { gzip } from "../../src/image/gzip.js";
import { buildManifest, describe as describeBlob, digestOf } from "../../src/image/manifest.js";
import { writeTar, type TarEntry } from "../../src/image/tar.js";
import { MediaType, type DiffId, type Digest, type Image, type Layer } from "../../src/image/types.js";
import { staticBinary } from "./signed-repo.js";
import { layerOf } from "../../src/image/layer.js";

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

export async function busyboxImage(marker: string, architecture = "amd64"): Promise<Image> {
  const bin = await readFile(staticBinary());
  const entry = { uid: 0, gid: 0, mtime: 0 };
  const entries: TarEntry[] = [
    { path: "bin", type: "dir", mode: 0o755, ...entry },
    { path: "bin/busybox", type: "file", mode: 0o755, size: bin.length, content: async function* () { yield bin; }, ...entry },
    { path: "bin/echo", type: "symlink", mode: 0o777, linkname: "busybox", ...entry },
    { path: "bin/sh", type: "symlink", mode: 0o777, linkname: "busybox", ...entry },
    { path: "marker", type: "file", mode: 0o644, size: Buffer.byteLength(marker), content: async function* () { yield Buffer.from(marker); }, ...entry },
  ];
  const tar = await collect(writeTar(entries));
  const gz = await collect(gzip((async function* () { yield tar; })()));
  const layer: Layer = layerOf({
    digest: digestOf(gz), diffId: digestOf(tar) as string as DiffId, size: gz.length, mediaType: MediaType.ociLayerGzip,
    compressed: () => Readable.from([gz]),
  });
  const config = buildConfig({ config: { Cmd: ["/bin/sh"] }, diffIds: [layer.diffId], created: "1970-01-01T00:00:00Z", architecture, os: "linux" });
  const configDesc = describeBlob(MediaType.ociConfig, config);
  const manifest = buildManifest(configDesc, [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }]);
  return { repoTags: [], config, configDigest: configDesc.digest, manifest, manifestDigest: digestOf(manifest) as Digest, layers: [layer] };
}
