import assert from "node:assert/strict";
import { test } from "node:test";
import { inset, squarify, type Rect } from "./treemap-layout.js";

const area = (r: Rect) => r.w * r.h;
const overlap = (a: Rect, b: Rect) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

function checkTiling(values: number[], box: Rect): Rect[] {
  const rects = squarify(values, box);
  assert.equal(rects.length, values.length);
  const total = values.filter((v) => v > 0).reduce((n, v) => n + v, 0);
  rects.forEach((r, i) => {
    assert.ok(r.x >= box.x - 1e-9 && r.y >= box.y - 1e-9 && r.x + r.w <= box.x + box.w + 1e-9 && r.y + r.h <= box.y + box.h + 1e-9, `rect ${i} inside the box`);
    if (values[i]! > 0) assert.ok(Math.abs(area(r) - (values[i]! / total) * area(box)) < 1e-6 * area(box), `rect ${i} area proportional to its value`);
    for (let j = 0; j < i; j++) assert.ok(overlap(r, rects[j]!) < 1e-6, `rects ${j} and ${i} do not overlap`);
  });
  assert.ok(Math.abs(rects.reduce((n, r) => n + area(r), 0) - area(box)) < 1e-6 * area(box), "the rectangles fill the box");
  return rects;
}

test("the paper's example tiles a 6×4 box without gaps or overlaps", () => {
  checkTiling([6, 6, 4, 3, 2, 2, 1], { x: 0, y: 0, w: 6, h: 4 });
});

test("tiles any box: many uneven values, offset origin, tall and wide boxes", () => {
  const values = Array.from({ length: 57 }, (_, i) => ((i * 7919) % 101) + 1 + (i % 5 === 0 ? 5000 : 0));
  checkTiling(values, { x: 10, y: 30, w: 1200, h: 690 });
  checkTiling(values, { x: 0, y: 0, w: 40, h: 900 });
  checkTiling([1], { x: 3, y: 4, w: 50, h: 20 });
});

test("squarified: the rectangles of equal values are close to square", () => {
  const rects = checkTiling(Array(16).fill(1), { x: 0, y: 0, w: 400, h: 400 });
  for (const r of rects) assert.ok(Math.max(r.w / r.h, r.h / r.w) < 1.5, `aspect ${r.w}×${r.h}`);
});

test("values ≤ 0 get an empty rectangle; rectangles come back in the values' order", () => {
  const rects = squarify([0, 10, -3, 30], { x: 0, y: 0, w: 40, h: 10 });
  assert.equal(area(rects[0]!), 0);
  assert.equal(area(rects[2]!), 0);
  assert.ok(Math.abs(area(rects[1]!) - 100) < 1e-9);
  assert.ok(Math.abs(area(rects[3]!) - 300) < 1e-9);
  assert.deepEqual(squarify([], { x: 0, y: 0, w: 10, h: 10 }), []);
  assert.deepEqual(squarify([0, 0], { x: 0, y: 0, w: 10, h: 10 }).map(area), [0, 0]);
});

test("inset shrinks on every side and never below zero", () => {
  assert.deepEqual(inset({ x: 0, y: 0, w: 10, h: 6 }, 1), { x: 1, y: 1, w: 8, h: 4 });
  assert.deepEqual(inset({ x: 0, y: 0, w: 1, h: 6 }, 2), { x: 0.5, y: 2, w: 0, h: 2 });
});
