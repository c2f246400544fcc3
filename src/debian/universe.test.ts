import { test } from "node:test";
import assert from "node:assert/strict";
import { parseParagraphs } from "./control.js";
import { Universe } from "./universe.js";
import { hostArchitecture, hostPackagesIndexes } from "./host-index.test-helper.js";

const main = { suite: "bookworm", component: "main" };
const security = { suite: "bookworm-security", component: "main" };

const mainIndex = parseParagraphs(`Package: libssl3
Version: 3.0.11-1~deb12u2
Architecture: amd64
Depends: libc6 (>= 2.34)
Filename: pool/main/o/openssl/libssl3_3.0.11-1~deb12u2_amd64.deb
Size: 2019000
SHA256: aaaa
Priority: optional
Multi-Arch: same

Package: libssl3
Version: 3.0.11-1~deb12u2
Architecture: i386
Filename: pool/main/o/openssl/libssl3_3.0.11-1~deb12u2_i386.deb

Package: exim4-daemon-light
Version: 4.96-15
Architecture: amd64
Provides: mail-transport-agent, exim4-localscanapi-6.0

Package: tzdata
Version: 2024a-0+deb12u1
Architecture: all
Essential: no

Package: libfoo-dev
Version: 1:1.0-1
Architecture: amd64
Provides: libfoo-api (= 1.0)
`);

const securityIndex = parseParagraphs(`Package: libssl3
Version: 3.0.15-1~deb12u1
Architecture: amd64
Filename: pool/updates/main/o/openssl/libssl3_3.0.15-1~deb12u1_amd64.deb
SHA256: bbbb
Size: 2030000

Package: libssl3
Version: 3.0.11-1~deb12u2
Architecture: amd64
Filename: elsewhere.deb
SHA256: cccc

Package: postfix
Version: 3.7.11-0+deb12u1
Architecture: amd64
Provides: mail-transport-agent
`);

const u = Universe.fromIndexes(
  [
    { repository: main, paragraphs: mainIndex },
    { repository: security, paragraphs: securityIndex },
  ],
  "amd64",
);

test("candidates: target architecture and all only, highest first, the first index wins a duplicate", () => {
  const c = u.candidates("libssl3");
  assert.deepEqual(
    c.map((r) => [r.version, r.architecture, r.repository.suite, r.sha256]),
    [
      ["3.0.15-1~deb12u1", "amd64", "bookworm-security", "bbbb"],
      ["3.0.11-1~deb12u2", "amd64", "bookworm", "aaaa"],
    ],
  );
  assert.equal(u.candidates("tzdata")[0]!.architecture, "all");
  assert.deepEqual(u.candidates("nonexistent"), []);
});

test("records carry the index fields, typed", () => {
  const r = u.get("libssl3", "3.0.11-1~deb12u2")!;
  assert.equal(r.filename, "pool/main/o/openssl/libssl3_3.0.11-1~deb12u2_amd64.deb");
  assert.equal(r.size, 2019000);
  assert.equal(r.sha256, "aaaa");
  assert.equal(r.priority, "optional");
  assert.equal(r.multiArch, "same");
  assert.deepEqual(r.depends, [[{ name: "libc6", op: ">=", version: "2.34" }]]);
  assert.equal(r.essential, false);
  assert.equal(r.name, "libssl3");
  // Built once: the same object each time, so identity checks are cheap.
  assert.equal(u.get("libssl3", "3.0.11-1~deb12u2"), u.candidates("libssl3")[1]);
});

test("get compares versions as Debian does", () => {
  assert.equal(u.get("libfoo-dev", "1:1.0-1")?.version, "1:1.0-1");
  assert.equal(u.get("tzdata", "0:2024a-0+deb12u1")?.version, "2024a-0+deb12u1");
  assert.equal(u.get("libssl3", "9.9"), undefined);
});

test("providers lists every package providing a name, with provided versions", () => {
  assert.deepEqual(
    u.providers("mail-transport-agent").map((p) => [p.pkg.name, p.version]),
    [
      ["exim4-daemon-light", undefined],
      ["postfix", undefined],
    ],
  );
  assert.deepEqual(u.providers("libfoo-api").map((p) => [p.pkg.name, p.version]), [["libfoo-dev", "1.0"]]);
  assert.deepEqual(u.providers("libssl3"), []);
  assert.equal(u.has("mail-transport-agent"), true);
  assert.equal(u.has("libssl3"), true);
  assert.equal(u.has("nope"), false);
});

test("names lists real packages, sorted", () => {
  assert.deepEqual([...u.names()], ["exim4-daemon-light", "libfoo-dev", "libssl3", "postfix", "tzdata"]);
});

test("a universe from the host's real indexes builds in well under a second", (t) => {
  const indexes = hostPackagesIndexes();
  if (indexes.length === 0) return t.skip("no Packages index under /var/lib/apt/lists (run apt-get update)");
  const inputs = indexes.map((x) => ({ repository: { suite: x.suite, component: x.component }, paragraphs: parseParagraphs(x.text) }));
  const start = performance.now();
  const real = Universe.fromIndexes(inputs, hostArchitecture());
  const ms = performance.now() - start;
  t.diagnostic(`built from ${inputs.reduce((n, i) => n + i.paragraphs.length, 0)} paragraphs in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(real.candidates("libc6").length >= 1);
  assert.ok(real.providers("mail-transport-agent").length >= 2);
});
