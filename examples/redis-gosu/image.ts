// Seed 004 in full: redis started through an entrypoint that drops to the redis user with gosu,
// a generic function making a redis image from a given redis package (the seed's `redisImage`),
// a pinned older version, and the same image on top of a base image.
// Build: npx cairn build examples/redis-gosu/image.ts -A redis   (or -A redisPinned, -A redisOnBase)
import { buildLayeredImage, debian, text, type DebianPackageSpec, type ImageSpec } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

// The seed's entrypoint.sh: allow `--user`, otherwise take /data over and become redis.
const entrypoint = text(
  "/usr/local/bin/docker-entrypoint.sh",
  `#!/bin/sh
set -e
if [ "$1" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
  chown -R redis .
  exec gosu redis "$0" "$@"
fi
exec "$@"
`,
  { mode: 0o755 },
);

/** A redis image from the given redis-server package (the seed's `redisImage`). */
export function redisImage(redis: DebianPackageSpec, options: { tag?: string; fromImage?: ImageSpec } = {}): ImageSpec {
  return buildLayeredImage({
    name: "redis-gosu",
    tag: options.tag ?? "7",
    // dash and coreutils for the entrypoint (sh, id, chown); gosu to drop root.
    contents: [redis, pkgs("gosu"), pkgs("dash"), pkgs("coreutils"), entrypoint],
    ...(options.fromImage ? { fromImage: options.fromImage } : {}),
    runAsRoot: {
      script: `
        groupadd -r redis
        useradd -r -g redis -d /data -M redis
        mkdir /data
        chown redis:redis /data
      `,
      tools: [pkgs("passwd")],
    },
    config: {
      Entrypoint: ["/usr/local/bin/docker-entrypoint.sh"],
      Cmd: ["redis-server", "--protected-mode", "no"],
      ExposedPorts: { "6379/tcp": {} },
      WorkingDir: "/data",
      Volumes: { "/data": {} },
    },
  });
}

export const redis = redisImage(pkgs("redis-server"));

// The version bookworm shipped before its security updates, pinned like `apt-get install redis-server=…`.
export const redisPinned = redisImage(pkgs("redis-server", { version: "5:7.0.15-1~deb12u7" }), { tag: "7.0.15-deb12u7" });

// A small Debian base of its own (the seed pulls debian from Docker Hub; `pullImage` works the same),
// and redis on top of it: the base's layers stay at the bottom, byte for byte.
export const base = buildLayeredImage({ name: "debian-base", tag: "bookworm", contents: [pkgs("dash"), pkgs("coreutils")] });
export const redisOnBase = redisImage(pkgs("redis-server"), { tag: "7-on-base", fromImage: base });
