import { test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { ErrorCode, isCairnError } from "../errors.js";
import { derivationsOf } from "../steps/derivation.js";
import { buildImage, buildLayeredImage, CA_BUNDLE_PATHS, debian, derivation, fetchzip, files, text } from "./index.js";

/** Asserts `fn` throws DEFINITION_INVALID whose message names `at` (the field path). */
function rejects(fn: () => unknown, at: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), `expected a CairnError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
    assert.ok(e.message.includes(at), `message ${JSON.stringify(e.message)} should name ${at}`);
    return true;
  });
}

const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

test("a full definition is plain data that survives a JSON round trip", () => {
  const pkgs = debian({ suite: "bookworm" });
  const spec = buildLayeredImage({
    name: "redis",
    tag: "7",
    contents: [pkgs("redis-server"), files("./redis.conf", "/etc/redis/redis.conf", { mode: 0o644 }), text("/etc/motd", "hi\n")],
    users: [{ name: "redis", uid: 999, home: "/data" }],
    groups: [{ name: "ops", gid: 500, members: ["redis"] }],
    config: { Cmd: ["redis-server"], ExposedPorts: { "6379/tcp": {} }, Volumes: { "/data": {} }, WorkingDir: "/data", User: "redis", Labels: { a: "b" } },
  });
  assert.deepEqual(roundTrip(spec), spec);
  assert.equal(spec.kind, "image");
  assert.equal(spec.layered, true);
  assert.equal(spec.maxLayers, 100);
  assert.equal(spec.architecture, "amd64");
  assert.deepEqual(spec.contents[0], { kind: "debian-package", name: "redis-server", set: { kind: "debian-set", suite: "bookworm", architecture: "amd64", checkValidUntil: true } });
  assert.deepEqual(spec.contents[1], { kind: "files", source: "./redis.conf", destination: "/etc/redis/redis.conf", mode: 0o644 });
  assert.deepEqual(spec.contents[2], { kind: "text", destination: "/etc/motd", text: "hi\n" });
});

test("defaults: tag latest, one layer for buildImage, empty lists and config", () => {
  const spec = buildImage({ name: "dummy" });
  assert.deepEqual(spec, {
    kind: "image", layered: false, name: "dummy", tag: "latest", contents: [], users: [], groups: [], config: {}, maxLayers: 1, architecture: "amd64",
    closure: "runtime", keep: [], exclude: [], trim: { docs: true, man: true, info: true, locales: [], packaging: true, charsets: true },
  });
  assert.equal(buildLayeredImage({ name: "dummy", maxLayers: 7 }).maxLayers, 7);
});

test("debian(): sources default to the main component; architecture flows into the image", () => {
  const pkgs = debian({ sources: [{ uri: "http://127.0.0.1:1/debian", suites: ["stable"] }], architecture: "arm64", checkValidUntil: false });
  assert.deepEqual(pkgs.spec, {
    kind: "debian-set", sources: [{ uri: "http://127.0.0.1:1/debian", suites: ["stable"], components: ["main"] }], architecture: "arm64", checkValidUntil: false,
  });
  assert.equal(buildImage({ name: "x", contents: [pkgs("hello")] }).architecture, "arm64");
  const amd = debian();
  rejects(() => buildImage({ name: "x", contents: [pkgs("hello"), amd("hello")] }), "buildImage().contents");
});

test("pkgs(\"name=version\") pins like apt-get", () => {
  const pkgs = debian();
  assert.deepEqual(pkgs("redis-server=5:7.0.15-1~deb12u1"), { kind: "debian-package", name: "redis-server", version: "5:7.0.15-1~deb12u1", set: pkgs.spec });
  assert.deepEqual(pkgs("libc6", { version: "2.36-9" }), { kind: "debian-package", name: "libc6", version: "2.36-9", set: pkgs.spec });
  assert.equal(pkgs("libc6").version, undefined);
  rejects(() => pkgs("Redis"), '"Redis"');
  rejects(() => pkgs("a"), '"a"');
  rejects(() => pkgs("=1.0"), '"=1.0"');
  rejects(() => pkgs("libc6", { version: "" }), 'options of package "libc6".version');
  rejects(() => pkgs("libc6", { versoin: "1" } as never), 'options of package "libc6".versoin');
});

test("unknown keys are rejected with the field's path", () => {
  rejects(() => buildLayeredImage({ name: "x", config: { Cmnd: ["sh"] } as never }), "buildLayeredImage().config.Cmnd");
  rejects(() => buildImage({ name: "x", contnets: [] } as never), "buildImage().contnets");
  rejects(() => buildImage({ name: "x", users: [{ name: "a", uid: 1, homedir: "/a" } as never] }), "buildImage().users[0].homedir");
  rejects(() => debian({ suit: "bookworm" } as never), "debian().suit");
  rejects(() => debian({ sources: [{ uri: "http://127.0.0.1/", suites: ["s"], component: ["main"] } as never] }), "debian().sources[0].component");
  rejects(() => text("/a", "b", { mod: 0o644 } as never), "text() options.mod");
  // Names that Object.prototype happens to have are still unknown fields.
  rejects(() => buildImage({ name: "x", config: { toString: ["sh"] } as never }), "buildImage().config.toString");
  rejects(() => buildImage({ name: "x", constructor: 1 } as never), "buildImage().constructor");
});

test("required fields and value checks", () => {
  rejects(() => buildImage({} as never), "buildImage().name");
  rejects(() => buildImage(undefined as never), "buildImage()");
  rejects(() => buildImage({ name: "x", users: [{ name: "a" } as never] }), "buildImage().users[0].uid");
  rejects(() => buildImage({ name: "x", groups: [{ name: "g", gid: -1 }] }), "buildImage().groups[0].gid");
  rejects(() => buildImage({ name: "x", contents: [{ kind: "nix" } as never] }), "buildImage().contents[0]");
  rejects(() => buildImage({ name: "x", config: { ExposedPorts: { "80/tcp": { x: 1 } } as never } }), 'buildImage().config.ExposedPorts["80/tcp"]');
  rejects(() => buildImage({ name: "x", config: { Env: "A=1" as never } }), "buildImage().config.Env");
  rejects(() => buildImage({ name: "x", config: { WorkingDir: "data" } }), "buildImage().config.WorkingDir");
});

test("bad names and tags are rejected", () => {
  for (const name of ["Redis", "", "-x", "a b", "a//b", "a/", "x_"]) rejects(() => buildImage({ name }), "buildImage().name");
  for (const name of ["redis", "team/app", "a.b-c_d", "a0/b1/c2"]) assert.equal(buildImage({ name }).name, name);
  for (const tag of ["", "-x", ".x", "a b", "a:b", "x".repeat(129)]) rejects(() => buildImage({ name: "x", tag }), "buildImage().tag");
  for (const tag of ["7", "latest", "7.0.15-bookworm", "_x", "x".repeat(128)]) assert.equal(buildImage({ name: "x", tag }).tag, tag);
});

test("modes, ids and paths of files() and text()", () => {
  for (const mode of [-1, 0o10000, 1.5, "755"]) rejects(() => files("a", "/a", { mode: mode as number }), "files() options.mode");
  assert.equal(files("a", "/a", { mode: 0o4755 }).mode, 0o4755);
  rejects(() => text("/a", "x", { uid: -3 }), "text() options.uid");
  rejects(() => text("/a", "x", { gid: 2 ** 32 }), "text() options.gid");
  for (const dest of ["etc/x", "/etc/../x", "", ".."]) rejects(() => files("a", dest), "files() destination");
  rejects(() => text("etc/motd", "x"), "text() destination");
  for (const dest of ["/", "/etc/", "/etc/."]) rejects(() => text(dest, "x"), "text() destination");
  rejects(() => text("/etc/motd", 5 as never), "text() content");
  rejects(() => files("", "/a"), "files() source");
});

test("files() accepts a file: URL and decodes it to a path", () => {
  const url = new URL("./my app/conf file.txt", pathToFileURL("/srv/def/image.ts"));
  assert.equal(files(url, "/etc/conf").source, "/srv/def/my app/conf file.txt");
  rejects(() => files(new URL("http://127.0.0.1/x"), "/x"), "files() source");
});

test("maxLayers: only for buildLayeredImage, within what engines accept", () => {
  rejects(() => buildImage({ name: "x", maxLayers: 3 } as never), "buildImage().maxLayers");
  for (const n of [1, 126, 2.5, "10"]) rejects(() => buildLayeredImage({ name: "x", maxLayers: n as number }), "buildLayeredImage().maxLayers");
  assert.equal(buildLayeredImage({ name: "x", maxLayers: 125 }).maxLayers, 125);
});

test("created is kept only when given", () => {
  assert.equal(buildImage({ name: "x", created: "now" }).created, "now");
  assert.equal("created" in buildImage({ name: "x" }), false);
  rejects(() => buildImage({ name: "x", created: "" }), "buildImage().created");
});

test("runAsRoot and extraCommands: a script alone, or with tools and network", () => {
  const pkgs = debian();
  assert.deepEqual(buildImage({ name: "x", runAsRoot: "useradd app" }).runAsRoot, { kind: "step", script: "useradd app", tools: [], network: false });
  const step = buildLayeredImage({ name: "x", extraCommands: { script: "mkdir tmp", tools: [pkgs("passwd")], network: true } }).extraCommands;
  assert.deepEqual(step, { kind: "step", script: "mkdir tmp", tools: [pkgs("passwd")], network: true });
  assert.deepEqual(roundTrip(step), step);
  assert.equal("runAsRoot" in buildImage({ name: "x" }), false);
  rejects(() => buildImage({ name: "x", runAsRoot: "" }), "buildImage().runAsRoot.script");
  rejects(() => buildImage({ name: "x", runAsRoot: { tools: [] } as never }), "buildImage().runAsRoot.script");
  rejects(() => buildImage({ name: "x", runAsRoot: { script: "true", network: "yes" } as never }), "buildImage().runAsRoot.network");
  rejects(() => buildImage({ name: "x", runAsRoot: { script: "true", tool: [] } as never }), "buildImage().runAsRoot.tool");
  rejects(() => buildLayeredImage({ name: "x", extraCommands: { script: "true", tools: ["passwd"] } as never }), "buildLayeredImage().extraCommands.tools[0]");
  rejects(() => buildImage({ name: "x", extraCommands: { script: "true", tools: [files("a", "/a")] } as never }), "buildImage().extraCommands.tools[0]");
  rejects(() => buildImage({ name: "x", runAsRoot: 5 as never }), "buildImage().runAsRoot");
});

test("derivation(): checked where it is written, usable in contents and inputs", () => {
  const pkgs = debian();
  const lib = derivation({ name: "lib", build: "mkdir -p $out/usr/lib" });
  assert.deepEqual(lib, { kind: "derivation", name: "lib", inputs: [], build: "mkdir -p $out/usr/lib", network: false });
  const app = derivation({ name: "app_1.0+x", inputs: [pkgs("gcc"), files("./src", "/build/src"), text("/build/a", "a"), lib], build: "make", network: true });
  assert.equal(app.inputs.length, 4);
  assert.equal(app.network, true);
  const image = buildImage({ name: "x", contents: [pkgs("libc6"), app] });
  assert.equal(image.contents[1], app);
  assert.deepEqual(roundTrip(image), image);

  for (const name of ["", "-x", ".x", "a b", "a/b", "ünï"]) rejects(() => derivation({ name, build: "true" }), "derivation().name");
  rejects(() => derivation({ name: "x" } as never), "derivation().build");
  rejects(() => derivation({ name: "x", build: "" }), "derivation().build");
  rejects(() => derivation({ build: "true" } as never), "derivation().name");
  rejects(() => derivation({ name: "x", build: "true", inputs: ["gcc"] as never }), "derivation().inputs[0]");
  rejects(() => derivation({ name: "x", build: "true", inputs: [{ kind: "step", script: "x" }] as never }), "derivation().inputs[0]");
  rejects(() => derivation({ name: "x", build: "true", inputs: pkgs("gcc") as never }), "derivation().inputs");
  rejects(() => derivation({ name: "x", build: "true", network: 1 } as never), "derivation().network");
  rejects(() => derivation({ name: "x", build: "true", out: "/out" } as never), "derivation().out");
});

test("derivationsOf: every derivation once, dependencies first; one name, one derivation", () => {
  const pkgs = debian();
  const a = derivation({ name: "a", build: "echo a" });
  const b = derivation({ name: "b", inputs: [a], build: "echo b" });
  const c = derivation({ name: "c", inputs: [b, a, pkgs("gcc")], build: "echo c" });
  const d = derivation({ name: "d", inputs: [a], build: "echo d" });
  assert.deepEqual(derivationsOf([pkgs("libc6"), c, d, text("/x", "x")]).map((x) => x.name), ["a", "b", "c", "d"]);
  assert.deepEqual(derivationsOf([d, c]).map((x) => x.name), ["a", "d", "b", "c"]);
  assert.deepEqual(derivationsOf([pkgs("libc6")]), []);
  // The same definition written twice is one derivation.
  assert.deepEqual(derivationsOf([b, derivation({ name: "b", inputs: [a], build: "echo b" })]).map((x) => x.name), ["a", "b"]);
  const clash = derivation({ name: "a", build: "echo another a" });
  for (const contents of [[a, clash], [c, clash], [derivation({ name: "top", inputs: [b, clash], build: "x" })]]) {
    assert.throws(() => derivationsOf(contents), (e: unknown) => {
      assert.ok(isCairnError(e));
      assert.equal(e.code, ErrorCode.DEFINITION_INVALID);
      assert.match(e.message, /Two different derivations are named "a"/);
      return true;
    });
  }
});

test("files() exclude: names, globs and relative paths, kept sorted; '..' and empty patterns are refused", () => {
  assert.deepEqual(files("./app", "/app", { exclude: ["node_modules", "*.log"] }), { kind: "files", source: "./app", destination: "/app", exclude: ["*.log", "node_modules"] });
  assert.equal("exclude" in files("./app", "/app", { exclude: [] }), false, "an empty list leaves the spec as it was");
  for (const bad of ["", "/", "../x", "a/../b"]) rejects(() => files("./app", "/app", { exclude: [bad] }), "files() options.exclude[0]");
  rejects(() => files("./app", "/app", { exclude: "node_modules" as never }), "files() options.exclude");
});

test("caBundleLinks: true for the usual paths, or a list, normalised and sorted; absent when empty", () => {
  assert.deepEqual(buildImage({ name: "t", caBundleLinks: true }).caBundleLinks, [...CA_BUNDLE_PATHS].sort());
  assert.ok(CA_BUNDLE_PATHS.includes("/etc/pki/tls/certs/ca-bundle.crt") && CA_BUNDLE_PATHS.includes("/etc/ssl/certs/ca-bundle.crt"));
  assert.deepEqual(buildImage({ name: "t", caBundleLinks: ["/opt/b.pem", "//opt/./a.pem", "/opt/b.pem"] }).caBundleLinks, ["/opt/a.pem", "/opt/b.pem"]);
  for (const v of [false, [] as string[], undefined]) assert.equal("caBundleLinks" in buildImage({ name: "t", caBundleLinks: v }), false);
  rejects(() => buildImage({ name: "t", caBundleLinks: ["etc/x.pem"] }), "buildImage().caBundleLinks[0]");
  rejects(() => buildImage({ name: "t", caBundleLinks: ["/etc/ssl/certs/ca-certificates.crt"] }), "buildImage().caBundleLinks[0]");
  rejects(() => buildImage({ name: "t", caBundleLinks: ["/etc/pki/"] }), "buildImage().caBundleLinks[0]");
  rejects(() => buildImage({ name: "t", caBundleLinks: "yes" as unknown as boolean }), "buildImage().caBundleLinks");
});

test("users: homeMode is a file mode", () => {
  assert.equal(buildImage({ name: "t", users: [{ name: "app", uid: 1000, home: "/home/app", homeMode: 0o700 }] }).users[0]!.homeMode, 0o700);
  rejects(() => buildImage({ name: "t", users: [{ name: "app", uid: 1000, homeMode: 0o10000 }] }), "buildImage().users[0].homeMode");
  rejects(() => buildImage({ name: "t", users: [{ name: "app", uid: 1000, homeMode: "700" as unknown as number }] }), "buildImage().users[0].homeMode");
});

test("fetchzip(): an http(s) URL, a folder destination, stripRoot on unless said off; the sha256 as hex from hex or SRI", () => {
  const hex = "ab".repeat(32);
  const z = fetchzip({ url: "https://example.org/r-1.tar.gz", sha256: `sha256-${Buffer.from(hex, "hex").toString("base64")}` }, "/src/r/");
  assert.equal(z.sha256, hex);
  assert.deepEqual(z.unpack, { stripRoot: true });
  assert.deepEqual(fetchzip({ url: "https://example.org/r.tar" }, "/src").unpack, { stripRoot: true });
  assert.deepEqual(fetchzip({ url: "https://example.org/r.tar", stripRoot: false }, "/src").unpack, { stripRoot: false });
  rejects(() => fetchzip({ url: "ftp://example.org/r.tar" }, "/src"), "fetchzip() url");
  rejects(() => fetchzip({ url: "https://example.org/r.tar", stripRoot: "yes" as never }, "/src"), "stripRoot");
  rejects(() => fetchzip({ url: "https://example.org/r.tar", sha256: "abc" }, "/src"), "fetchzip() sha256");
  rejects(() => fetchzip({ url: "https://example.org/r.tar" }, "src"), "fetchzip() destination");
});
