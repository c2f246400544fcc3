// Node.js applications: Debian's `nodejs`, the dependencies `npm ci` installs from the
// application's package-lock.json, and the application's own files, each in a layer of its own.
// The install is a derivation that sees only package.json and package-lock.json, so editing the
// application never runs npm again; only the top "your files" layer changes.
import * as path from "node:path";
import type { DebianPackages } from "./index.js";
import { derivation, files, text } from "./index.js";
import type { ContentSpec, DebianPackageSpec } from "./spec.js";
import { checkObject, invalid, isAbsolutePath, isBoolean, isNonEmptyString, isStringArray } from "./validate.js";
import { makeWrapper, quote } from "./wrapper.js";

export interface NodeApplicationOptions {
  /** Names the program (`/usr/bin/NAME`) and the dependencies' derivation (`NAME-node-modules`). Required. */
  name: string;
  /** The application's folder, with package.json and package-lock.json; relative to the definition's folder. Required. */
  src: string;
  /** Where the application goes in the image; default "/app". */
  destination?: string;
  /** What `/usr/bin/NAME` runs with node, then its arguments: a program of node_modules/.bin
   *  ("http-server"), a file of the application ("./server.js"), or an absolute path, run as it
   *  is. Default: the application's folder, so node runs package.json's `main` (or index.js). */
  command?: string[];
  /** Leave devDependencies out (`npm ci --omit=dev`); default true. */
  omitDev?: boolean;
  /** Run the dependencies' install scripts; default false (`--ignore-scripts`), as most
   *  packages need none and a script is code from the registry running at build time. */
  allowScripts?: boolean;
  /**
   * Debian packages the install scripts need besides node and npm: a compiler for native addons
   * (`[pkgs("python3"), pkgs("make"), pkgs("g++"), pkgs("libnode-dev")]`; with libnode-dev,
   * node-gyp takes node's headers from it, with no download). In the install only, not the image.
   */
  buildInputs?: DebianPackageSpec[];
  /** Build native addons from source rather than take a prebuilt one (`npm_config_build_from_source`). */
  buildFromSource?: boolean;
  /**
   * More paths to leave out of the image: of `src`, as files()'s `exclude` (its own node_modules
   * always is); ones that start with `node_modules/` are of the installed dependencies
   * (`node_modules/bcrypt/src`, `node_modules/**\/*.md`). Prebuilt addons for other platforms
   * (`prebuilds/darwin-x64`, `…/linux-arm64` in an amd64 image, musl builds) are always left out.
   */
  exclude?: string[];
}

export interface NodePackages {
  /** The contents of a Node application: give the array to an image's `contents`. */
  application(options: NodeApplicationOptions): ContentSpec[];
}

// Inside the derivation, where package.json and the lock are copied from.
const INPUT_DIR = "/src";

/** Node.js from the Debian package set given: `node(pkgs).application({ name, src })`. */
export function node(pkgs: DebianPackages): NodePackages {
  if (typeof pkgs !== "function" || (pkgs as { spec?: { kind?: string } }).spec?.kind !== "debian-set") {
    invalid("node() argument", 'must be a package set: node(debian({ suite: "bookworm" }))');
  }
  return { application: (options) => application(pkgs, options) };
}

function application(pkgs: DebianPackages, options: NodeApplicationOptions): ContentSpec[] {
  checkObject(options, "node().application()", {
    name: (v: unknown, at: string) => {
      if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(v)) invalid(at, "must be a name of letters, digits and . _ + -");
    },
    src: isNonEmptyString,
    destination: isAbsolutePath,
    command: (v: unknown, at: string) => {
      isStringArray(v, at);
      if (!(v as string[]).length || !(v as string[])[0]) invalid(at, 'must start with a program, e.g. ["http-server", "public"]');
    },
    omitDev: isBoolean,
    allowScripts: isBoolean,
    buildInputs: (v: unknown, at: string) => {
      if (!Array.isArray(v) || !v.every((x) => (x as { kind?: unknown })?.kind === "debian-package")) invalid(at, 'must be a list of packages, e.g. [pkgs("make"), pkgs("g++")]');
    },
    buildFromSource: isBoolean,
    exclude: isStringArray,
  }, ["name", "src"]);
  const { name, src } = options;
  const moduleExcludes = (options.exclude ?? []).filter((e) => e.startsWith("node_modules/")).map((e) => e.slice("node_modules/".length)).filter(Boolean).sort();
  const srcExcludes = (options.exclude ?? []).filter((e) => !e.startsWith("node_modules/"));
  const destination = (options.destination ?? "/app").replace(/\/+$/, "") || "/";
  const install = derivation({
    name: `${name}-node-modules`,
    inputs: [
      pkgs("nodejs"),
      pkgs("npm"),
      ...(options.buildInputs ?? []),
      files(path.join(src, "package.json"), `${INPUT_DIR}/package.json`),
      files(path.join(src, "package-lock.json"), `${INPUT_DIR}/package-lock.json`),
      text(`${INPUT_DIR}/check-lock.cjs`, CHECK_LOCK),
      text(`${INPUT_DIR}/prune.cjs`, PRUNE),
      text(`${INPUT_DIR}/prune.json`, JSON.stringify({ arch: NODE_ARCH[pkgs.spec.architecture] ?? pkgs.spec.architecture, exclude: moduleExcludes })),
    ],
    build: installScript(path.posix.join(destination, "node_modules"), options.omitDev ?? true, options.allowScripts ?? false, {
      nodeHeaders: (options.buildInputs ?? []).some((p) => p.name === "libnode-dev"), fromSource: options.buildFromSource ?? false,
    }),
    network: true,
  });
  return [
    pkgs("nodejs"),
    pkgs("dash"), // the wrapper is a /bin/sh script
    install,
    files(src, destination, { exclude: ["node_modules", ...srcExcludes] }),
    entryPoint(name, destination, options.command),
  ];
}

// Every package npm downloads must have its sha512 in the lock: that hash, which `npm ci` checks,
// is what makes the download trustworthy (as a Nix fixed-output derivation's hash), whatever
// the transport.
const CHECK_LOCK = `const lock = JSON.parse(require("fs").readFileSync("package-lock.json", "utf8"));
if (!lock.packages) {
  console.error("package-lock.json is lockfileVersion " + lock.lockfileVersion + ": write version 3 with npm 7 or later (npm install --package-lock-only).");
  process.exit(1);
}
const unhashed = Object.entries(lock.packages)
  .filter(([p, e]) => p && !e.link && !e.inBundle && !e.integrity && !String(e.resolved ?? "").startsWith("file:"))
  .map(([p]) => p);
if (unhashed.length) {
  console.error("package-lock.json has no integrity hash for " + unhashed.join(", ") + ": use registry versions (not git or URL dependencies) and run npm install --package-lock-only.");
  process.exit(1);
}
`;

/** Debian's architectures as Node names them (process.arch), for prebuilds/<platform>-<arch>. */
const NODE_ARCH: Record<string, string> = { amd64: "x64", arm64: "arm64", armhf: "arm", armel: "arm", i386: "ia32", ppc64el: "ppc64", s390x: "s390x", riscv64: "riscv64", mips64el: "mips64el" };

// node-gyp-build's prebuilds/<platform>-<arch>[+<arch>]/ folders: only linux for this image's CPU,
// and not the musl builds (Debian is glibc); then the user's node_modules/ excludes (globs).
const PRUNE = `const fs = require("fs"), path = require("path");
const { arch, exclude } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// A glob as files()'s exclude reads it: ** any depth (none too), * and ? within one name; a match takes what is below it.
const glob = (g) => {
  let re = "";
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (g.startsWith("**/", i)) { re += "(?:.*/)?"; i += 2; }
    else if (g.startsWith("**", i)) { re += ".*"; i += 1; }
    else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^\${}()|[\\]\\\\]/g, "\\\\$&");
  }
  return new RegExp("^" + re + "(?:/.*)?$");
};
const patterns = exclude.map(glob);
let removed = 0;
const drop = (p) => { fs.rmSync(p, { recursive: true, force: true }); removed++; };
const walk = (dir, rel) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name), r = rel ? rel + "/" + e.name : e.name;
    if (patterns.some((re) => re.test(r))) { drop(p); continue; }
    if (e.isDirectory() && path.basename(dir) === "prebuilds") {
      const [platform, archs = ""] = e.name.split(/-(.*)/s);
      if (platform !== "linux" || !archs.split("+").includes(arch)) { drop(p); continue; }
      for (const f of fs.readdirSync(p)) if (/\\.musl\\./.test(f)) drop(path.join(p, f));
      continue;
    }
    if (e.isDirectory() && !e.isSymbolicLink()) walk(p, r);
  }
};
if (fs.existsSync("node_modules")) walk("node_modules", "");
if (removed) console.log("left out " + removed + " paths of node_modules (other platforms' prebuilt addons, and the excludes)");
`;

const ENV_NODE = "^#![[:space:]]*/usr/bin/env[[:space:]][[:space:]]*node\\b";

/** `npm ci` from the lock alone (it fails when package.json and the lock disagree), moved to the image's place. */
export function installScript(modules: string, omitDev: boolean, allowScripts: boolean, addons: { nodeHeaders?: boolean; fromSource?: boolean } = {}): string {
  const flags = ["--no-audit", "--no-fund", "--no-update-notifier", ...(omitDev ? ["--omit=dev"] : []), ...(allowScripts ? [] : ["--ignore-scripts"])];
  return [
    // node-gyp finds node's headers in libnode-dev (/usr/include/node) instead of downloading them.
    ...(addons.nodeHeaders ? ["export npm_config_nodedir=/usr"] : []),
    ...(addons.fromSource ? ["export npm_config_build_from_source=true"] : []),
    `cp ${INPUT_DIR}/package.json ${INPUT_DIR}/package-lock.json .`,
    `node ${INPUT_DIR}/check-lock.cjs`,
    `npm ci ${flags.join(" ")}`,
    `node ${INPUT_DIR}/prune.cjs ${INPUT_DIR}/prune.json`,
    // patchShebangs, as Nix does: programs in node_modules start with `#!/usr/bin/env node`, which
    // would need coreutils' env in the image for nothing.
    `grep -rlIZ '${ENV_NODE}' node_modules 2>/dev/null | xargs -0 -r sed -i '1s|${ENV_NODE}|#!/usr/bin/node|'`,
    // npm's download cache stays in $HOME (/build); only node_modules leaves the sandbox.
    `mkdir -p "$out"${quote(path.posix.dirname(modules))}`,
    // An application without dependencies gets no node_modules; an empty one keeps the layer.
    `if [ -d node_modules ]; then mv node_modules "$out"${quote(modules)}; else mkdir "$out"${quote(modules)}; fi`,
  ].join("\n");
}

function entryPoint(name: string, destination: string, command: string[] | undefined): ContentSpec {
  const wrapper = `/usr/bin/${name}`;
  const opts = { chdir: destination, setDefault: { NODE_ENV: "production" } };
  if (!command) return makeWrapper("/usr/bin/node", wrapper, { ...opts, addFlags: [destination] });
  const [program, ...args] = command as [string, ...string[]];
  if (program.startsWith("/")) return makeWrapper(program, wrapper, { ...opts, addFlags: args });
  // node_modules/.bin holds links to scripts that start with `#!/usr/bin/env node`: running them
  // with node directly spares the image coreutils' env.
  const script = program.includes("/") ? path.posix.join(destination, program) : path.posix.join(destination, "node_modules/.bin", program);
  if (!script.startsWith(`${destination === "/" ? "" : destination}/`)) invalid("node().application().command[0]", `must stay inside ${destination}`);
  return makeWrapper("/usr/bin/node", wrapper, { ...opts, addFlags: [script, ...args] });
}
