import assert from "node:assert/strict";
import { test } from "node:test";
import { debianUpstream, meets } from "./pin-sources.js";

test("a Debian version's upstream part, compared with a requirement's specifiers", () => {
  assert.equal(debianUpstream("4.4.0-1"), "4.4.0");
  assert.equal(debianUpstream("3:3.2.19-1+deb12u1"), "3.2.19");
  assert.equal(debianUpstream("2.28.1+dfsg-1"), "2.28.1");
  assert.equal(meets("4.4.0", "humanize==4.9.0"), false);
  assert.equal(meets("4.4.0", "humanize>=4"), true);
  assert.equal(meets("4.4.0", "humanize>=4,<4.4"), false);
  assert.equal(meets("4.4.0", "humanize~=4.2"), true);
  assert.equal(meets("5.0", "humanize~=4.2"), false);
  assert.equal(meets("3.2.19", "Django==3.2.*"), true);
  assert.equal(meets("4.2", "Django!=4.2.*"), false);
  assert.equal(meets("1.0", "pkg[extra]>=1 ; python_version >= '3.8'"), true);
  assert.equal(meets("1.0", "pkg"), true);
});
