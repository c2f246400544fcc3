// Seed 000's Django image ("ac2"): Django with django-extensions and crispy forms, pdftk, and a
// package Debian lacks built from source (the seed's buildPythonPackage of pypdftk; here our own
// pdftk_wrapper). Debian's django-crispy-forms 1.14 still has the bootstrap4 template pack built
// in, which the seed adds as django-crispy-bootstrap4 (not packaged in Debian 12).
// The app's dependencies come from app/pyproject.toml; its sources are compiled to bytecode.
// Build: npx cairn build examples/django/image.ts -A image   then   podman load -i result
//        podman run --rm -p 8000:8000 ac2:dev   and   open localhost:8000/ (a form), /pdf
import { buildLayeredImage, debian, python } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });
const py = python(pkgs);

export const image = buildLayeredImage({
  name: "ac2",
  tag: "dev",
  contents: [
    py.application({ name: "ac2", src: new URL("./app/", import.meta.url), main: "manage.py", compile: true }),
    py.package({ name: "pdftk-wrapper", src: "./pdftk_wrapper" }),
    pkgs("pdftk-java"),
    // pdftk is a `#!/usr/bin/env sh` script, and env is coreutils', which no package declares (it
    // is Essential): named here, or the image would lack it (`keep` only keeps declared packages).
    pkgs("coreutils"),
  ],
  users: [{ name: "app", uid: 1000 }],
  config: {
    Cmd: ["ac2", "runserver", "0.0.0.0:8000", "--noreload"],
    ExposedPorts: { "8000/tcp": {} },
    WorkingDir: "/app",
    User: "app",
  },
});
