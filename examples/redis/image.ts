// Seed 004's redis, from Debian's redis-server: a `redis` user owning /data, port 6379 — made by a
// function, as the seed's generic image function, for Debian 12 (`redis`) and Debian 13 (`redisTrixie`),
// and for two CPUs in one image index (`redisMulti`: linux/amd64 and linux/arm64, no emulation needed).
// Build: npx cairn build examples/redis/image.ts -A redis   then   docker load < result
import { buildLayeredImage, debian } from "cairn-build";

function redisImage(suite: string, tag: string, platforms?: string[]) {
  const pkgs = debian({ suite }); // sources: the host's apt configuration by default (another release: its mirror)
  return buildLayeredImage({
    name: "redis",
    tag,
    ...(platforms ? { platforms } : {}),
    contents: [pkgs("redis-server")],
    users: [{ name: "redis", uid: 999, home: "/data" }],
    config: {
      Cmd: ["redis-server", "--protected-mode", "no"],
      ExposedPorts: { "6379/tcp": {} },
      WorkingDir: "/data",
      Volumes: { "/data": {} },
      User: "redis",
    },
  });
}

export const redis = redisImage("bookworm", "7");
export const redisTrixie = redisImage("trixie", "7-trixie");
export const redisMulti = redisImage("bookworm", "7-multi", ["linux/amd64", "linux/arm64"]);
