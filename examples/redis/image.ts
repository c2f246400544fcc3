// Seed 004's redis, from Debian's redis-server: a `redis` user owning /data, port 6379.
// Build: npx cairn build examples/redis/image.ts -A redis   then   docker load < result
import { buildLayeredImage, debian } from "cairn-build";

const pkgs = debian({ suite: "bookworm" }); // sources: the host's apt configuration by default

export const redis = buildLayeredImage({
  name: "redis",
  tag: "7",
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
