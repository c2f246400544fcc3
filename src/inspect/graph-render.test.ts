import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { formatSize, packageGraph } from "./graph-model.js";
import { dotId, drawnEdges, graphDot, nodeId, renderGraphDot, renderGraphSvg } from "./graph-render.js";
import type { InstalledPackage } from "./model.js";
import type { Inspected } from "./inspected.js";
import { definitionFixture } from "./size-fixture.js";

function pkg(name: string, size: number, dependsOn: string[] = []): InstalledPackage {
  return { name, version: "1.0-1", architecture: "amd64", source: name, depends: dependsOn.join(", "), dependsOn, files: [], size };
}

/** redis-like: two packages asked for, libstdc++6 with a "+", adduser → passwd left out. */
function fixture(withResolution = true): Inspected {
  const packages = [
    pkg("redis-server", 119_000, ["redis-tools"]), pkg("redis-tools", 3_500_000, ["libssl3", "libc6", "libstdc++6"]),
    pkg("libssl3", 5_700_000, ["libc6"]), pkg("libstdc++6", 2_300_000, ["libc6"]), pkg("libc6", 4_600_000), pkg("tzdata", 3_000),
  ];
  return {
    image: { reference: "redis:7", config: {}, layers: [], files: new Map(), packages, osRelease: {} },
    ...(withResolution ? {
      definition: definitionFixture("redis", ["redis-server", "tzdata"],
        [...packages.map((p) => [p.name, p.version] as [string, string]), ["adduser", "3.134"], ["passwd", "1:4.13"]],
        [["redis-server", "redis-tools"], ["redis-tools", "adduser"], ["adduser", "passwd"], ["passwd", "libc6"], ["redis-tools", "libssl3"]]),
    } : {}),
  };
}

/** Parses with python3's XML parser (a real one), returning the data-package of every node. */
function xmlNodes(svg: string): string[] {
  const script = "import sys, xml.dom.minidom as m\nd = m.parseString(sys.stdin.buffer.read())\nprint('\\n'.join(g.getAttribute('data-package') + ' ' + g.getAttribute('id') + ' ' + g.getAttribute('class') for g in d.getElementsByTagName('g') if g.hasAttribute('data-package')))";
  const r = spawnSync("python3", ["-c", script], { input: svg, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n");
}

describe("packageGraph", () => {
  test("a definition's graph: installed and left-out packages, lock edges and dependsOn, declared roots", () => {
    const g = packageGraph(fixture());
    assert.equal(g.title, "redis");
    assert.deepEqual(g.nodes.map((n) => `${n.name}:${n.inImage ? "in" : "out"}${n.root ? ":root" : ""}`), [
      "adduser:out", "libc6:in", "libssl3:in", "libstdc++6:in", "passwd:out", "redis-server:in:root", "redis-tools:in", "tzdata:in:root",
    ]);
    assert.deepEqual(g.edges.filter(([a]) => a === "redis-tools"), [["redis-tools", "adduser"], ["redis-tools", "libc6"], ["redis-tools", "libssl3"], ["redis-tools", "libstdc++6"]]);
    assert.equal(g.rootsDeclared, true);
  });

  test("an image tar's graph: roots are the packages nothing depends on", () => {
    const g = packageGraph(fixture(false));
    assert.equal(g.title, "redis:7");
    assert.deepEqual(g.roots, ["redis-server", "tzdata"]);
    assert.equal(g.rootsDeclared, false);
    assert.ok(g.nodes.every((n) => n.inImage));
  });

  test("sizes read as people write them", () => {
    assert.deepEqual([999, 1000, 31_000, 5_659_567, 193_000_000, 2_400_000_000].map(formatSize), ["999 B", "1.0 kB", "31 kB", "5.7 MB", "193 MB", "2.4 GB"]);
  });
});

describe("renderGraphSvg", () => {
  test("is well-formed XML with one node per package, ids XML can hold, roots and left-out marked", () => {
    const nodes = xmlNodes(renderGraphSvg(fixture()));
    assert.equal(nodes.length, 8);
    assert.ok(nodes.includes("libstdc++6 pkg-libstdc_2b_2b6 node kept"));
    assert.ok(nodes.includes("redis-server pkg-redis-server node root"));
    assert.ok(nodes.includes("adduser pkg-adduser node left-out"));
  });

  test("a node grows with its package's size, and shows the size", () => {
    const svg = renderGraphSvg(fixture());
    const height = (name: string) => Number(new RegExp(`data-package="${name.replace(/\+/g, "\\+")}">\\n<title>[^\\n]*\\n<rect [^>]*height="([\\d.]+)"`).exec(svg)![1]);
    assert.ok(height("libssl3") > height("libc6") && height("libc6") > height("tzdata"));
    assert.match(svg, />5\.7 MB</);
    assert.match(svg, />left out</);
  });

  test("a left-out package's own dependencies on packages in the image are not drawn", () => {
    const g = packageGraph(fixture());
    assert.ok(g.edges.some(([a, b]) => a === "passwd" && b === "libc6"));
    assert.ok(!drawnEdges(g).some(([a, b]) => a === "passwd" && b === "libc6"));
    assert.ok(drawnEdges(g).some(([a, b]) => a === "redis-tools" && b === "adduser"));
    assert.doesNotMatch(renderGraphSvg(fixture()), /data-from="passwd" data-to="libc6"/);
    assert.match(renderGraphSvg(fixture()), /<g class="edge" data-from="redis-tools" data-to="adduser">/);
  });

  test("the same input draws the same bytes", () => {
    assert.equal(renderGraphSvg(fixture()), renderGraphSvg(fixture()));
  });
});

describe("DOT", () => {
  test("quotes and backslashes are escaped, newlines become \\n", () => {
    assert.equal(dotId('say "hi"'), '"say \\"hi\\""');
    assert.equal(dotId("a\\b"), '"a\\\\b"');
    assert.equal(dotId("two\nlines"), '"two\\nlines"');
    assert.equal(dotId("libstdc++6"), '"libstdc++6"');
  });

  test("a node per package, the left-out ones in a cluster, dashed edges into them", () => {
    const dot = renderGraphDot(fixture());
    assert.match(dot, /^digraph "redis" \{\n/);
    assert.ok(dot.endsWith("}\n"));
    const cluster = /subgraph cluster_left_out \{([\s\S]*?)\n {2}\}/.exec(dot)![1]!;
    assert.deepEqual([...cluster.matchAll(/^ {4}"([^"]+)" \[label/gm)].map((m) => m[1]), ["adduser", "passwd"]);
    assert.deepEqual([...dot.matchAll(/^ {2}"([^"]+)" \[label/gm)].map((m) => m[1]), ["libc6", "libssl3", "libstdc++6", "redis-server", "redis-tools", "tzdata"]);
    assert.match(dot, /"redis-tools" -> "adduser" \[style=dashed/);
    assert.match(dot, /"redis-server" \[label="redis-server\\n119 kB", height=[\d.]+, fillcolor="#ffe3a3", color="#b7791f", penwidth=2.5\];/);
    assert.doesNotMatch(dot, /"passwd" -> "libc6"/);
  });

  test("a title with quotes stays one DOT string", () => {
    const g = { ...packageGraph(fixture()), title: 'my "image"' };
    assert.match(graphDot(g), /^digraph "my \\"image\\"" \{/);
  });

  test("nodeId keeps XML names valid and distinct", () => {
    assert.equal(nodeId("libstdc++6"), "pkg-libstdc_2b_2b6");
    assert.notEqual(nodeId("a+b"), nodeId("a-b"));
  });
});
