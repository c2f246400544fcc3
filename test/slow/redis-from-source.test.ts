// Seed 004's "a different redis version", for real: redis compiled in a derivation from the
// upstream tarball that Debian's source package carries (redis_VERSION.orig.tar.gz), fetched with
// fetchurl() from the host's own Debian mirror and pinned by the sha256 that Debian's signed
// source index gives for it — as the seed overrides redis's src with fetchurl { url; sha256; }.
// The mirror is the one the host's apt configuration names; this file names no host.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine, project } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, podman, type Engine } from "../support/engines.js";

const SUITE = "bookworm";

interface AptSource { uri: string; suites: string[]; components: string[]; signedBy?: string }

/** The host's `deb` sources, from deb822 `.sources` files and one-line `.list` files. */
function hostSources(): AptSource[] {
  const out: AptSource[] = [];
  const dir = "/etc/apt/sources.list.d";
  const parts = existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
  for (const file of parts.filter((f) => f.endsWith(".sources"))) {
    for (const stanza of readFileSync(file, "utf8").split(/\n\s*\n/)) {
      const fields = new Map<string, string>();
      let last = "";
      for (const line of stanza.split("\n")) {
        if (line.startsWith("#") || !line.trim()) continue;
        if (/^\s/.test(line) && last) { fields.set(last, `${fields.get(last)} ${line.trim()}`); continue; }
        const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
        if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!.trim());
      }
      const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
      if (!words("types").includes("deb") || /^(no|false)$/i.test(fields.get("enabled") ?? "yes")) continue;
      for (const uri of words("uris")) out.push({ uri, suites: words("suites"), components: words("components"), signedBy: fields.get("signed-by") });
    }
  }
  for (const file of ["/etc/apt/sources.list", ...parts.filter((f) => f.endsWith(".list"))].filter(existsSync)) {
    for (const raw of readFileSync(file, "utf8").split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[1] ?? "")?.[1];
      out.push({ uri: m[2]!, suites: [m[3]!], components: m[4]!.split(/\s+/).filter(Boolean), signedBy });
    }
  }
  return out;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function get(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

/** One field of a deb822 paragraph, with its continuation lines. */
function field(paragraph: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*(?:\\n[ \\t].*)*)`, "m").exec(paragraph);
  return m?.[1]!.trim();
}

/**
 * Where redis's upstream tarball is on the host's mirror, and the sha256 Debian's index gives it:
 * InRelease (signature checked with the source's keyring) → main/source/Sources.xz (checked
 * against InRelease) → the redis paragraph's Directory and Checksums-Sha256.
 */
async function redisOrigTarball(): Promise<{ url: string; sha256: string; name: string; version: string }> {
  const source = hostSources().find((s) => s.suites.includes(SUITE) && s.components.includes("main"));
  assert.ok(source, `the host's apt configuration has no deb source for ${SUITE} main`);
  const base = source.uri.replace(/\/+$/, "");
  const work = await mkdtemp(join(tmpdir(), "cairn-redis-index-"));
  try {
    const inRelease = await get(`${base}/dists/${SUITE}/InRelease`);
    const signed = join(work, "InRelease");
    await writeFile(signed, inRelease);
    const keyring = source.signedBy && existsSync(source.signedBy) ? source.signedBy : "/usr/share/keyrings/debian-archive-keyring.gpg";
    const gpgv = await command("gpgv", ["--keyring", keyring, signed], { allowFail: true });
    assert.equal(gpgv.code, 0, `InRelease of ${SUITE} is not signed by ${keyring}:\n${gpgv.stderr}`);

    const release = inRelease.toString();
    const sha256Section = /^SHA256:\n((?:[ \t].*\n)+)/m.exec(release)?.[1] ?? "";
    const listed = /^\s*([0-9a-f]{64})\s+(\d+)\s+main\/source\/Sources\.xz$/m.exec(sha256Section);
    assert.ok(listed, `InRelease of ${SUITE} lists no main/source/Sources.xz`);
    const xz = await get(`${base}/dists/${SUITE}/main/source/Sources.xz`);
    assert.equal(sha256(xz), listed[1], "Sources.xz has the sha256 InRelease gives it");

    const sources = (await command("xz", ["-dc"], { input: xz })).stdout;
    const redis = sources.split(/\n\n+/).find((p) => p.startsWith("Package: redis\n"));
    assert.ok(redis, `${SUITE}'s Sources has no source package redis`);
    const directory = field(redis, "Directory");
    assert.ok(directory, "the redis paragraph has a Directory");
    const orig = /^\s*([0-9a-f]{64})\s+\d+\s+(redis_([0-9][0-9.]*)\.orig\.tar\.gz)$/m.exec(field(redis, "Checksums-Sha256") ?? "");
    assert.ok(orig, `the redis paragraph lists no redis_*.orig.tar.gz:\n${redis}`);
    return { url: `${base}/${directory}/${orig[2]}`, sha256: orig[1]!, name: orig[2]!, version: orig[3]! };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

let engine: Engine | undefined;
after(async () => engine?.cleanup());

test("seed 004's other redis version: compiled in a derivation from Debian's orig tarball (fetchurl, pinned by the index's sha256), and it answers PONG", { timeout: 2_400_000, skip: !available().podman && "podman is not installed (apt-get install podman runc)" }, async () => {
  const src = await redisOrigTarball();
  const dir = await project({
    "image.ts": `import { buildImage, debian, derivation, fetchurl } from "cairn";
const pkgs = debian({ suite: ${JSON.stringify(SUITE)} });

// As the seed's redis.overrideDerivation: the same program, another source, pinned by its hash.
const redis = derivation({
  name: "redis-src",
  inputs: [
    fetchurl({ url: ${JSON.stringify(src.url)}, sha256: ${JSON.stringify(src.sha256)} }, "/src/redis.tar.gz"),
    pkgs("gcc"), pkgs("make"), pkgs("libc6-dev"), pkgs("tar"), pkgs("gzip"),
  ],
  build: \`
    tar -xzf /src/redis.tar.gz
    cd redis-${src.version}
    make -j2 MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no
    install -D -m 0755 src/redis-server "$out/usr/bin/redis-server"
    install -D -m 0755 src/redis-cli "$out/usr/bin/redis-cli"
  \`,
});

export const image = buildImage({
  name: "redis-src", tag: ${JSON.stringify(src.version)},
  contents: [pkgs("libc6"), redis],
  config: { Cmd: ["/usr/bin/redis-server", "--protected-mode", "no"], ExposedPorts: { "6379/tcp": {} } },
});
`,
  });

  const started = Date.now();
  const r = await cairn(["build", "--cache-dir", sharedCache()], { cwd: dir, timeoutMs: 2_100_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /derivation redis-src: (building|inputs unchanged, reusing)/);
  const how = /derivation redis-src: building/.test(r.stderr) ? "compiled" : "reused from the cache";
  console.log(`# cairn build took ${Math.round((Date.now() - started) / 1000)} s (redis ${how}); ${src.name} from the host's mirror`);
  assert.match(lastLine(r), /^sha256:[0-9a-f]{64}$/);

  // The programs are the derivation's, not Debian's redis-server package, and the build tools stayed out.
  const { root, manifest } = await extractImage(join(dir, "result"));
  assert.deepEqual(manifest.RepoTags, [`redis-src:${src.version}`]);
  const status = await readFile(join(root, "var/lib/dpkg/status"), "utf8");
  const installed = status.split("\n\n").map((p) => /^Package: (.+)$/m.exec(p)?.[1]).filter(Boolean);
  assert.ok(installed.includes("libc6"), status);
  for (const p of ["redis-server", "redis-tools", "gcc", "make", "libc6-dev"]) assert.ok(!installed.includes(p), `${p} is not in the image`);
  assert.ok(!existsSync(join(root, "usr/bin/gcc")) && !existsSync(join(root, "usr/bin/make")), "the build tools are not in the image");
  for (const prog of ["redis-server", "redis-cli"]) {
    assert.ok((await readFile(join(root, "usr/bin", prog))).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), `/usr/bin/${prog} is an ELF program`);
  }

  engine = await podman();
  const ref = await engine.load(join(dir, "result"));
  // The version of the tarball's name, with libc's malloc: Debian's own build says malloc=jemalloc.
  const version = await engine.run(["--entrypoint", "/usr/bin/redis-server", ref, "--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^Redis server v=${src.version.replace(/\./g, "\\.")} .*\\bmalloc=libc\\b`));

  const c = await engine.runDetached([ref]);
  try {
    // redis-cli in the same container asks the server the image started.
    const pong = await eventually(async () => {
      const p = await engine!.cli(["exec", c.id, "/usr/bin/redis-cli", "PING"]);
      if (p.stdout.trim() !== "PONG") throw new Error(`redis-cli PING said ${JSON.stringify(p.stdout)}`);
      return p.stdout.trim();
    }, 30_000).catch(async (e) => assert.fail(`${(e as Error).message}\ncontainer logs:\n${await c.logs()}`));
    assert.equal(pong, "PONG");
    const info = await engine.cli(["exec", c.id, "/usr/bin/redis-cli", "INFO", "server"]);
    assert.match(info.stdout, new RegExp(`^redis_version:${src.version.replace(/\./g, "\\.")}\\r?$`, "m"));
    assert.match(info.stdout, /^executable:\/usr\/bin\/redis-server\r?$/m);
  } finally {
    await c.stop();
  }
});
