// Seed 001's first image: busybox and a shell.
// Build: npx cairn build examples/dummy/image.ts   then   podman load -i result && podman run --rm -it dummy
import { buildImage, debian } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

export const dummy = buildImage({
  name: "dummy",
  tag: "latest",
  contents: [pkgs("busybox")],
  config: { Cmd: ["sh"] },
});
