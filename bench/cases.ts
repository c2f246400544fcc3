// The images the bench builds, each described once for every tool: cairn's example definition, the
// Dockerfile a user would write for the same image, and the packages apt and mmdebstrap install.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SUITE = "bookworm";

export interface BenchCase {
  id: "redis" | "starlette" | "jdk";
  /** The example folder: image.ts, cairn.lock and the application's files. */
  exampleDir: string;
  attr: string;
  /** What apt (Dockerfile) and mmdebstrap install. */
  aptPackages: string[];
  /** The application file an application change edits, copied beside the Dockerfile; without one, a small config file is added instead. */
  appFile?: string;
  dockerfile: string;
  /** Runs --big-runs times per phase, not --runs: a case that is there for memory needs no median, and each run takes long. */
  big?: boolean;
}

const example = (name: string) => fileURLToPath(new URL(`../examples/${name}/`, import.meta.url));

// The base is the bench's own `mmdebstrap --variant=minbase` tar, imported as localhost/bench-base.
// apt's lists and .debs are bind-mounted at build time, so there is no `apt-get update` here and
// nothing of apt's cache lands in a layer (what BuildKit's RUN --mount=type=cache gives).
export const CASES: readonly BenchCase[] = [
  {
    id: "redis",
    exampleDir: example("redis"),
    attr: "redis",
    aptPackages: ["redis-server"],
    dockerfile: [
      "FROM localhost/bench-base",
      "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server",
      "WORKDIR /data",
      "VOLUME /data",
      "EXPOSE 6379",
      "USER redis",
      'CMD ["redis-server", "--protected-mode", "no"]',
      "",
    ].join("\n"),
  },
  {
    id: "starlette",
    exampleDir: example("starlette"),
    attr: "image",
    aptPackages: ["python3", "python3-starlette", "python3-uvicorn"],
    appFile: "server.py",
    dockerfile: [
      "FROM localhost/bench-base",
      "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-starlette python3-uvicorn",
      "COPY server.py /app/server.py",
      "WORKDIR /app",
      "EXPOSE 8000",
      "USER 1000",
      'CMD ["python3", "/app/server.py"]',
      "",
    ].join("\n"),
  },
  {
    // The memory case: about 190 MB of JDK, unpacked and layered.
    id: "jdk",
    exampleDir: example("java-backend"),
    attr: "jdk",
    aptPackages: ["openjdk-17-jdk-headless"],
    dockerfile: [
      "FROM localhost/bench-base",
      "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless",
      'CMD ["java", "-version"]',
      "",
    ].join("\n"),
    big: true,
  },
];

/** The sha256 of every .deb that the example's cairn.lock pins for the image: what "already downloaded" means for cairn. */
export function lockedDebs(c: BenchCase): string[] {
  const path = `${c.exampleDir}cairn.lock`;
  const lock = JSON.parse(readFileSync(path, "utf8")) as {
    images?: Record<string, { packages?: string[] }>;
    packages?: Record<string, { sha256?: string }>;
  };
  const keys = lock.images?.[c.attr]?.packages;
  if (!keys?.length) throw new Error(`bench: ${path} pins no packages for "${c.attr}"; run \`cairn lock\` there first`);
  return keys.map((k) => {
    const sha = lock.packages?.[k]?.sha256;
    if (!sha || !/^[0-9a-f]{64}$/.test(sha)) throw new Error(`bench: ${path}: package "${k}" has no sha256`);
    return sha;
  });
}

/** The 1 GiB case (cairn only): a definition copying a directory of random data into the image. */
export const BIG = { files: 64, fileBytes: 16 * 1024 * 1024 } as const;

export function bigDefinition(dataDir: string): string {
  return [
    'import { buildLayeredImage, files } from "cairn-build";',
    "",
    `export const big = buildLayeredImage({ name: "big", contents: [files(${JSON.stringify(dataDir)}, "/data")], config: { Cmd: ["true"] } });`,
    "",
  ].join("\n");
}
