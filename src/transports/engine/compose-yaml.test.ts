import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { buildImage, compose } from "../../define/index.js";
import { composeYaml, str } from "./compose-yaml.js";

const spec = compose({
  name: "agatha",
  services: {
    front: { image: buildImage({ name: "front" }), ports: ["5173:8080"], environment: { BACKEND_URL: "http://back:8080" }, dependsOn: ["back"] },
    back: { image: buildImage({ name: "back" }), environment: { PASSWORD: 'p$ss "word"\\ ü', EMPTY: "" }, command: ["java", "-Dx=$Y", "it's"] },
  },
});
const images = {
  back: { reference: "back:latest", digest: `sha256:${"b".repeat(64)}` },
  front: { reference: "front:latest", digest: `sha256:${"f".repeat(64)}` },
};

test("the compose file: services sorted, compose's key names, the built images by name:tag, never pulled", () => {
  const yaml = composeYaml(spec, images, { header: ["made by a test", ""] });
  assert.equal(yaml, `# made by a test
#
name: "agatha"
services:
  back:
    # back:latest sha256:${"b".repeat(64)}
    image: "back:latest"
    pull_policy: never
    command: ["java", "-Dx=$$Y", "it's"]
    environment:
      EMPTY: ""
      PASSWORD: "p$$ss \\"word\\"\\\\ ü"
  front:
    # front:latest sha256:${"f".repeat(64)}
    image: "front:latest"
    pull_policy: never
    environment:
      BACKEND_URL: "http://back:8080"
    ports:
      - "5173:8080"
    depends_on:
      - "back"
`);
  assert.equal(composeYaml(spec, images), composeYaml(spec, images), "the same spec gives the same bytes");
  assert.throws(() => composeYaml(spec, { back: images.back }), /no built image for service front/);
});

// PyYAML, when the host has it, is an independent reader of what we write.
const pyyaml = spawnSync("python3", ["-c", "import yaml"]).status === 0;

test("a YAML parser reads back exactly the values given (compose's $$ aside)", { skip: !pyyaml && "python3-yaml missing" }, () => {
  const odd = ["a\u007fb", "line\nbreak", "tab\there", "\u2028sep", "#not a comment", "- not a list", "yes", "null", "0755", "{x: 1}", "ünï", "\u0001"];
  const s = compose({ services: { x: { image: buildImage({ name: "x" }), command: odd, environment: Object.fromEntries(odd.map((v, i) => [`V${i}`, v])) } } });
  const yaml = composeYaml(s, { x: { reference: "x:latest", digest: "sha256:0" } });
  const r = spawnSync("python3", ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], { input: yaml, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  assert.deepEqual(parsed.services.x.command, odd);
  assert.deepEqual(parsed.services.x.environment, Object.fromEntries(odd.map((v, i) => [`V${i}`, v])));
  assert.equal(parsed.services.x.image, "x:latest");
  assert.equal(parsed.services.x.pull_policy, "never");
  assert.equal(JSON.parse(spawnSync("python3", ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], { input: `v: ${str("$A $$")}\n`, encoding: "utf8" }).stdout).v, "$$A $$$$");
});
