// Seed 003's front end (agatha-front): static files served by http-server on port 8080, here with
// Debian's nodejs and http-server 14.1.1 from npm, pinned by package-lock.json. npm runs once per
// lock change in a derivation; an edit of app/public/ rebuilds only the top layer.
// Set BACKEND_URL (e.g. http://agatha-back:8000) to send paths that are not files to the backend
// (http-server's --proxy).
// Build: npx cairn build examples/node-front/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8080:8080 agatha-front   and   curl localhost:8080/
import { buildLayeredImage, debian, node } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

export const image = buildLayeredImage({
  name: "agatha-front",
  tag: "latest",
  contents: [
    node(pkgs).application({
      name: "agatha-front",
      src: "./app", // package.json, package-lock.json and public/
      command: ["http-server", "/app/public"],
    }),
  ],
  users: [{ name: "app", uid: 1000 }],
  config: {
    // http-server's --proxy only when BACKEND_URL is set; arguments given to `run` follow.
    Entrypoint: ["/bin/sh", "-c", 'exec agatha-front ${BACKEND_URL:+--proxy "$BACKEND_URL"} "$@"', "agatha-front"],
    Env: ["PORT=8080"], // http-server's port; `-e PORT=…` moves it
    ExposedPorts: { "8080/tcp": {} },
    User: "app",
  },
});
