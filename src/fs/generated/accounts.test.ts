import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, isCairnError } from "../../errors.js";
import { makeAccounts } from "./accounts.js";

function clash(fn: () => unknown, ...mentions: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e));
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    for (const m of mentions) assert.ok(e.message.includes(m), `${JSON.stringify(e.message)} should mention ${m}`);
    return true;
  });
}

test("a redis user: exact passwd, group and shadow, with its own group like useradd -U", () => {
  const a = makeAccounts([{ name: "redis", uid: 999, home: "/data" }], [], new Map());
  assert.equal(a.passwd, [
    "root:x:0:0:root:/root:/bin/sh",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "redis:x:999:999::/data:/usr/sbin/nologin",
    "",
  ].join("\n"));
  assert.equal(a.group, "root:x:0:\nnogroup:x:65534:\nredis:x:999:\n");
  assert.equal(a.shadow, "root:*::0:99999:7:::\nnobody:*::0:99999:7:::\nredis:*::0:99999:7:::\n");
  assert.deepEqual(a.homes, [
    { path: "data", uid: 999, gid: 999, mode: 0o755 },
    { path: "root", uid: 0, gid: 0, mode: 0o700 },
  ]);
});

test("declared groups, explicit gids, shells and descriptions", () => {
  const a = makeAccounts(
    [
      { name: "app", uid: 1000, gid: 100, shell: "/bin/bash", description: "The App", home: "/srv/app" },
      { name: "web", uid: 1001 },
      { name: "ops", uid: 1002 },
    ],
    [{ name: "users", gid: 100, members: ["web", "app"] }, { name: "ops", gid: 2000 }],
    new Map(),
  );
  assert.equal(a.passwd.split("\n").slice(2).join("\n"), "app:x:1000:100:The App:/srv/app:/bin/bash\nweb:x:1001:1001::/nonexistent:/usr/sbin/nologin\nops:x:1002:2000::/nonexistent:/usr/sbin/nologin\n");
  // Members sorted; a user whose name matches a declared group joins it instead of making one.
  assert.equal(a.group, "root:x:0:\nnogroup:x:65534:\nusers:x:100:app,web\nops:x:2000:\nweb:x:1001:\n");
  assert.deepEqual(a.homes.map((h) => h.path), ["srv/app", "root"]);
});

test("clashing names and ids are rejected", () => {
  clash(() => makeAccounts([{ name: "root", uid: 5 }], [], new Map()), 'user "root"');
  clash(() => makeAccounts([{ name: "x", uid: 65534 }], [], new Map()), 'user "x"', 'user "nobody"');
  clash(() => makeAccounts([{ name: "a", uid: 10 }, { name: "b", uid: 10 }], [], new Map()), 'user "b"', 'user "a" (uid 10)');
  clash(() => makeAccounts([], [{ name: "g", gid: 1 }, { name: "h", gid: 1 }], new Map()), 'group "h"', 'group "g" (gid 1)');
  clash(() => makeAccounts([{ name: "root", uid: 0 }, { name: "root", uid: 0 }], [], new Map()), 'user "root"', 'user "root" (uid 0)');
  clash(() => makeAccounts([], [{ name: "nogroup", gid: 7 }], new Map()), 'group "nogroup"');
  // useradd -U would want gid 50 for "u", which group "staff" holds.
  clash(() => makeAccounts([{ name: "u", uid: 50 }], [{ name: "staff", gid: 50 }], new Map()), 'user group "u"', "gid 50");
  assert.doesNotThrow(() => makeAccounts([{ name: "u", uid: 50, gid: 50 }], [{ name: "staff", gid: 50 }], new Map()));
});

test("groups that own package files are added under their names, sorted by gid, never twice", () => {
  const a = makeAccounts([{ name: "redis", uid: 999 }], [], new Map([[42, "shadow"], [5, "tty"], [999, "other"], [65534, "nogroup"], [7, ""]]));
  assert.equal(a.group, "root:x:0:\nnogroup:x:65534:\nredis:x:999:\ntty:x:5:\nshadow:x:42:\n");
});

test("the files pass pwck/grpck and chage sees no forced password change", () => {
  const a = makeAccounts([{ name: "redis", uid: 999, home: "/data" }], [{ name: "ops", gid: 500, members: ["redis"] }], new Map([[5, "tty"]]));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-accounts-"));
  try {
    fs.mkdirSync(path.join(root, "etc"));
    fs.writeFileSync(path.join(root, "etc/passwd"), a.passwd);
    fs.writeFileSync(path.join(root, "etc/group"), a.group);
    fs.writeFileSync(path.join(root, "etc/shadow"), a.shadow, { mode: 0o640 });
    for (const h of a.homes) fs.mkdirSync(path.join(root, h.path), { recursive: true });
    for (const sh of ["bin/sh", "usr/sbin/nologin"]) {
      fs.mkdirSync(path.dirname(path.join(root, sh)), { recursive: true });
      fs.writeFileSync(path.join(root, sh), "", { mode: 0o755 });
    }
    fs.mkdirSync(path.join(root, "nonexistent"));
    const pwck = spawnSync("pwck", ["-r", "-R", root], { encoding: "utf8" });
    assert.equal(pwck.status, 0, pwck.stdout + pwck.stderr);
    const grpck = spawnSync("grpck", ["-r", "-R", root], { encoding: "utf8" });
    assert.equal(grpck.status, 0, grpck.stdout + grpck.stderr);
    const chage = execFileSync("chage", ["-R", root, "-l", "redis"], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    assert.match(chage, /Last password change\s*: never/);
    assert.doesNotMatch(chage, /must be changed/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("root and nobody can be redefined: what is given replaces, the rest stays", () => {
  const a = makeAccounts(
    [{ name: "root", uid: 0, shell: "/bin/bash" }, { name: "nobody", uid: 65534, home: "/var/empty", homeMode: 0o555, description: "Nobody at all" }],
    [{ name: "nobody", gid: 65534 }, { name: "wheel", gid: 0, members: ["root"] }],
    new Map(),
  );
  assert.equal(a.passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:Nobody at all:/var/empty:/usr/sbin/nologin\n");
  // Gids 0 and 65534 under another name rename root's and nogroup's group in place.
  assert.equal(a.group, "wheel:x:0:root\nnobody:x:65534:\n");
  assert.deepEqual(a.homes, [
    { path: "var/empty", uid: 65534, gid: 65534, mode: 0o555 },
    { path: "root", uid: 0, gid: 0, mode: 0o700 },
  ]);
});

test("redefining root or nobody with another id says which id is theirs", () => {
  clash(() => makeAccounts([{ name: "root", uid: 5 }], [], new Map()), 'user "root" has uid 0', "gives it 5");
  clash(() => makeAccounts([{ name: "nobody", uid: 99 }], [], new Map()), 'user "nobody" has uid 65534');
  clash(() => makeAccounts([], [{ name: "root", gid: 10 }], new Map()), 'group "root" has gid 0');
  // A group with root's gid renames it, but not one that another declared group already took.
  clash(() => makeAccounts([], [{ name: "a", gid: 0 }, { name: "b", gid: 0 }], new Map()), 'group "b"', 'group "a" (gid 0)');
});

test("homeMode sets the home directory's mode; root's home follows its redefinition", () => {
  const a = makeAccounts([{ name: "app", uid: 1000, home: "/home/app", homeMode: 0o700 }, { name: "root", uid: 0, home: "/home/root", homeMode: 0o750 }], [], new Map());
  assert.deepEqual(a.homes, [
    { path: "home/app", uid: 1000, gid: 1000, mode: 0o700 },
    { path: "home/root", uid: 0, gid: 0, mode: 0o750 },
  ]);
  assert.match(a.passwd, /^root:x:0:0:root:\/home\/root:\/bin\/sh$/m);
});

test("a base image's user, declared again with its uid, keeps its line unless fields are given", () => {
  const base = { passwd: "root:x:0:0:root:/root:/bin/bash\nredis:x:999:999::/data:/bin/false\n", group: "root:x:0:\nredis:x:999:\n" };
  const same = makeAccounts([{ name: "redis", uid: 999 }], [{ name: "redis", gid: 999 }], new Map(), base);
  assert.match(same.passwd, /^redis:x:999:999::\/data:\/bin\/false$/m);
  assert.deepEqual(same.homes.map((h) => h.path), ["root"], "the base's /data is already there");
  const changed = makeAccounts([{ name: "redis", uid: 999, shell: "/usr/sbin/nologin", homeMode: 0o700 }], [], new Map(), base);
  assert.match(changed.passwd, /^redis:x:999:999::\/data:\/usr\/sbin\/nologin$/m);
  assert.deepEqual(changed.homes[0], { path: "data", uid: 999, gid: 999, mode: 0o700 });
  clash(() => makeAccounts([{ name: "redis", uid: 1000 }], [], new Map(), base), 'user "redis" has uid 999 in the base image');
});
