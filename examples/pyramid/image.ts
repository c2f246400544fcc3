// Seed 002's Nix-to-Docker buildpack: a Python environment with Pyramid (the seed's
// python.buildEnv with pythonPackages.pyramid) from scratch, serving a hello world on 8080.
// Pyramid and the waitress WSGI server are Debian's python3-pyramid and python3-waitress.
// Build: npx cairn build examples/pyramid/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8080:8080 pyramid   and   curl localhost:8080/
import { buildLayeredImage, debian, files, python } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);

export const image = buildLayeredImage({
  name: "pyramid",
  tag: "latest",
  contents: [py.env(["pyramid", "waitress"]), files("./app.py", "/app/app.py")],
  users: [{ name: "app", uid: 1000 }],
  config: {
    Cmd: ["python3", "/app/app.py"],
    ExposedPorts: { "8080/tcp": {} },
    WorkingDir: "/app",
    User: "app",
  },
});
