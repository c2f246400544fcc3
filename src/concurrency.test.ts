import { test } from "node:test";
import assert from "node:assert/strict";
import { mapLimit } from "./concurrency.js";

test("mapLimit keeps input order in its results and never runs more than the limit at once", async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, x));
    running--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
});

test("mapLimit with a weight starts the heaviest items first (ties in input order), results still in input order", async () => {
  const started: string[] = [];
  const items = ["b", "dddd", "cc", "a", "ee"];
  const out = await mapLimit(items, 1, async (x) => {
    started.push(x);
    return x.toUpperCase();
  }, (x) => x.length);
  assert.deepEqual(started, ["dddd", "cc", "ee", "b", "a"]);
  assert.deepEqual(out, ["B", "DDDD", "CC", "A", "EE"]);
});
