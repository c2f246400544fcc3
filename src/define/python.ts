// Python on Debian's packages (nixpkgs' python3.withPackages, buildPythonApplication and
// buildPythonPackage): the interpreter is Debian's python3, libraries are Debian's python3-*
// packages (they all land in /usr/lib/python3/dist-packages, which python3 reads, so no wrapper or
// PYTHONPATH is needed), and what Debian lacks is built from a local source directory by pip,
// offline, in a derivation.
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { DebianPackages } from "./index.js";
import { derivation, files } from "./index.js";
import type { ContentSpec, DebianPackageSpec, DebianSetSpec, DerivationSpec, PythonProjectSpec } from "./spec.js";
import { checkObject, invalid, isBoolean, isNonEmptyString, isStringArray } from "./validate.js";
import { makeWrapper, quote } from "./wrapper.js";
import { parseToml } from "./toml.js";
import { parsePyproject, requirementName } from "./pyproject.js";
import { formatOf, type RequirementsFormat } from "./python-requirements.js";
import { recordCallSite, setPythonRequirement } from "./call-site.js";

export { parsePyproject, parseToml, requirementName };
export type { Pyproject } from "./pyproject.js";

export interface PythonOptions {
  /** The interpreter: Debian's `python3` (the suite's default Python 3). */
  version?: "3";
}

export interface ApplicationOptions {
  /** The command's name: `/usr/bin/NAME` runs the application. Required. */
  name: string;
  /** A file (".py") or directory of sources; a relative path is taken from the definition's folder (as files()). Required. */
  src: string | URL;
  /** Script to run, relative to `destination`; default: the file's name when `src` is a file. */
  main?: string;
  /** Module to run with `python3 -m` instead of a script (`destination` is put on PYTHONPATH). */
  module?: string;
  /** Python distributions the application imports, as Debian's python3-* packages ("starlette",
   *  or with the version asked, "humanize>=4", which the build compares with Debian's).
   *  Default: `[project].dependencies` of `src/pyproject.toml` when `src` is a directory (none when
   *  that pyproject.toml is the `requirements`). */
  dependencies?: string[];
  /** Where the sources go in the image; default "/app". */
  destination?: string;
  /** Compile the sources to bytecode at build time (checked-hash .pyc files, so they stay valid
   *  whatever the files' times). Default false. */
  compile?: boolean;
  /**
   * Packages from an index (PyPI, or the one PIP_INDEX_URL / pip.conf names), installed by pip in
   * a derivation with the network, wheels first, beside Debian's packages: a requirements.txt, a
   * `uv.lock`, a `pylock.toml`, or a `pyproject.toml` (its [project].dependencies); relative to the
   * definition's folder. A file that pins every package by hash is installed as it is; otherwise
   * pip resolves it on the first build and cairn.lock pins each package's version and hash.
   * Distributions listed in `dependencies` are Debian's and not installed from the index.
   */
  requirements?: string | URL;
  /** Debian packages pip needs to build an sdist from `requirements` (a build backend, a compiler). */
  tools?: DebianPackageSpec[];
}

export interface PythonPackageOptions {
  /** The distribution's name ("pdftk-wrapper"); the derivation is named python3-NAME. Required. */
  name: string;
  /** Its source directory (setup.py or pyproject.toml, pure Python); relative to the definition's folder. Required. */
  src: string | URL;
  /**
   * Debian packages the build needs besides pip, setuptools and wheel: the build backend its
   * pyproject.toml names (`[pkgs("python3-hatchling")]`, `python3-flit-core`, `python3-poetry-core`,
   * `python3-setuptools-scm`). In the build only, not the image.
   */
  tools?: DebianPackageSpec[];
}

export interface Python {
  /** The interpreter's path in the image. */
  readonly interpreter: string;
  /** python3 and the Debian packages of these distributions: `py.env(["pyramid"])`. */
  env(names: string[]): ContentSpec[];
  /** Sources copied into the image, their dependencies, and `/usr/bin/NAME` running them. */
  application(options: ApplicationOptions): ContentSpec[];
  /** A pure-Python distribution Debian lacks, installed by pip from `src` into dist-packages. */
  package(options: PythonPackageOptions): DerivationSpec;
}

const DIST_PACKAGES = "/usr/lib/python3/dist-packages";

/** Debian names some distributions after the module they provide, not after PyPI. */
const DEBIAN_ALIASES: Record<string, string> = {
  pyyaml: "yaml", pillow: "pil", beautifulsoup4: "bs4", pyjwt: "jwt", attrs: "attr",
  "scikit-learn": "sklearn", pyopenssl: "openssl", pyserial: "serial", pyzmq: "zmq",
};

/**
 * The Debian package of a Python distribution: `python3-` and the name lowercased with `_` as
 * `-` (Debian's Python policy), a leading `python-` dropped (`python-dateutil`), a few known
 * renames (`PyYAML` → python3-yaml). A name already starting with `python3-` is taken as it is.
 */
export function debianPythonName(name: string, at = "python() name"): string {
  if (typeof name !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    invalid(`${at} ${JSON.stringify(name)}`, 'is not a Python distribution name (give the bare name, like "django-crispy-forms"; the version is the Debian package\'s)');
  }
  let n = name.toLowerCase().replace(/_/g, "-");
  if (n.startsWith("python3-")) return n;
  if (n.startsWith("python-") && n.length > 7) n = n.slice(7);
  return `python3-${DEBIAN_ALIASES[n] ?? n}`;
}

const isFileName = (v: unknown, at: string) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(v)) invalid(at, "must be a name of letters, digits and . _ + -");
};
const isSource = (v: unknown, at: string) => {
  if (!(v instanceof URL)) isNonEmptyString(v, at);
};
const isRelativePath = (v: unknown, at: string) => {
  if (typeof v !== "string" || !v || v.startsWith("/") || v.split("/").includes("..")) invalid(at, "must be a path relative to destination, without '..'");
};
const isModule = (v: unknown, at: string) => {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(v)) invalid(at, 'must be a dotted module name like "app.main"');
};

/** The path a source names on this machine, when the definition can know it (a URL or an absolute path). */
function localPath(src: string | URL): string | undefined {
  if (src instanceof URL) return src.protocol === "file:" ? fileURLToPath(src) : undefined;
  return path.isAbsolute(src) ? src : undefined;
}

/** Python from Debian: `const py = python(pkgs)`, then `py.env([...])`, `py.application({...})`, `py.package({...})`. */
export function python(pkgs: DebianPackages, options: PythonOptions = {}): Python {
  if (typeof pkgs !== "function" || (pkgs as { spec?: { kind?: string } }).spec?.kind !== "debian-set") invalid("python() first argument", "must be a package set: python(debian({ ... }))");
  checkObject(options, "python() options", { version: (v, at) => { if (v !== "3") invalid(at, 'must be "3" (Debian\'s python3)'); } });
  const interpreter = "/usr/bin/python3";
  const deps = (names: string[], at: string) => names.map((n, k) => pkgs(debianPythonName(n, `${at}[${k}]`)));

  const env = (names: string[]): ContentSpec[] => {
    isStringArray(names, "python().env() names");
    return [pkgs("python3"), ...deps(names, "python().env() names")];
  };

  const application = (o: ApplicationOptions): ContentSpec[] => {
    checkObject(o, "python().application()", {
      name: isFileName, src: isSource, main: isRelativePath, module: isModule, dependencies: isStringArray,
      destination: (v, at) => { if (typeof v !== "string" || !/^\/./.test(v) || v.split("/").includes("..")) invalid(at, "must be an absolute path without '..', not /"); },
      compile: isBoolean,
      requirements: isSource,
      tools: (v, at) => { if (!Array.isArray(v) || !v.every((x) => (x as { kind?: unknown })?.kind === "debian-package")) invalid(at, 'must be a list of packages, e.g. [pkgs("python3-hatchling")]'); },
    }, ["name", "src"]);
    const at = `python().application("${o.name}")`;
    const dest = (o.destination ?? "/app").replace(/\/+$/, "");
    const local = localPath(o.src);
    const srcName = path.basename(local ?? String(o.src));
    const isFile = local ? existsSync(local) && statSync(local).isFile() : srcName.endsWith(".py");
    if (o.main !== undefined && o.module !== undefined) invalid(`${at}`, "takes main or module, not both");
    const main = o.module === undefined ? (o.main ?? (isFile ? srcName : undefined)) : undefined;
    if (main === undefined && o.module === undefined) invalid(`${at}.main`, "is required when src is a directory (the script to run, relative to destination), or give module");

    const reqFile = o.requirements === undefined ? undefined : String(o.requirements instanceof URL ? o.requirements.pathname : o.requirements);
    const reqFormat = reqFile === undefined ? undefined : formatOf(reqFile);
    const names = o.dependencies ?? [];
    // A project folder's own dependencies are read from its pyproject.toml by the build.
    const project = o.dependencies === undefined && !isFile && reqFormat !== "pyproject"
      ? [recordCallSite<PythonProjectSpec>({ kind: "python-project", source: String(local ?? o.src), set: (pkgs as unknown as { spec: DebianSetSpec }).spec, at, ...(reqFile ? { requirements: path.basename(reqFile) } : {}) })]
      : [];
    const debianDeps = names.map((n, k) => marked(pkgs(debianPythonName(requirementName(n).name, `${at}.dependencies[${k}]`)), n));
    const sources = isFile ? `${dest}/${srcName}` : dest;
    const code = o.compile ? compiled(o.name, o.src, sources, dest, isFile, pkgs) : files(o.src, sources);
    const run = main !== undefined ? { addFlags: [`${dest}/${main}`] } : { addFlags: ["-m", o.module!], prefix: { PYTHONPATH: [dest] } };
    return [
      pkgs("python3"), pkgs("dash"), ...debianDeps, ...project,
      ...(o.requirements !== undefined ? [fromIndex(o.name, o.requirements, reqFormat!, names, [...(o.tools ?? []), ...debianDeps], pkgs)] : []),
      code,
      makeWrapper(interpreter, `/usr/bin/${o.name}`, run),
    ];
  };

  const pkg = (o: PythonPackageOptions): DerivationSpec => {
    checkObject(o, "python().package()", {
      name: isFileName, src: isSource,
      tools: (v, at) => { if (!Array.isArray(v) || !v.every((x) => (x as { kind?: unknown })?.kind === "debian-package")) invalid(at, 'must be a list of packages, e.g. [pkgs("python3-hatchling")]'); },
    }, ["name", "src"]);
    const drvName = debianPythonName(o.name, "python().package() name");
    const target = `$out${DIST_PACKAGES}`;
    return derivation({
      name: drvName,
      inputs: [pkgs("python3-pip"), pkgs("python3-setuptools"), pkgs("python3-wheel"), ...(o.tools ?? []), files(o.src, "/src")],
      // A copy: setuptools writes build/ and *.egg-info beside the sources. --target skips both
      // PEP 668's "externally managed" refusal and pip's /usr/local scheme; no index, no network.
      build: [
        "cp -R /src /build/src",
        "cd /build/src",
        // A wheel is a zip, which cannot hold times before 1980; backends (hatchling, flit) stamp
        // it with SOURCE_DATE_EPOCH. The wheel is only a step to the installed files.
        'if [ "${SOURCE_DATE_EPOCH:-0}" -lt 315532800 ]; then export SOURCE_DATE_EPOCH=315532800; fi',
        `python3 -m pip install --no-index --no-deps --no-build-isolation --no-cache-dir --no-compile --disable-pip-version-check --target "${target}" .`,
        `if [ -d "${target}/bin" ]; then mkdir -p "$out/usr/bin"; mv "${target}/bin/"* "$out/usr/bin/"; rmdir "${target}/bin"; fi`,
        "",
      ].join("\n"),
    });
  };

  return { interpreter, env, application, package: pkg };
}

/** A Debian package standing for a Python requirement, marked with what was asked ("humanize==4.9.0"). */
export function marked(spec: DebianPackageSpec, requirement: string): DebianPackageSpec {
  if (requirementName(requirement).ignored) setPythonRequirement(spec, requirement.trim());
  return spec;
}

/**
 * The index's packages by pip, into dist-packages beside Debian's: pinned by hash before the build
 * runs (the build stage writes /src/pinned-requirements.txt: the user's file when it pins every
 * hash, else pip's resolution, kept in cairn.lock), installed with --no-deps, then checked whole.
 */
function fromIndex(name: string, requirements: string | URL, format: RequirementsFormat, debianNames: string[], tools: DebianPackageSpec[], pkgs: DebianPackages): DerivationSpec {
  const target = `$out${DIST_PACKAGES}`;
  const d = derivation({
    name: `${name}-requirements`,
    inputs: [pkgs("python3"), pkgs("python3-pip"), pkgs("python3-setuptools"), pkgs("python3-wheel"), ...tools],
    network: true,
    build: [
      'if [ "${SOURCE_DATE_EPOCH:-0}" -lt 315532800 ]; then export SOURCE_DATE_EPOCH=315532800; fi',
      // --target skips PEP 668's refusal; --no-build-isolation builds an sdist with the tools given;
      // --no-deps: the pinned list is the whole set (Debian's packages give the rest).
      `python3 -m pip install --require-hashes --no-deps --prefer-binary --no-build-isolation --no-cache-dir --no-compile --disable-pip-version-check --target "${target}" -r /src/pinned-requirements.txt`,
      // Every requirement of what was installed is met, by the index's packages or Debian's.
      `PYTHONPATH="${target}" python3 -m pip check --disable-pip-version-check`,
      `if [ -d "${target}/bin" ]; then mkdir -p "$out/usr/bin"; mv "${target}/bin/"* "$out/usr/bin/"; rmdir "${target}/bin"; fi`,
      "",
    ].join("\n"),
  });
  return { ...d, pip: { file: files(requirements, "/src/requirements"), format, debian: debianNames.map((n) => requirementName(n).name) } };
}

/** The sources and their bytecode, made in a derivation: cached by the sources' hash, run unprivileged. */
function compiled(name: string, src: string | URL, sources: string, dest: string, isFile: boolean, pkgs: DebianPackages): DerivationSpec {
  const input = isFile ? `/src/${path.basename(sources)}` : "/src";
  return derivation({
    name: `${name}-bytecode`,
    inputs: [pkgs("python3"), files(src, input)],
    // -s/-p record the image path in the .pyc (for tracebacks); checked-hash ignores file times.
    build: [
      `mkdir -p "$out"${quote(dest)}`,
      `cp -R ${isFile ? quote(input) : "/src/."} "$out"${quote(isFile ? sources : dest + "/")}`,
      `python3 -m compileall -q --invalidation-mode checked-hash -s "$out" -p / "$out"${quote(dest)}`,
      "",
    ].join("\n"),
  });
}
