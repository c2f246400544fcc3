// Seed 001's starlette + uvicorn server, with Python and both libraries from Debian's packages.
// `image` is the seed's python38.withPackages form (the packages and server.py side by side);
// `server` its buildPythonApplication form: server.py with its dependencies and /usr/bin/server.
// Build: npx cairn build examples/starlette/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8000:8000 server   and   curl localhost:8000/
// Run without an engine (nix-build -A server && ./result/bin/server.py):
//        npx cairn shell examples/starlette/image.ts -A server
import { buildLayeredImage, debian, files, python } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

export const image = buildLayeredImage({
  name: "server",
  tag: "latest",
  contents: [pkgs("python3"), pkgs("python3-starlette"), pkgs("python3-uvicorn"), files("./server.py", "/app/server.py")],
  users: [{ name: "app", uid: 1000 }],
  config: {
    Cmd: ["python3", "/app/server.py"],
    ExposedPorts: { "8000/tcp": {} },
    WorkingDir: "/app",
    User: "app",
  },
});

export const server = buildLayeredImage({
  name: "my_server",
  tag: "latest",
  contents: [python(pkgs).application({ name: "server", src: "./server.py", dependencies: ["starlette", "uvicorn"] })],
  users: [{ name: "app", uid: 1000 }],
  config: { Cmd: ["server"], ExposedPorts: { "8000/tcp": {} }, User: "app" },
});
