// A small JSON backend for cairn's seed 003 example (agatha's "back"): the JDK's own HTTP server,
// no framework. Items live in PostgreSQL when DATABASE_URL or PGHOST is set, else in memory.
//   GET  /api/health  -> {"status":"ok","storage":"postgresql"|"memory"}
//   GET  /api/items   -> [{"id":1,"name":"..."}, ...]
//   POST /api/items   {"name":"..."} -> 201 {"id":1,"name":"..."}
package backend;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public final class Main {
  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(env("PORT", "8080"));
    Items items = Items.fromEnvironment();
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
    server.createContext("/api/health", ex -> handle(ex, () -> {
      requireMethod(ex, "GET");
      return new Reply(200, "{\"status\":\"ok\",\"storage\":" + Json.string(items.kind()) + "}");
    }));
    server.createContext("/api/items", ex -> handle(ex, () -> {
      switch (ex.getRequestMethod()) {
        case "GET":
          return new Reply(200, items.list());
        case "POST":
          String name = Json.stringField(new String(readAll(ex.getRequestBody()), StandardCharsets.UTF_8), "name");
          if (name == null || name.isEmpty()) throw new HttpError(400, "the body must be a JSON object with a non-empty \"name\" string");
          return new Reply(201, items.add(name));
        default:
          throw new HttpError(405, "use GET or POST");
      }
    }));
    server.createContext("/", ex -> handle(ex, () -> { throw new HttpError(404, "no such path: " + ex.getRequestURI().getPath()); }));
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("backend: listening on port " + port + ", items in " + items.kind());
  }

  record Reply(int status, String json) {}

  static final class HttpError extends Exception {
    final int status;
    HttpError(int status, String message) { super(message); this.status = status; }
  }

  interface Handler { Reply run() throws Exception; }

  private static void handle(HttpExchange ex, Handler h) throws IOException {
    Reply reply;
    try {
      reply = h.run();
    } catch (HttpError e) {
      reply = new Reply(e.status, "{\"error\":" + Json.string(e.getMessage()) + "}");
    } catch (Exception e) {
      System.err.println("backend: " + ex.getRequestMethod() + " " + ex.getRequestURI() + ": " + e);
      reply = new Reply(503, "{\"error\":" + Json.string(String.valueOf(e.getMessage())) + "}");
    }
    byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(reply.status(), body.length);
    try (OutputStream out = ex.getResponseBody()) { out.write(body); }
  }

  private static void requireMethod(HttpExchange ex, String method) throws HttpError {
    if (!ex.getRequestMethod().equals(method)) throw new HttpError(405, "use " + method);
  }

  private static byte[] readAll(InputStream in) throws IOException, HttpError {
    byte[] body = in.readNBytes(64 * 1024 + 1);
    if (body.length > 64 * 1024) throw new HttpError(413, "the body is over 64 KiB");
    return body;
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
