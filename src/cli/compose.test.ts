import assert from "node:assert/strict";
import { test } from "node:test";
import { buildImage, compose } from "../define/index.js";
import { ErrorCode, isCairnError } from "../errors.js";
import { pickCompose } from "./compose.js";
import { pickImage, type Definition } from "../load/definition.js";

const web = buildImage({ name: "web" });
const stack = compose({ services: { web: { image: web } } });

function def(composes: Record<string, ReturnType<typeof compose>>): Definition {
  return { file: "/d/image.ts", images: new Map([["web", web]]), composes: new Map(Object.entries(composes)), checked: Promise.resolve() };
}

function fails(fn: () => unknown, message: RegExp, hint?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCairnError(e), String(e));
    assert.equal(e.code, ErrorCode.EXPORT_NOT_FOUND);
    assert.match(e.message, message);
    if (hint) assert.match(e.hint ?? "", hint);
    return true;
  });
}

test("pickCompose: the only compose export, or the one named", () => {
  assert.equal(pickCompose(def({ stack }), undefined).spec, stack);
  assert.deepEqual(pickCompose(def({ stack, other: stack }), "other").name, "other");
  fails(() => pickCompose(def({ a: stack, b: stack }), undefined), /several compose\(\) definitions \(a, b\); pick one with -A NAME/);
  fails(() => pickCompose(def({}), undefined), /exports no compose\(\) definition/, /export const stack = compose/);
  fails(() => pickCompose(def({ stack }), "web"), /"web" is an image, not a compose\(\) export/, /cairn build -A web/);
  fails(() => pickCompose(def({ stack }), "nope"), /has no compose\(\) export "nope"/, /compose\(\) exports in this file: stack/);
});

test("a compose export does not count as an image: `cairn build` still picks the only image", () => {
  assert.equal(pickImage(def({ stack }), undefined).spec, web);
});
