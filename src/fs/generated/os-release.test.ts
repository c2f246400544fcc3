import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { osRelease } from "./os-release.js";

test("Debian 12: the os-release base-files ships, and debian_version", () => {
  const r = osRelease({ origin: "Debian", codename: "bookworm", version: "12.11" });
  assert.equal(r.osRelease, [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    "VERSION_CODENAME=bookworm",
    "ID=debian",
    'HOME_URL="https://www.debian.org/"',
    'SUPPORT_URL="https://www.debian.org/support"',
    'BUG_REPORT_URL="https://bugs.debian.org/"',
    "",
  ].join("\n"));
  assert.equal(r.debianVersion, "12.11\n");
});

test("matches this host's /etc/os-release when the host is Debian", (t) => {
  const host = fs.existsSync("/etc/os-release") ? fs.readFileSync("/etc/os-release", "utf8") : "";
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(host)?.[1];
  const version = fs.existsSync("/etc/debian_version") ? fs.readFileSync("/etc/debian_version", "utf8").trim() : "";
  if (!/^ID=debian$/m.test(host) || !codename || !/^\d+\.\d+$/.test(version)) return t.skip("not a Debian stable host");
  assert.equal(osRelease({ origin: "Debian", codename, version }).osRelease, host);
});

test("a testing suite without a version, and another origin", () => {
  const testing = osRelease({ origin: "Debian", codename: "trixie" });
  assert.equal(testing.osRelease.split("\n")[0], 'PRETTY_NAME="Debian GNU/Linux (trixie)"');
  assert.doesNotMatch(testing.osRelease, /VERSION_ID|VERSION=/);
  assert.equal(testing.debianVersion, undefined);
  const other = osRelease({ origin: "My Distro!", codename: "one", version: "3.1" });
  assert.match(other.osRelease, /^NAME="My Distro!"$/m);
  assert.match(other.osRelease, /^ID=mydistro$/m);
  assert.doesNotMatch(other.osRelease, /URL/);
  assert.equal(other.debianVersion, undefined);
});
