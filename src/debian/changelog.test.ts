import assert from "node:assert/strict";
import { test } from "node:test";
import { cveIds, entriesBetween, parseChangelog } from "./changelog.js";

const text = `redis (5:7.0.15-1~deb12u2) bookworm-security; urgency=medium

  * CVE-2024-31228: Prevent unbounded pattern matching.
    (Closes: #1]
  * Also CVE-2024-31449 and again CVE-2024-31228.

 -- Someone <s@example.org>  Thu, 10 Oct 2024 10:00:00 +0000

redis (5:7.0.15-1~deb12u1) bookworm; urgency=medium

  * New upstream security release (CVE-2023-41056).

 -- Someone <s@example.org>  Tue, 09 Jan 2024 10:00:00 +0000

redis (5:7.0.11-1) unstable; urgency=medium

  * New upstream release.

 -- Someone <s@example.org>  Mon, 01 May 2023 10:00:00 +0000
`;

test("a Debian changelog: entries newest first, their lines and dates", () => {
  const entries = parseChangelog(text);
  assert.deepEqual(entries.map((e) => e.version), ["5:7.0.15-1~deb12u2", "5:7.0.15-1~deb12u1", "5:7.0.11-1"]);
  assert.equal(entries[0]!.date, "Thu, 10 Oct 2024 10:00:00 +0000");
  assert.deepEqual(entries[0]!.changes, ["* CVE-2024-31228: Prevent unbounded pattern matching.", "  (Closes: #1]", "* Also CVE-2024-31449 and again CVE-2024-31228."]);
});

test("the entries between two versions, by Debian's version order, and the CVEs they name once each", () => {
  const entries = parseChangelog(text);
  const between = entriesBetween(entries, "5:7.0.11-1", "5:7.0.15-1~deb12u1");
  assert.deepEqual(between.map((e) => e.version), ["5:7.0.15-1~deb12u1"], "the old version's own entry is not news; the new one's is");
  assert.deepEqual(cveIds(entriesBetween(entries, "5:7.0.11-1", "5:7.0.15-1~deb12u2")), ["CVE-2023-41056", "CVE-2024-31228", "CVE-2024-31449"]);
  assert.deepEqual(entriesBetween(entries, "5:7.0.15-1~deb12u2", "5:7.0.15-1~deb12u2"), []);
});
