// One check every place images live passes: an image written by its sink and read back by its
// source is the same image — config bytes, layers by diffId (and by digest, where the place keeps
// the manifest), a tar that hashes to its diffId, and the files flatten finds in it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { flattenWanting } from "../../src/image/flatten.js";
import type { Image, ImageSource, ImageView, Sink } from "../../src/image/types.js";
import { Store } from "../../src/store/store.js";
import { archiveSource } from "../../src/transports/archive/source.js";
import { archiveSink } from "../../src/transports/archive/sink.js";
import { engineSource } from "../../src/transports/engine/source.js";
import { engineSink } from "../../src/transports/engine/sink.js";
import { ociDirSource } from "../../src/transports/oci-layout/source.js";
import { ociDirSink } from "../../src/transports/oci-layout/sink.js";
import { registrySink, registrySource } from "../../src/transports/registry/source.js";
import { busyboxImage } from "../support/busybox-image.js";
import { available, podmanConfig, removeTree } from "../support/engines.js";
import { registry, type Registry } from "../support/registry.js";
import { command } from "../support/command.js";

interface Place {
  name: string;
  /** Why it cannot run here, with the install command; false when it can. */
  missing: string | false;
  /** Whether the place keeps the manifest as written (so digests and sizes must match too). */
  keepsManifest: boolean;
  open(image: Image, work: string): Promise<{ sink: Sink; source: ImageSource }>;
}

const work = await mkdtemp(join(tmpdir(), "cairn-conformance-"));
let reg: Registry | undefined;
after(async () => {
  await reg?.close();
  await removeTree(work);
});

const hasRegistry = (await command("sh", ["-c", "command -v docker-registry"], { allowFail: true })).code === 0;

const places: Place[] = [
  {
    name: "image tar (docker-archive and OCI layout in one)", missing: false, keepsManifest: true,
    async open(_image, dir) {
      const file = join(dir, "image.tar");
      await mkdir(join(dir, "unpacked"));
      return { sink: archiveSink(file), source: archiveSource(file, join(dir, "unpacked")) };
    },
  },
  {
    name: "OCI layout folder", missing: false, keepsManifest: true,
    async open(_image, dir) {
      const layout = join(dir, "layout");
      return { sink: ociDirSink(layout), source: ociDirSource(layout) };
    },
  },
  {
    name: "registry", missing: !hasRegistry && "docker-registry is not installed (apt-get install docker-registry)", keepsManifest: true,
    async open(_image, dir) {
      reg ??= await registry();
      const ref = `${reg.host}/conformance/busybox:1`;

      return { sink: registrySink(ref, { insecure: true }), source: registrySource(ref, { store: new Store(join(dir, "store")), insecure: true }) };
    },
  },
  {
    name: "engine (podman load / podman save)", missing: !available().podman && "podman is not installed (apt-get install podman runc)", keepsManifest: false,
    async open(image, dir) {
      // podman's own storage for this test alone, through its configuration files.
      const env = { ...process.env, ...(await podmanConfig(dir)) };
      return { sink: engineSink("podman", env, 0), source: engineSource("podman", image.repoTags[0]!, env, dir) };
    },
  },
];

const hex = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

async function hashOf(stream: Readable): Promise<string> {
  const h = createHash("sha256");
  for await (const c of stream) h.update(c as Buffer);
  return `sha256:${h.digest("hex")}`;
}

/** The conformance check: what was read is what was written. */
async function assertSameImage(sent: Image, read: ImageView, keepsManifest: boolean): Promise<void> {
  assert.equal(hex(read.config), hex(sent.config), "the config's bytes are the same");
  assert.deepEqual(read.layers.map((l) => l.diffId), sent.layers.map((l) => l.diffId), "the layers are the same tars, in order");
  for (const l of read.layers) assert.equal(await hashOf(l.uncompressed()), l.diffId, "a layer's tar hashes to its diffId");
  if (keepsManifest) {
    assert.equal(read.manifestDigest, sent.manifestDigest, "the manifest is the one written");
    assert.deepEqual(read.layers.map((l) => [l.digest, l.size]), sent.layers.map((l) => [l.digest, l.size]));
    for (const l of read.layers) assert.equal(await hashOf(l.compressed()), l.digest, "a layer's stored bytes hash to its digest");
  }
  const files = await flattenWanting(read.layers, (p) => p === "marker");
  assert.equal(files.get("marker")?.content?.toString("utf8"), "conformance\n", "flatten finds the marker with its content");
  assert.equal(files.get("bin/sh")?.type, "symlink");
  assert.equal(files.get("bin/sh")?.linkname, "busybox");
}

describe("every image source reads back what its sink wrote", () => {
  for (const place of places) {
    test(place.name, { timeout: 180_000, skip: place.missing }, async () => {
      const image = { ...(await busyboxImage("conformance\n")), repoTags: ["localhost/cairn-conformance:1"] };
      const dir = join(work, place.name.replace(/\W+/g, "-"));
      await mkdir(dir, { recursive: true });
      const { sink, source } = await place.open(image, dir);
      await sink.write(image);
      await assertSameImage(image, await source.read(), place.keepsManifest);
      // Reading again gives the same image (a source is not used up by a read).
      await assertSameImage(image, await source.read(), place.keepsManifest);
    });
  }
});
