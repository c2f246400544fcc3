// Seed 003 (agatha) in full: the Java backend (examples/java-backend), a PostgreSQL built from
// Debian's packages instead of the seed's pulled postgres image, the static front end served by
// http-server (as examples/node-front) sending /api to the backend, and the seed's compose file.
// Build: npx cairn compose examples/agatha/image.ts --load    (builds db, back and front, loads
//        them into docker or podman, writes compose.yaml)   then   docker compose up
//        (or podman-compose up)   and   open localhost:5173/
// One image alone: npx cairn build examples/agatha/image.ts -A db   (or -A back, -A front)
import { buildLayeredImage, compose, debian, files, node } from "cairn-build";
import { image as backend } from "../java-backend/image.js";

const pkgs = debian({ suite: "bookworm" });

// PostgreSQL 15 from Debian. The entrypoint initialises PGDATA on the first start, as the official
// image does (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), and runs as the postgres user.
export const db = buildLayeredImage({
  name: "agatha-db",
  tag: "latest",
  contents: [
    pkgs("postgresql-15"),
    pkgs("postgresql-client-15"), // psql, for `podman exec -it DB psql -U postgres`
    pkgs("dash"), // the entrypoint
    files("./postgres-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh", { mode: 0o755 }),
  ],
  users: [{ name: "postgres", uid: 999, home: "/var/lib/postgresql", shell: "/bin/sh" }],
  config: {
    Entrypoint: ["/usr/local/bin/docker-entrypoint.sh"],
    Cmd: ["postgres"],
    Env: [
      "PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "PGDATA=/var/lib/postgresql/data",
      "PGHOST=/tmp", // where the entrypoint puts the server's socket, for psql in the container
    ],
    ExposedPorts: { "5432/tcp": {} },
    User: "postgres",
    WorkingDir: "/var/lib/postgresql",
    StopSignal: "SIGINT", // PostgreSQL's fast shutdown, as the official image
  },
});

// The backend: examples/java-backend's image (Debian's JRE, our jar, the JDBC driver).
export const back = backend;

// The front: a page of its own (front/public) served by http-server from npm, which sends what is
// not a file (/api/...) on to BACKEND_URL.
export const front = buildLayeredImage({
  name: "agatha-front",
  tag: "latest",
  contents: [node(pkgs).application({ name: "agatha-front", src: "./front", command: ["http-server", "/app/public"] })],
  users: [{ name: "app", uid: 1000 }],
  config: {
    Entrypoint: ["/bin/sh", "-c", 'exec agatha-front ${BACKEND_URL:+--proxy "$BACKEND_URL"} "$@"', "agatha-front"],
    Env: ["PORT=8080"],
    ExposedPorts: { "8080/tcp": {} },
    User: "app",
  },
});

// The seed's deploy/compose.yaml: the services reach each other by name on compose's network.
const password = "agatha-db-password";
export const stack = compose({
  name: "agatha",
  services: {
    db: {
      image: db,
      environment: { POSTGRES_USER: "postgres", POSTGRES_PASSWORD: password, POSTGRES_DB: "docker_agatha_db" },
      ports: ["4321:5432"],
    },
    back: {
      image: back,
      environment: { DATABASE_URL: `postgres://postgres:${password}@db:5432/docker_agatha_db` },
      ports: ["8000:8080"],
      dependsOn: ["db"],
    },
    front: {
      image: front,
      environment: { BACKEND_URL: "http://back:8080" },
      ports: ["5173:8080"],
      dependsOn: ["back"],
    },
  },
});
