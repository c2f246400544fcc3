// Seed 004's redis written as the seed writes it: a runAsRoot script makes the redis user and
// its /data directory. Debian's `passwd` (groupadd, useradd) is there only while the script runs;
// the script runs in a sandbox as root of a user namespace, under fakeroot — no VM, no sudo.
// Build: npx cairn build examples/redis-runasroot/image.ts -A redis   then   podman load < result
import { buildLayeredImage, debian } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

export const redis = buildLayeredImage({
  name: "redis-runasroot",
  tag: "7",
  contents: [pkgs("redis-server")],
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
    Cmd: ["redis-server", "--protected-mode", "no"],
    ExposedPorts: { "6379/tcp": {} },
    WorkingDir: "/data",
    Volumes: { "/data": {} },
    User: "redis",
  },
});
