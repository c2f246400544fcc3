// The hermetic repository is checked by apt itself: if apt-get accepts its signature, indexes and
// by-hash copies and downloads a package, the repository is one cairn must be able to read.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { command } from "./command.js";
import { busyboxFiles, makeRepo, type Repo } from "./signed-repo.js";

/** apt-get confined to a temp dir: only this repository as source, its own lists and cache. */
async function aptFor(repo: Repo) {
  const t = await mkdtemp(join(tmpdir(), "cairn-apt-"));
  for (const d of ["parts", "lists/partial", "cache/archives/partial", "out"]) await mkdir(join(t, d), { recursive: true });
  await writeFile(join(t, "sources.list"), `deb [signed-by=${repo.keyFile}] ${repo.url} ${repo.suite} ${repo.component}\n`);
  const opts = [
    `Dir::Etc::sourcelist=${join(t, "sources.list")}`, `Dir::Etc::sourceparts=${join(t, "parts")}`,
    `Dir::State::Lists=${join(t, "lists")}`, `Dir::Cache=${join(t, "cache")}`,
    "APT::Sandbox::User=root", "Debug::NoLocking=1", "Acquire::Retries=0",
  ].flatMap((o) => ["-o", o]);
  return {
    dir: t,
    run: (args: string[]) => command("apt-get", [...opts, ...args], { cwd: join(t, "out"), allowFail: true, timeoutMs: 60_000 }),
    cleanup: () => rm(t, { recursive: true, force: true }),
  };
}

describe("makeRepo", () => {
  let repo: Repo;
  before(async () => {
    repo = await makeRepo({
      packages: [
        { name: "hello", version: "1.0-1", depends: "libgreet (>= 2)", files: { "usr/bin/hello": "#!/bin/sh\necho hello\n", "usr/share/doc/hello/README": "hi" } },
        { name: "libgreet", version: "1:2.5-1", architecture: "all", provides: "greeting", description: "greetings\nLonger text.\n\nAfter a blank line." },
        { name: "bb", version: "1.35", files: await busyboxFiles(["sh", "echo"]) },
      ],
    });
  });
  after(() => repo?.close());

  test("apt-get update accepts the signed repository and apt-get download fetches packages", { timeout: 120_000 }, async () => {
    const apt = await aptFor(repo);
    try {
      const update = await apt.run(["update"]);
      assert.equal(update.code, 0, update.stderr + update.stdout);
      assert.doesNotMatch(update.stderr, /^(W|E):/m, "apt warned or failed: " + update.stderr);
      const dl = await apt.run(["download", "hello", "libgreet", "bb"]);
      assert.equal(dl.code, 0, dl.stderr);
      assert.deepEqual((await readdir(join(apt.dir, "out"))).sort(),
        ["bb_1.35_amd64.deb", "hello_1.0-1_amd64.deb", "libgreet_1%3a2.5-1_all.deb"]);
      assert.ok(repo.requests.includes(`/dists/${repo.suite}/InRelease`), repo.requests.join(" "));
      assert.ok(repo.requests.some((r) => r.includes("/by-hash/SHA256/")), "apt should fetch the index by hash: " + repo.requests.join(" "));
      assert.ok(repo.requests.includes("/pool/main/l/libgreet/libgreet_1%3a2.5-1_all.deb"), repo.requests.join(" "));
      // apt's own view of the index: the fields we wrote, resolved as apt resolves them.
      const show = await command("apt-cache", ["-o", `Dir::State::Lists=${join(apt.dir, "lists")}`, "-o", `Dir::Etc::sourcelist=${join(apt.dir, "sources.list")}`,
        "-o", `Dir::Etc::sourceparts=${join(apt.dir, "parts")}`, "-o", `Dir::Cache=${join(apt.dir, "cache")}`, "show", "libgreet"]);
      assert.match(show.stdout, /^Version: 1:2\.5-1$/m);
      assert.match(show.stdout, /^Provides: greeting$/m);
      assert.match(show.stdout, /^ \.\n After a blank line\.$/m);
    } finally {
      await apt.cleanup();
    }
  });

  test("packages are real debs: root-owned, modes and symlinks as declared", async () => {
    const contents = (name: string) => command("dpkg-deb", ["--contents", join(repo.dir, repo.debs.find((d) => d.name === name)!.filename)]);
    const hello = (await contents("hello")).stdout;
    assert.match(hello, /^-rwxr-xr-x root\/root\s+\d+ \S+ \S+ \.\/usr\/bin\/hello$/m);
    assert.match(hello, /^-rw-r--r-- root\/root\s+2 \S+ \S+ \.\/usr\/share\/doc\/hello\/README$/m);
    const bb = (await contents("bb")).stdout;
    assert.match(bb, /^lrwxrwxrwx root\/root\s+0 \S+ \S+ \.\/usr\/bin\/sh -> busybox$/m);
    const field = await command("dpkg-deb", ["--field", join(repo.dir, repo.debs.find((d) => d.name === "hello")!.filename), "Depends"]);
    assert.equal(field.stdout.trim(), "libgreet (>= 2)");
  });

  test("a tampered InRelease is rejected by apt", { timeout: 120_000 }, async () => {
    const other = await makeRepo({ packages: [{ name: "hello", version: "1" }] });
    const apt = await aptFor(other);
    try {
      await other.tamper(`dists/${other.suite}/InRelease`, (b) => Buffer.from(b.toString().replace("Label: cairn-tests", "Label: cairn-evil")));
      await other.tamper(`dists/${other.suite}/Release.gpg`, () => Buffer.from("not a signature"));
      const update = await apt.run(["update"]);
      assert.match(update.stdout + update.stderr, /BADSIG/);
      assert.equal((await apt.run(["download", "hello"])).code, 100);
    } finally {
      await apt.cleanup();
      await other.close();
    }
  });

  test("publish replaces the packages and re-signs; 404s are recorded", { timeout: 120_000 }, async () => {
    const r = await makeRepo({ packages: [{ name: "hello", version: "1" }], validUntil: null });
    const apt = await aptFor(r);
    try {
      await r.publish([{ name: "hello", version: "2" }]);
      assert.equal((await apt.run(["update"])).code, 0);
      const dl = await apt.run(["download", "hello"]);
      assert.equal(dl.code, 0, dl.stderr);
      assert.deepEqual(await readdir(join(apt.dir, "out")), ["hello_2_amd64.deb"]);
      const res = await fetch(`${r.url}nothing/here`);
      assert.equal(res.status, 404);
      assert.ok(r.requests.includes("/nothing/here"));
      await assert.rejects(r.tamper("../escape", (b) => b), /not a file of the repository/);
    } finally {
      await apt.cleanup();
      await r.close();
    }
  });
});
