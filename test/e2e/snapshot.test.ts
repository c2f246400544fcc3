// A lock that outlives the mirror: the .deb it pins is deleted from the hermetic repository (as
// Debian's mirror drops superseded versions), and the build fetches it by its sha256 from a
// snapshot-layout archive served on 127.0.0.1, at the moment the lock recorded; without one, the
// error names the package and both ways out. `cairn lock --update PKG` then moves just that package.
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { snapshotStamp } from "../../src/debian/fetch.js";
import { cairn, lastLine, project } from "../support/cairn.js";
import { makeRepo, staticBinary, type Repo } from "../support/signed-repo.js";

let repo: Repo;
let snapshotRoot: string;
let snapshot: { url: string; requests: string[]; server: Server };

/** A static server of snapshotRoot, laid out as Debian's snapshot archive is. */
async function serveSnapshot(): Promise<typeof snapshot> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    const file = join(snapshotRoot, path);
    stat(file).then(
      (st) => {
        if (!st.isFile()) throw new Error("not a file");
        res.writeHead(200, { "content-length": st.size });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const definition = (withSnapshot: boolean) => `import { buildImage, debian } from "cairn";
const pkgs = debian({
  sources: [{ uri: ${JSON.stringify(repo.url)}, suites: [${JSON.stringify(repo.suite)}], signedBy: ${JSON.stringify(repo.keyFile)} }],
  ${withSnapshot ? `snapshot: { uri: ${JSON.stringify(snapshot.url)} },` : ""}
});
export const hello = buildImage({ name: "hello", tag: "1", contents: [pkgs("hello")], config: { Cmd: ["hello"] } });
`;

before(async () => {
  const busybox = await readFile(staticBinary());
  repo = await makeRepo({
    packages: [
      { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: busybox, mode: 0o755 } } },
      { name: "hello", version: "1.0-1", depends: "tiny-base", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello one\n", mode: 0o755 } } },
    ],
  });
  snapshotRoot = await mkdtemp(join(tmpdir(), "cairn-snapshot-"));
  snapshot = await serveSnapshot();
});

after(async () => {
  await repo?.close();
  snapshot?.server.close();
  await rm(snapshotRoot, { recursive: true, force: true });
});

describe("a lock whose .deb the mirror dropped", () => {
  let dir: string;
  let digest: string;
  let hello: Repo["debs"][number];

  before(async () => {
    dir = await project({ "image.ts": definition(true) });
    const r = await cairn(["build", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-cache-"))], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    digest = lastLine(r);
    hello = repo.debs.find((d) => d.name === "hello")!;
    // The snapshot keeps the file under the moment the lock recorded; then the mirror drops it.
    const lock = JSON.parse(await readFile(join(dir, "cairn.lock"), "utf8"));
    const date = lock.images.hello.archiveDates?.[repo.suite];
    assert.ok(date, `the lock records the suite's Release Date: ${JSON.stringify(lock.images.hello)}`);
    const kept = join(snapshotRoot, "archive/debian", snapshotStamp(date), hello.filename);
    await mkdir(dirname(kept), { recursive: true });
    await copyFile(join(repo.dir, hello.filename), kept);
    await rm(join(repo.dir, hello.filename));
  });

  test("builds from the snapshot archive, fetched by its sha256, to the same digest", async () => {
    const r = await cairn(["build", "--frozen", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-cache-"))], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(r), digest);
    assert.ok(snapshot.requests.some((p) => p.endsWith(hello.filename)), `the snapshot was asked for ${hello.filename}: ${snapshot.requests.join(", ")}`);
    assert.ok(repo.requests.includes(`/${hello.filename}`) || repo.requests.some((p) => p.endsWith(hello.filename)), "the mirror was asked first");
  });

  test("a snapshot with other bytes under that name is refused, and the error says so", async () => {
    const alt = await project({ "image.ts": definition(true), "cairn.lock": await readFile(join(dir, "cairn.lock"), "utf8") });
    const lock = JSON.parse(await readFile(join(alt, "cairn.lock"), "utf8"));
    const kept = join(snapshotRoot, "archive/debian", snapshotStamp(lock.images.hello.archiveDates[repo.suite]), hello.filename);
    const good = await readFile(kept);
    await writeFile(kept, Buffer.concat([good, Buffer.from("tampered")]));
    try {
      const r = await cairn(["build", "--frozen", "--cache-dir", await mkdtemp(join(tmpdir(), "cairn-cache-"))], { cwd: alt });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CAIRN_E305/);
      assert.match(r.stderr, /hello 1\.0-1/);
      assert.match(r.stderr, /other bytes than the lock's sha256/);
    } finally {
      await writeFile(kept, good);
    }
  });

  test("with no snapshot, the error names the package, where cairn looked, and both ways out", async () => {
    const bare = await project({ "image.ts": definition(false), "cairn.lock": await readFile(join(dir, "cairn.lock"), "utf8") });
    const cache = await mkdtemp(join(tmpdir(), "cairn-cache-"));
    const r = await cairn(["build", "--frozen", "--cache-dir", cache], { cwd: bare });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CAIRN_E305/);
    assert.match(r.stderr, /cairn\.lock pins hello 1\.0-1/);
    assert.match(r.stderr, /the mirror \(.*hello.*\): not there/);
    assert.match(r.stderr, /cairn lock --update hello/);
    assert.match(r.stderr, /snapshot: \{ uri:/);
    assert.doesNotMatch(r.stderr, /internal error/);

    // The way out that takes the mirror's version now: a newer hello is published, and only it moves.
    const changelog = [
      "hello (2.0-1) unstable; urgency=high", "", "  * New upstream release.", "  * Fix a heap overflow in the greeting parser (CVE-2024-0001).", "", " -- Maintainer <m@example.org>  Mon, 01 Jan 2024 00:00:00 +0000", "",
      "hello (1.5-1) unstable; urgency=medium", "", "  * Refuse over-long names (CVE-2023-9999).", "", " -- Maintainer <m@example.org>  Sun, 01 Oct 2023 00:00:00 +0000", "",
      "hello (1.0-1) unstable; urgency=low", "", "  * Initial release (CVE-2000-0001 is not news).", "", " -- Maintainer <m@example.org>  Sat, 01 Jan 2000 00:00:00 +0000", "",
    ].join("\n");
    await repo.publish([
      { name: "tiny-base", version: "1.0-1", files: { "bin/busybox": { content: await readFile(staticBinary()), mode: 0o755 } } },
      { name: "hello", version: "2.0-1", depends: "tiny-base", files: { "usr/bin/hello": { content: "#!/bin/busybox sh\necho hello two\n", mode: 0o755 }, "usr/share/doc/hello/changelog.Debian.gz": { content: gzipSync(changelog) } } },
    ]);
    const outdated = await cairn(["outdated", "--update", "hello", "--cache-dir", cache], { cwd: bare });
    assert.equal(outdated.code, 1, outdated.stderr);
    const json = JSON.parse((await cairn(["outdated", "--json", "--cache-dir", cache], { cwd: bare })).stdout);
    assert.deepEqual(json.images[0].changed.map((c: { name: string; from: string; to: string; cves: string[] }) => [c.name, c.from, c.to, c.cves]), [["hello", "1.0-1", "2.0-1", ["CVE-2023-9999", "CVE-2024-0001"]]]);
    const lock = await cairn(["lock", "--update", "hello", "--cache-dir", cache], { cwd: bare });
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(lock.stdout, /^hello:\n {2}~ hello 1\.0-1 → 2\.0-1 {2}\(fixes CVE-2023-9999, CVE-2024-0001\)\n/);
    assert.match(lock.stdout, /2\.0-1 \(Mon, 01 Jan 2024.*\n.*New upstream release\.\n.*heap overflow/);
    assert.match(lock.stdout, /1\.5-1 .*\n.*over-long names/);
    assert.doesNotMatch(lock.stdout, /Initial release/, "entries up to the old version are not news");
    assert.doesNotMatch(lock.stdout, /tiny-base/, "the other package kept its version");
    assert.equal((await cairn(["outdated", "--update", "hello", "--cache-dir", cache], { cwd: bare })).code, 0, "nothing is outdated once locked");
    const built = await cairn(["build", "--frozen", "--cache-dir", cache], { cwd: bare });
    assert.equal(built.code, 0, built.stderr);

    const unknown = await cairn(["lock", "--update", "no-such-pkg", "--cache-dir", cache], { cwd: bare });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no-such-pkg is in none of the images/);
  });
});
