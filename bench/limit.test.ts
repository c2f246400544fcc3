import { test } from "node:test";
import assert from "node:assert/strict";
import { balance } from "./limit.js";

test("work is split into groups of about the same size, largest first, none empty", () => {
  const groups = balance([1, 9, 3, 5, 4], (x) => x, 2);
  assert.deepEqual(groups, [[9, 3], [5, 4, 1]]);
  assert.deepEqual(balance([7], (x) => x, 2), [[7]]);
  assert.deepEqual(balance([], (x: number) => x, 2), []);
});
