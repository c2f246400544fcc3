// The archive is checked with the tools that will read it: tar, skopeo (both transports) and a real
// `podman load` + `podman run`. Layers are made with the host's tar and gzip, digests computed here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { buildConfig, defaultEnv } from "../../image/config.js";
import { buildManifest, digestOf } from "../../image/manifest.js";
import { MediaType, type DiffId, type Digest, type Image, type Layer } from "../../image/types.js";
import { archiveEntries, archiveSink, writeArchive } from "./sink.js";
import { layerOf } from "../../image/layer.js";

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "cairn-archive-"));
});
after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A layer from a map of files, made by the host's GNU tar and gzip. */
function hostLayer(name: string, files: Record<string, string | { copyFrom: string; mode: number }>): Layer {
  const root = join(work, `${name}-root`);
  for (const [p, spec] of Object.entries(files)) {
    const dest = join(root, p);
    mkdirSync(join(dest, ".."), { recursive: true });
    if (typeof spec === "string") writeFileSync(dest, spec);
    else {
      copyFileSync(spec.copyFrom, dest);
      execFileSync("chmod", [spec.mode.toString(8), dest]);
    }
  }
  const tarPath = join(work, `${name}.tar`);
  execFileSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", root, "-cf", tarPath, "."]);
  execFileSync("gzip", ["-n", "-k", tarPath]);
  const gz = readFileSync(`${tarPath}.gz`);
  return layerOf({
    digest: `sha256:${sha(gz)}` as Digest,
    diffId: `sha256:${sha(readFileSync(tarPath))}` as DiffId,
    size: gz.length,
    mediaType: MediaType.ociLayerGzip,
    compressed: () => createReadStream(`${tarPath}.gz`),
  });
}

function makeImage(layers: Layer[], repoTags: string[]): Image {
  const config = buildConfig({
    config: { Env: defaultEnv(undefined), Cmd: ["/bin/busybox", "echo", "hi"] },
    diffIds: layers.map((l) => l.diffId),
    created: "1970-01-01T00:00:00Z",
    architecture: "amd64",
    os: "linux",
  });
  const configDesc = { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length };
  const manifest = buildManifest(configDesc, layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })));
  return { repoTags, config, configDigest: configDesc.digest, manifest, manifestDigest: digestOf(manifest), layers };
}

let busyboxLayer: Layer;
let helloLayer: Layer;
let image: Image;
let archive: string;
before(async () => {
  busyboxLayer = hostLayer("busybox", { "bin/busybox": { copyFrom: "/bin/busybox", mode: 0o755 } });
  helloLayer = hostLayer("hello", { hello: "hello from cairn\n" });
  // The hello layer twice: a legal image whose blob must be written once.
  image = makeImage([busyboxLayer, helloLayer, helloLayer], ["cairn-test/archive:v1"]);
  archive = join(work, "image.tar");
  await archiveSink(archive).write(image);
});

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test("layout: sorted, unique entries; docker manifest.json and OCI index.json agree", () => {
  const names = run("tar", ["-tf", archive]).trim().split("\n");
  const hex = (d: string) => d.slice(7);
  assert.deepEqual(names, [
    "blobs/",
    "blobs/sha256/",
    ...[image.configDigest, image.manifestDigest, busyboxLayer.digest, helloLayer.digest].map((d) => `blobs/sha256/${hex(d)}`).sort(),
    "index.json",
    "manifest.json",
    "oci-layout",
  ]);
  const x = join(work, "extracted");
  mkdirSync(x);
  run("tar", ["-xf", archive, "-C", x]);
  assert.equal(readFileSync(join(x, "oci-layout"), "utf8"), '{"imageLayoutVersion":"1.0.0"}');
  assert.deepEqual(JSON.parse(readFileSync(join(x, "manifest.json"), "utf8")), [{
    Config: `blobs/sha256/${hex(image.configDigest)}`,
    RepoTags: ["cairn-test/archive:v1"],
    Layers: [busyboxLayer, helloLayer, helloLayer].map((l) => `blobs/sha256/${hex(l.digest)}`),
  }]);
  const index = JSON.parse(readFileSync(join(x, "index.json"), "utf8"));
  assert.deepEqual(index.manifests, [{
    mediaType: MediaType.ociManifest,
    digest: image.manifestDigest,
    size: image.manifest.length,
    annotations: { "io.containerd.image.name": "docker.io/cairn-test/archive:v1", "org.opencontainers.image.ref.name": "v1" },
  }]);
  // Every blob's name is its content's digest.
  for (const f of readdirSync(join(x, "blobs/sha256"))) assert.equal(sha(readFileSync(join(x, "blobs/sha256", f))), f);
});

test("skopeo reads it as an OCI archive and as a docker archive", () => {
  const oci = JSON.parse(run("skopeo", ["inspect", `oci-archive:${archive}`]));
  assert.equal(oci.Digest, image.manifestDigest);
  assert.deepEqual(oci.Layers, [busyboxLayer.digest, helloLayer.digest, helloLayer.digest]);
  const docker = JSON.parse(run("skopeo", ["inspect", "--config", `docker-archive:${archive}`]));
  assert.deepEqual(docker.rootfs.diff_ids, [busyboxLayer.diffId, helloLayer.diffId, helloLayer.diffId]);
  assert.deepEqual(docker.config.Cmd, ["/bin/busybox", "echo", "hi"]);
  const raw = run("skopeo", ["inspect", "--raw", "--config", `docker-archive:${archive}`]);
  assert.equal(raw, image.config.toString());
});

test("skopeo copies it to an OCI directory with the same layers", () => {
  const dir = join(work, "copied-oci");
  run("skopeo", ["copy", `docker-archive:${archive}`, `oci:${dir}:copied`]);
  const config = JSON.parse(run("skopeo", ["inspect", "--config", `oci:${dir}:copied`]));
  assert.deepEqual(config.rootfs.diff_ids, [busyboxLayer.diffId, helloLayer.diffId, helloLayer.diffId]);
  // The same image through the OCI side keeps its manifest digest exactly.
  const dir2 = join(work, "copied-oci2");
  run("skopeo", ["copy", `oci-archive:${archive}`, `oci:${dir2}:copied`]);
  assert.equal(JSON.parse(run("skopeo", ["inspect", `oci:${dir2}:copied`])).Digest, image.manifestDigest);
});

test("the same image gives the same bytes; writeArchive leaves the stream open", async () => {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  await writeArchive(image, sink);
  assert.equal(sink.writableEnded, false);
  assert.deepEqual(Buffer.concat(chunks), readFileSync(archive));
  const again = join(work, "again.tar");
  await archiveSink(again).write(image);
  assert.deepEqual(readFileSync(again), readFileSync(archive));
  // A different mtime is a different archive: the option is really used.
  const other = join(work, "other.tar");
  await archiveSink(other, { mtime: 1700000000 }).write(image);
  assert.notDeepEqual(readFileSync(other), readFileSync(archive));
});

test("a damaged layer fails the write and keeps the earlier file", async () => {
  const target = join(work, "keep.tar");
  writeFileSync(target, "earlier build");
  const bad: Layer = layerOf({ ...helloLayer, compressed: () => Readable.from([Buffer.alloc(helloLayer.size, 1)]) });
  await assert.rejects(archiveSink(target).write(makeImage([bad], ["x:1"])), (e: Error & { code?: string }) => {
    assert.equal(e.code, "CAIRN_E501");
    assert.match(e.message, /damaged/);
    return true;
  });
  assert.equal(readFileSync(target, "utf8"), "earlier build");
  assert.deepEqual(readdirSync(work).filter((f) => f.includes(".tmp-")), []);
  await assert.rejects(archiveSink(join(work, "no-such-dir", "x.tar")).write(image), /Could not write the image archive/);
});

test("entries: a config that does not match its digest is a bug, caught", () => {
  assert.throws(() => archiveEntries({ ...image, config: Buffer.from("{}") }, 0), /does not match its digest/);
});

test("podman loads it and runs it", { timeout: 300_000 }, () => {
  const root = join(work, "podman");
  mkdirSync(root);
  const conf = join(root, "containers.conf");
  writeFileSync(conf, "[containers]\ndefault_ulimits = []\n");
  const env = { CONTAINERS_CONF: conf };
  const base = ["--storage-driver", "vfs", "--root", join(root, "storage"), "--runroot", join(root, "run")];
  try {
    const loaded = run("podman", [...base, "load", "-i", archive], env);
    assert.match(loaded, /cairn-test\/archive:v1/);
    const id = run("podman", [...base, "image", "inspect", "--format", "{{.Id}}", "cairn-test/archive:v1"], env).trim();
    assert.equal(`sha256:${id}`, image.configDigest);
    const out = run("podman", [...base, "run", "--runtime", "runc", "--rm", "--network", "none", "cairn-test/archive:v1"], env);
    assert.equal(out, "hi\n");
    const hello = run("podman", [...base, "run", "--runtime", "runc", "--rm", "--network", "none", "cairn-test/archive:v1", "/bin/busybox", "cat", "/hello"], env);
    assert.equal(hello, "hello from cairn\n");
  } finally {
    // vfs storage is plain directories (no mounts), so removing the root removes everything.
    spawnSync("rm", ["-rf", root]);
  }
});

test("docker loads it (`docker load < result`) and runs it", { timeout: 300_000 }, async () => {
  const root = join(work, "docker");
  mkdirSync(root);
  const sock = join(root, "docker.sock");
  const env = { DOCKER_HOST: `unix://${sock}` };
  const daemon = spawn("dockerd", [
    "--data-root", join(root, "data"), "--exec-root", join(root, "exec"), "--pidfile", join(root, "docker.pid"),
    "--host", `unix://${sock}`, "--storage-driver", "vfs", "--iptables=false", "--bridge=none",
    "--default-ulimit", "nofile=20000:20000",
  ], { stdio: "ignore" });
  const exited = once(daemon, "exit").catch(() => undefined); // a spawn error shows as "did not come up"
  try {
    let up = false;
    for (let i = 0; i < 60 && !up; i++) {
      up = spawnSync("docker", ["info"], { env: { ...process.env, ...env }, stdio: "ignore", timeout: 10_000 }).status === 0;
      if (!up) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(up, "dockerd did not come up within 30 s");
    const r = spawnSync("docker", ["load"], { input: readFileSync(archive), env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Loaded image: cairn-test\/archive:v1/);
    const id = run("docker", ["image", "inspect", "--format", "{{.Id}}", "cairn-test/archive:v1"], env).trim();
    assert.equal(id, image.configDigest);
    assert.equal(run("docker", ["run", "--rm", "--network", "none", "cairn-test/archive:v1", "/bin/busybox", "cat", "/hello"], env), "hello from cairn\n");
  } finally {
    daemon.kill("SIGTERM");
    await exited;
    spawnSync("rm", ["-rf", root]);
  }
});
