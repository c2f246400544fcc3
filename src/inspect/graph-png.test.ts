import assert from "node:assert/strict";
import { test } from "node:test";
import { svgToPng } from "./graph-png.js";

const svg = (text: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><rect width="120" height="30" fill="#fff"/><text x="5" y="20" font-family="DejaVu Sans" font-size="14">${text}</text></svg>`;

test("labels are drawn: a font is found (fonts-dejavu-core, else the system's)", async () => {
  const [blank, label] = await Promise.all([svgToPng(svg(""), { scale: 1 }), svgToPng(svg("libssl3"), { scale: 1 })]);
  assert.deepEqual([...label.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
  assert.equal(label.readUInt32BE(16), 120);
  assert.notDeepEqual(label, blank, "the text left no pixels: resvg found no font");
});
