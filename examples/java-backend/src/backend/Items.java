// Where items are kept: PostgreSQL through JDBC (Debian's libpostgresql-jdbc-java on the class
// path), or a list in memory when no database is configured.
package backend;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

abstract class Items {
  abstract String kind();
  /** A JSON array of the items, oldest first. */
  abstract String list() throws Exception;
  /** Adds one; the JSON object stored. */
  abstract String add(String name) throws Exception;

  static String item(long id, String name) {
    return "{\"id\":" + id + ",\"name\":" + Json.string(name) + "}";
  }

  /** DATABASE_URL (postgres://user:password@host:port/db), else PGHOST & co, else memory. */
  static Items fromEnvironment() {
    String url = System.getenv("DATABASE_URL");
    if (url != null && !url.isEmpty()) return Postgres.fromUrl(url);
    String host = System.getenv("PGHOST");
    if (host != null && !host.isEmpty()) {
      Properties p = new Properties();
      p.setProperty("user", Main.env("PGUSER", "postgres"));
      p.setProperty("password", Main.env("PGPASSWORD", ""));
      return new Postgres("jdbc:postgresql://" + host + ":" + Main.env("PGPORT", "5432") + "/" + Main.env("PGDATABASE", p.getProperty("user")), p);
    }
    return new Memory();
  }

  static final class Memory extends Items {
    private final List<String> names = new ArrayList<>();
    String kind() { return "memory"; }
    synchronized String list() {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < names.size(); i++) b.append(i == 0 ? "" : ",").append(item(i + 1, names.get(i)));
      return b.append("]").toString();
    }
    synchronized String add(String name) {
      names.add(name);
      return item(names.size(), name);
    }
  }

  static final class Postgres extends Items {
    private final String jdbcUrl;
    private final Properties props;
    private volatile boolean tableReady;

    Postgres(String jdbcUrl, Properties props) {
      this.jdbcUrl = jdbcUrl;
      this.props = props;
    }

    static Postgres fromUrl(String url) {
      URI u = URI.create(url);
      if (!"postgres".equals(u.getScheme()) && !"postgresql".equals(u.getScheme())) {
        throw new IllegalArgumentException("DATABASE_URL must look like postgres://user:password@host:5432/db, got scheme " + u.getScheme());
      }
      Properties p = new Properties();
      String info = u.getRawUserInfo();
      if (info != null) {
        int colon = info.indexOf(':');
        p.setProperty("user", decode(colon < 0 ? info : info.substring(0, colon)));
        if (colon >= 0) p.setProperty("password", decode(info.substring(colon + 1)));
      }
      int port = u.getPort() < 0 ? 5432 : u.getPort();
      return new Postgres("jdbc:postgresql://" + u.getHost() + ":" + port + u.getRawPath(), p);
    }

    private static String decode(String s) { return URLDecoder.decode(s, StandardCharsets.UTF_8); }

    String kind() { return "postgresql"; }

    // A connection per request keeps this small; the table is made on first use, so the backend
    // may start before the database does.
    private Connection connect() throws SQLException {
      Connection c = DriverManager.getConnection(jdbcUrl, props);
      if (!tableReady) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE TABLE IF NOT EXISTS items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)");
        }
        tableReady = true;
      }
      return c;
    }

    String list() throws SQLException {
      try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id, name FROM items ORDER BY id")) {
        StringBuilder b = new StringBuilder("[");
        for (boolean first = true; r.next(); first = false) b.append(first ? "" : ",").append(item(r.getLong(1), r.getString(2)));
        return b.append("]").toString();
      }
    }

    String add(String name) throws SQLException {
      try (Connection c = connect(); PreparedStatement s = c.prepareStatement("INSERT INTO items (name) VALUES (?) RETURNING id")) {
        s.setString(1, name);
        try (ResultSet r = s.executeQuery()) {
          r.next();
          return item(r.getLong(1), name);
        }
      }
    }
  }
}
