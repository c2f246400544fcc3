// Seed 003's backend (agatha-back): a jar run by a JRE through a makeWrapper script. Here the jar
// is our own small JSON service (src/backend/*.java, the JDK's HTTP server, no framework), compiled
// by a derivation with Debian's JDK — no JDK on the building machine — and run by Debian's headless
// JRE, with PostgreSQL's JDBC driver (Debian's libpostgresql-jdbc-java) on the class path.
// Set DATABASE_URL=postgres://user:password@host:5432/db (or PGHOST, PGUSER, ...) to keep items in
// PostgreSQL; without it they are kept in memory.
// Build: npx cairn build examples/java-backend/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8080:8080 agatha-back   and   curl localhost:8080/api/health
// -A slim: the same on a runtime that jlink makes of only the modules it uses (50 MB, not 242 MB).
import { buildLayeredImage, debian, derivation, files, makeWrapper } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

/** The jar, rebuilt only when a source file changes (a URL, so examples/agatha can import it). */
export const jar = derivation({
  name: "agatha-back-jar",
  inputs: [pkgs("openjdk-17-jdk-headless"), files(new URL("./src/", import.meta.url), "/src")],
  // Sorted sources and entries and a fixed entry time (jar --date) make the same jar every time.
  build: `
    jdk=$(echo /usr/lib/jvm/java-17-openjdk-*)
    mkdir classes
    find /src -name '*.java' | LC_ALL=C sort > sources
    "$jdk/bin/javac" --release 17 -encoding UTF-8 -d classes @sources
    cd classes
    find . -type f | LC_ALL=C sort > ../entries
    "$jdk/bin/jar" --create --date=1980-01-01T00:00:02Z --file ../backend.jar @../entries
    install -D -m 0644 ../backend.jar "$out/usr/share/agatha-back/backend.jar"
  `,
});

export const image = buildLayeredImage({
  name: "agatha-back",
  tag: "latest",
  contents: [
    pkgs("openjdk-17-jre-headless"),
    pkgs("libpostgresql-jdbc-java"),
    pkgs("dash"), // the wrapper is a /bin/sh script
    jar,
    makeWrapper("/usr/bin/java", "/usr/bin/backend", {
      addFlags: [
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", // a small service: little heap, quick start
        "-cp", "/usr/share/agatha-back/backend.jar:/usr/share/java/postgresql.jar",
        "backend.Main",
      ],
    }),
  ],
  // The JRE declares it for the TLS trust store its postinst would write (cairn runs none); this
  // service makes no TLS connections, and nothing in the image refers to it.
  exclude: ["ca-certificates-java"],
  users: [{ name: "app", uid: 1000 }],
  config: {
    Cmd: ["/usr/bin/backend"],
    Env: ["PORT=8080"],
    ExposedPorts: { "8080/tcp": {} },
    User: "app",
  },
});

// The seed's wish ("reduce the size of the java image (maybe by using a smaller jre)"): a runtime
// of only the modules the backend and the JDBC driver use, made by the JDK's jlink from its jmods.
const modules = ["java.base", "java.logging", "java.management", "java.naming", "java.security.jgss", "java.sql", "java.xml", "jdk.httpserver"];
export const jre = derivation({
  name: "agatha-back-jre",
  inputs: [pkgs("openjdk-17-jdk-headless")],
  build: `
    jdk=$(echo /usr/lib/jvm/java-17-openjdk-*)
    "$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules ${modules.join(",")} \\
      --strip-java-debug-attributes --no-man-pages --no-header-files --compress=2 --output "$out/usr/lib/agatha-jre"
    # The runtime's libraries need libjvm.so, which java loads from lib/server before them; the
    # link lets cairn's reference check find it (ld.so reuses the loaded one by its soname).
    ln -s server/libjvm.so "$out/usr/lib/agatha-jre/lib/libjvm.so"
  `,
});

export const slim = buildLayeredImage({
  name: "agatha-back",
  tag: "slim",
  contents: [
    jre,
    pkgs("libc6"), pkgs("libstdc++6"), pkgs("zlib1g"), // what the runtime's programs and libraries link to
    pkgs("libpostgresql-jdbc-java"),
    pkgs("dash"),
    jar,
    makeWrapper("/usr/lib/agatha-jre/bin/java", "/usr/bin/backend", {
      addFlags: [
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", "/usr/share/agatha-back/backend.jar:/usr/share/java/postgresql.jar",
        "backend.Main",
      ],
    }),
  ],
  users: [{ name: "app", uid: 1000 }],
  config: { Cmd: ["/usr/bin/backend"], Env: ["PORT=8080"], ExposedPorts: { "8080/tcp": {} }, User: "app" },
});

// The bench's memory case (bench/cases.ts "jdk"): the whole headless JDK, about 190 MB of packages.
export const jdk = buildLayeredImage({ name: "jdk", tag: "17", contents: [pkgs("openjdk-17-jdk-headless")], config: { Cmd: ["java", "-version"] } });
