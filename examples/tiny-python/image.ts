// Seed 000's tiny Python: the interpreter with its standard library compiled to optimised
// bytecode and the .py sources removed, in one layer from scratch. The compile runs at build time
// in the sandbox; SOURCE_DATE_EPOCH and a fixed hash seed make the bytecode the same every time.
// Build: npx cairn build examples/tiny-python/image.ts -A image   then   podman load < result
import { buildImage, debian } from "cairn-build";

const pkgs = debian({ suite: "bookworm" });

export const image = buildImage({
  name: "tiny-python",
  tag: "3.11",
  // The interpreter and the whole standard library (json, sqlite3, …), as the seed's Alpine python3 has.
  contents: [pkgs("python3.11-minimal"), pkgs("libpython3.11-stdlib")],
  runAsRoot: `
    cd /usr/lib/python3.11
    # -b: x.pyc beside x.py (the place Python looks once the source is gone); -o 2: no docstrings, no asserts
    python3.11 -m compileall -q -b -o 2 .
    find . -name '*.py' -delete
    find . -name __pycache__ -prune -exec rm -r {} +
  `,
  config: { Entrypoint: ["/usr/bin/python3.11"] },
});
