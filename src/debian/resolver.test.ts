import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseParagraphs } from "./control.js";
import { Universe } from "./universe.js";
import { checkResolution, resolve, type Solution, type Root } from "./resolver.js";
import { ErrorCode, isCairnError, type CairnError } from "../errors.js";
import { hostArchitecture, hostPackagesIndexes } from "./host-index.test-helper.js";

/** A universe from inline paragraphs; Architecture defaults to amd64 to keep fixtures short. */
function universe(text: string, shuffle?: (xs: unknown[]) => void): Universe {
  const ps = parseParagraphs(text).map((p) => ({ Architecture: "amd64", ...p }));
  shuffle?.(ps);
  return Universe.fromIndexes([{ repository: { suite: "test", component: "main" }, paragraphs: ps }], "amd64");
}

const chosen = (r: Solution) => r.packages.map((p) => `${p.name}=${p.version}`);

function sound(u: Universe, r: Solution): Solution {
  assert.deepEqual(checkResolution(u, r), []);
  return r;
}

function fails(fn: () => unknown, code: string, ...parts: (string | RegExp)[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), `not a CairnError: ${e}`);
    assert.equal((e as CairnError).code, code, (e as Error).message);
    for (const p of parts) {
      if (typeof p === "string") assert.ok((e as Error).message.includes(p), `message lacks "${p}": ${(e as Error).message}`);
      else assert.match((e as Error).message, p);
    }
    return true;
  });
}

const basic = `Package: app
Version: 1.0
Pre-Depends: init-helper
Depends: libc6 (>= 2.36), libfoo | libbar, python3:any
Recommends: recommended-thing
Suggests: suggested-thing

Package: init-helper
Version: 1

Package: libc6
Version: 2.36-9+deb12u4
Priority: required

Package: libc6
Version: 2.36-9+deb12u10

Package: libc6
Version: 2.31-13

Package: libfoo
Version: 1

Package: libbar
Version: 1

Package: python3
Version: 3.11.2-1+b1
Multi-Arch: allowed

Package: recommended-thing
Version: 1

Package: suggested-thing
Version: 1

Package: base-files
Version: 12.4
Essential: yes
Priority: required
`;

test("follows Depends and Pre-Depends only, highest versions, first alternative, no implicit Essential", () => {
  const u = universe(basic);
  const r = sound(u, resolve(u, [{ name: "app" }]));
  assert.deepEqual(chosen(r), ["app=1.0", "init-helper=1", "libc6=2.36-9+deb12u10", "libfoo=1", "python3=3.11.2-1+b1"]);
  assert.deepEqual(r.edges, [
    { from: "app", to: "init-helper", relation: "init-helper" },
    { from: "app", to: "libc6", relation: "libc6 (>= 2.36)" },
    { from: "app", to: "libfoo", relation: "libfoo" },
    { from: "app", to: "python3", relation: "python3:any" },
  ]);
  assert.deepEqual(r.roots, [{ name: "app" }]);
  assert.equal(r.packages[0]!.name, "app");
});

test("prefer keeps a locked version while it is allowed, and pins are exact", () => {
  const u = universe(basic);
  const locked = resolve(u, [{ name: "app" }], { prefer: new Map([["libc6", "2.36-9+deb12u4"]]) });
  assert.ok(chosen(locked).includes("libc6=2.36-9+deb12u4"));
  // 2.31 no longer satisfies libc6 (>= 2.36): the preference is ignored, not obeyed.
  const stale = resolve(u, [{ name: "app" }], { prefer: new Map([["libc6", "2.31-13"]]) });
  assert.ok(chosen(stale).includes("libc6=2.36-9+deb12u10"));
  const pinned = sound(u, resolve(u, [{ name: "libc6", version: "2.31-13" }]));
  assert.deepEqual(chosen(pinned), ["libc6=2.31-13"]);
  // A pin that conflicts with a dependency's constraint is unsatisfiable, naming the pin.
  fails(() => resolve(u, [{ name: "libc6", version: "2.31-13" }, { name: "app" }]), ErrorCode.UNSATISFIABLE, "libc6 (>= 2.36)", "libc6 (= 2.31-13) for the requested packages");
});

test("alternatives prefer one already chosen, and skip ones that do not exist", () => {
  const u = universe(`${basic}
Package: tool
Version: 1
Depends: missing-thing | libbar, libfoo | libbar
`);
  // libbar is chosen for the first group, so the second group reuses it instead of adding libfoo.
  const r = sound(u, resolve(u, [{ name: "tool" }]));
  assert.deepEqual(chosen(r), ["libbar=1", "tool=1"]);
  // Both groups were met by libbar for the same relation: one edge.
  assert.deepEqual(r.edges, [{ from: "tool", to: "libbar", relation: "libbar" }]);
});

const virtuals = `Package: mailer
Version: 1
Depends: mail-transport-agent

Package: postfix
Version: 3.7
Priority: optional
Provides: mail-transport-agent
Conflicts: mail-transport-agent

Package: exim4-daemon-light
Version: 4.96
Priority: standard
Provides: mail-transport-agent
Conflicts: mail-transport-agent

Package: abi-user
Version: 1
Depends: libabi (>= 2)

Package: libabi-old
Version: 1
Provides: libabi

Package: libabi-new
Version: 1
Provides: libabi (= 2.5)

Package: realpref
Version: 1
Depends: libz

Package: libz
Version: 1

Package: zlib-ng-compat
Version: 1
Provides: libz
Priority: required
`;

test("virtual packages: priority then name among providers, versioned Provides, real names first", () => {
  const u = universe(virtuals);
  const r = sound(u, resolve(u, [{ name: "mailer" }]));
  assert.deepEqual(chosen(r), ["exim4-daemon-light=4.96", "mailer=1"]);
  assert.deepEqual(r.edges, [{ from: "mailer", to: "exim4-daemon-light", relation: "mail-transport-agent" }]);
  // An already chosen provider wins over the priority order (and does not conflict with itself).
  const both = sound(u, resolve(u, [{ name: "postfix" }, { name: "mailer" }]));
  assert.deepEqual(chosen(both), ["mailer=1", "postfix=3.7"]);
  // A versioned dependency takes only a versioned Provides that satisfies it.
  assert.deepEqual(chosen(resolve(u, [{ name: "abi-user" }])), ["abi-user=1", "libabi-new=1"]);
  // A real package of the name beats a provider with a better priority.
  assert.deepEqual(chosen(resolve(u, [{ name: "realpref" }])), ["libz=1", "realpref=1"]);
  // A virtual root is satisfied by a provider.
  assert.deepEqual(chosen(resolve(u, [{ name: "mail-transport-agent" }])), ["exim4-daemon-light=4.96"]);
});

test("two providers of a name they both conflict with cannot be chosen together", () => {
  const u = universe(virtuals);
  fails(() => resolve(u, [{ name: "postfix" }, { name: "exim4-daemon-light" }]), ErrorCode.CONFLICT, "exim4-daemon-light 4.96", "postfix 3.7", "Conflicts: mail-transport-agent");
});

const conflicts = `Package: a
Version: 1
Conflicts: b (<< 2)

Package: b
Version: 1

Package: b
Version: 2
Breaks: c

Package: c
Version: 1

Package: d
Version: 1
Depends: b (<< 2)

Package: e
Version: 1
Depends: c | f

Package: f
Version: 1
`;

test("Conflicts and Breaks respect versions, steer alternatives, and fail with CONFLICT naming both", () => {
  const u = universe(conflicts);
  // b 2 is not matched by a's `b (<< 2)`.
  assert.deepEqual(chosen(sound(u, resolve(u, [{ name: "a" }, { name: "b" }]))), ["a=1", "b=2"]);
  fails(() => resolve(u, [{ name: "a" }, { name: "d" }]), ErrorCode.CONFLICT, "a 1", "b 1", "a Conflicts: b (<< 2)");
  // b 2 Breaks c, so `c | f` takes f.
  assert.deepEqual(chosen(sound(u, resolve(u, [{ name: "b" }, { name: "e" }]))), ["b=2", "e=1", "f=1"]);
  // With c chosen, the highest b that does not break it is b 1; pinning b 2 is a conflict.
  assert.deepEqual(chosen(sound(u, resolve(u, [{ name: "c" }, { name: "b" }]))), ["b=1", "c=1"]);
  fails(() => resolve(u, [{ name: "c" }, { name: "b", version: "2" }]), ErrorCode.CONFLICT, "b 2", "c 1", "b Breaks: c");
});

test("a later constraint re-picks a version already chosen", () => {
  const u = universe(`Package: top
Version: 1
Depends: lib, mid

Package: mid
Version: 1
Depends: lib (<< 2)

Package: lib
Version: 1
Depends: old-dep

Package: lib
Version: 2
Depends: new-dep

Package: old-dep
Version: 1

Package: new-dep
Version: 1
`);
  const r = sound(u, resolve(u, [{ name: "top" }]));
  // lib 2 was picked first, then mid's constraint forced lib 1; lib 2's dependency is gone too.
  assert.deepEqual(chosen(r), ["lib=1", "mid=1", "old-dep=1", "top=1"]);
});

test("unknown roots suggest close names; a missing pinned version lists the available ones", () => {
  const u = universe(`Package: redis-server
Version: 5:7.0.15-1~deb12u1

Package: redis-server
Version: 5:7.0.15-1

Package: redis-tools
Version: 5:7.0.15-1

Package: redis-sentinel
Version: 5:7.0.15-1

Package: nginx
Version: 1.22.1-9
`);
  fails(() => resolve(u, [{ name: "redis-sever" }]), ErrorCode.NO_SUCH_PACKAGE, '"redis-sever"', /Did you mean "redis-server"/);
  fails(() => resolve(u, [{ name: "redis" }]), ErrorCode.NO_SUCH_PACKAGE, '"redis-tools"', '"redis-server"');
  fails(() => resolve(u, [{ name: "zzzzzzzz" }]), ErrorCode.NO_SUCH_PACKAGE, '"zzzzzzzz"');
  fails(() => resolve(u, [{ name: "redis-server", version: "5:7.2.4-1" }]), ErrorCode.NO_SUCH_PACKAGE, "5:7.2.4-1", "available: 5:7.0.15-1, 5:7.0.15-1~deb12u1");
  fails(() => resolve(u, [{ name: "nginx", version: "not a version" }]), ErrorCode.DEFINITION_INVALID, "not a version");
});

test("UNSATISFIABLE shows the chain from the root and the versions there are", () => {
  const u = universe(`Package: redis-server
Version: 5:7.0.15-1
Depends: redis-tools (= 5:7.0.15-1)

Package: redis-tools
Version: 5:7.0.15-1
Depends: libssl3 (>= 3.0.0), libc6

Package: libssl3
Version: 1.1.1n-0+deb11u5

Package: libssl3
Version: 3.0.0~alpha1

Package: libc6
Version: 2.36

Package: needs-ghost
Version: 1
Depends: ghost-package | libssl3 (>= 9)

Package: foreign
Version: 1
Depends: libc6:i386
`);
  fails(
    () => resolve(u, [{ name: "redis-server" }]),
    ErrorCode.UNSATISFIABLE,
    "redis-server 5:7.0.15-1 → redis-tools 5:7.0.15-1 → libssl3 (>= 3.0.0) → no version satisfies",
    "available: 3.0.0~alpha1, 1.1.1n-0+deb11u5",
  );
  fails(() => resolve(u, [{ name: "needs-ghost" }]), ErrorCode.UNSATISFIABLE, "ghost-package: no package has this name or provides it", "libssl3 (>= 9): no version satisfies");
  fails(() => resolve(u, [{ name: "foreign" }]), ErrorCode.UNSATISFIABLE, "libc6:i386: not available for amd64");
});

test("the result is the same whatever order the index lists packages in", () => {
  const text = basic + "\n" + virtuals + "\n" + conflicts.replace(/Package: (a|b|c|d|e|f)\n/g, "Package: x$1\n");
  const roots: Root[] = [{ name: "app" }, { name: "mailer" }, { name: "abi-user" }, { name: "realpref" }];
  const reference = resolve(universe(text), roots);
  let seed = 7;
  const shuffle = (xs: unknown[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
  };
  for (let k = 0; k < 5; k++) {
    const r = resolve(universe(text, shuffle), roots);
    assert.deepEqual(chosen(r), chosen(reference));
    assert.deepEqual(r.edges, reference.edges);
  }
});

test("checkResolution reports unmet dependencies, conflicts and missing roots", () => {
  const u = universe(conflicts);
  const good = resolve(u, [{ name: "d" }]);
  const broken: Solution = { roots: [{ name: "d" }, { name: "f" }], packages: good.packages.filter((p) => p.name !== "b"), edges: good.edges };
  const problems = checkResolution(u, broken);
  assert.ok(problems.some((p) => p.includes("d 1 depends on b (<< 2)")), problems.join("\n"));
  assert.ok(problems.some((p) => p.includes("root f")), problems.join("\n"));
  assert.ok(problems.some((p) => p.includes("edge d → b")), problems.join("\n"));
  const clash: Solution = { roots: [], packages: [u.get("a", "1")!, u.get("b", "1")!], edges: [] };
  assert.ok(checkResolution(u, clash).some((p) => p.includes("conflict")));
});

test("resolves redis-server and python3 against the host's real indexes, as apt would", (t) => {
  const indexes = hostPackagesIndexes();
  if (indexes.length === 0) return t.skip("no Packages index under /var/lib/apt/lists (run apt-get update)");
  const u = Universe.fromIndexes(
    indexes.map((x) => ({ repository: { suite: x.suite, component: x.component }, paragraphs: parseParagraphs(x.text) })),
    hostArchitecture(),
  );
  const start = performance.now();
  const r = resolve(u, [{ name: "redis-server" }, { name: "python3" }]);
  t.diagnostic(`resolved ${r.packages.length} packages in ${(performance.now() - start).toFixed(0)} ms`);
  assert.deepEqual(checkResolution(u, r), []);
  const names = r.packages.map((p) => p.name);
  for (const n of ["libc6", "redis-server", "redis-tools", "python3", "libpython3.11-stdlib"]) assert.ok(names.includes(n), `${n} missing`);
  assert.ok(!names.includes("bash"), "Essential packages are not pulled in implicitly");
  // apt, with an empty dpkg status, plans the same closure from the same lists.
  const plan = execFileSync(
    "apt-get",
    ["install", "-s", "--no-install-recommends", "-o", "Dir::State::status=/dev/null", "-o", "Debug::NoLocking=1", "redis-server", "python3"],
    { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } },
  );
  const apt = [...plan.matchAll(/^Inst (\S+) \((\S+) /gm)].sort((a, b) => (a[1]! < b[1]! ? -1 : 1)).map((m) => `${m[1]}=${m[2]}`);
  assert.ok(apt.length > 20, `apt planned only ${apt.length} packages:\n${plan}`);
  assert.deepEqual(chosen(r), apt);
});
