// Seed 001's starlette + uvicorn server, with Python and both libraries from Debian's packages.
// Build: npx cairn build examples/starlette/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8000:8000 server   and   curl localhost:8000/
import { buildLayeredImage, debian, files } from "cairn";

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
