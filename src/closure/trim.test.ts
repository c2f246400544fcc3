import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_TRIM } from "../define/spec.js";
import { isTrimmed, trimEntries } from "./trim.js";

test("by default: docs go but copyright stays; man, info, lintian, bug and translations go", () => {
  const t = (p: string) => isTrimmed(p, DEFAULT_TRIM);
  assert.equal(t("usr/share/doc/redis-server/copyright"), false);
  assert.equal(t("usr/share/doc/redis-server/changelog.Debian.gz"), true);
  assert.equal(t("usr/share/doc/redis-server/examples/x.conf"), true);
  assert.equal(t("usr/share/doc/copyright-notes/x"), true);
  assert.equal(t("usr/share/man/man1/redis-server.1.gz"), true);
  assert.equal(t("usr/share/info/dir"), true);
  assert.equal(t("usr/share/lintian/overrides/redis-server"), true);
  assert.equal(t("usr/share/bug/redis-server/control"), true);
  assert.equal(t("usr/share/locale/de/LC_MESSAGES/x.mo"), true);
  assert.equal(t("usr/share/locale/locale.alias"), false);
  assert.equal(t("usr/bin/redis-server"), false);
  assert.equal(t("usr/share/redis/x"), false);
  assert.equal(t("etc/doc/x"), false);
  assert.equal(t("usr/lib/x86_64-linux-gnu/gconv/IBM1390.so"), true);
  assert.equal(t("usr/lib/x86_64-linux-gnu/gconv/gconv-modules"), false);
  assert.equal(isTrimmed("usr/lib/x86_64-linux-gnu/gconv/IBM1390.so", { ...DEFAULT_TRIM, charsets: false }), false);
});

test("options keep what is asked: docs, chosen locales, all locales", () => {
  assert.equal(isTrimmed("usr/share/doc/x/README", { ...DEFAULT_TRIM, docs: false }), false);
  const de = { ...DEFAULT_TRIM, locales: ["de", "pt_BR"] };
  assert.equal(isTrimmed("usr/share/locale/de/LC_MESSAGES/x.mo", de), false);
  assert.equal(isTrimmed("usr/share/locale/de_AT/LC_MESSAGES/x.mo", de), false);
  assert.equal(isTrimmed("usr/share/locale/pt_BR/LC_MESSAGES/x.mo", de), false);
  assert.equal(isTrimmed("usr/share/locale/pt/LC_MESSAGES/x.mo", de), true);
  assert.equal(isTrimmed("usr/share/locale/fr/LC_MESSAGES/x.mo", { ...DEFAULT_TRIM, locales: "all" }), false);
  assert.equal(isTrimmed("usr/share/man/man1/x.1.gz", { ...DEFAULT_TRIM, man: false }), false);
});

test("trimEntries drops trimmed files and the directories they leave empty, keeps the rest", () => {
  const entries = [
    { path: "usr", type: "dir" }, { path: "usr/share", type: "dir" }, { path: "usr/share/doc", type: "dir" },
    { path: "usr/share/doc/p", type: "dir" }, { path: "usr/share/doc/p/copyright", type: "file" }, { path: "usr/share/doc/p/README", type: "file" },
    { path: "usr/share/man", type: "dir" }, { path: "usr/share/man/man1", type: "dir" }, { path: "usr/share/man/man1/p.1.gz", type: "file" },
    { path: "usr/share/p", type: "dir" }, { path: "var/lib/p", type: "dir" },
  ];
  assert.deepEqual(trimEntries(entries, DEFAULT_TRIM).map((e) => e.path), [
    "usr", "usr/share", "usr/share/doc", "usr/share/doc/p", "usr/share/doc/p/copyright", "usr/share/p", "var/lib/p",
  ]);
});
