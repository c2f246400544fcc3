import assert from "node:assert/strict";
import { test } from "node:test";
import { commonLicenses, declaredLicense, dep5License } from "./license.js";
import { allOf, licenseRef, spdxExpression, spdxLicense } from "./license-spdx.js";

test("Debian short names map to SPDX ids: the GNU family with -only/-or-later, aliases, the list's own spelling", () => {
  const cases: [string, string][] = [
    ["GPL-2+", "GPL-2.0-or-later"],
    ["GPL-2", "GPL-2.0-only"],
    ["GPL-2.0+", "GPL-2.0-or-later"],
    ["GPLv3+", "GPL-3.0-or-later"],
    ["LGPL-2.1+", "LGPL-2.1-or-later"],
    ["LGPLv2.1+", "LGPL-2.1-or-later"],
    ["LGPL-2", "LGPL-2.0-only"],
    ["LGPL-3.0+", "LGPL-3.0-or-later"],
    ["AGPL-3", "AGPL-3.0-only"],
    ["GFDL-1.2+", "GFDL-1.2-or-later"],
    ["GFDL-NIV-1.2+", "GFDL-1.2-no-invariants-or-later"],
    ["GPL+", "GPL-1.0-or-later"],
    ["BSD-3-clause", "BSD-3-Clause"],
    ["BSD-2-clause", "BSD-2-Clause"],
    ["BSD-3", "BSD-3-Clause"],
    ["Expat", "MIT"],
    ["MIT", "MIT"],
    ["zlib", "Zlib"],
    ["Apache-2", "Apache-2.0"],
    ["Apache-2.0", "Apache-2.0"],
    ["MPL-2.0", "MPL-2.0"],
    ["CC0", "CC0-1.0"],
    ["ISC", "ISC"],
    ["OpenLDAP-2.8", "OLDAP-2.8"],
    ["Artistic", "Artistic-1.0-Perl"],
    ["Perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"],
    ["MPL-1.1+", "MPL-1.1+"],
    ["public-domain", "LicenseRef-public-domain"],
  ];
  for (const [debian, spdx] of cases) assert.equal(spdxLicense(debian), spdx, debian);
});

test("names the SPDX list lacks become LicenseRef- ids of letters, digits, . and -", () => {
  assert.equal(spdxLicense("BSD-3-Clause-Google"), "LicenseRef-BSD-3-Clause-Google");
  assert.equal(spdxLicense("GPL"), "LicenseRef-GPL");
  assert.equal(spdxLicense("GPL-7+"), "LicenseRef-GPL-7-or-later");
  assert.equal(licenseRef("permissive (FSF) / other"), "LicenseRef-permissive-FSF-other");
  assert.equal(spdxLicense(""), "NOASSERTION");
});

test("DEP-5 expressions: or/and precedence kept, a comma groups, exceptions become WITH when SPDX lists them", () => {
  assert.equal(spdxExpression("GPL-1+ or Artistic"), "GPL-1.0-or-later OR Artistic-1.0-Perl");
  assert.equal(spdxExpression("GPL-2+ or Artistic-2.0, and BSD-3-clause"), "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
  assert.equal(spdxExpression("LGPL-3+ or GPL-2+"), "LGPL-3.0-or-later OR GPL-2.0-or-later");
  assert.equal(spdxExpression("Perl"), "Artistic-1.0-Perl OR GPL-1.0-or-later");
  assert.equal(spdxExpression("Apache-2.0 or Perl"), "Apache-2.0 OR (Artistic-1.0-Perl OR GPL-1.0-or-later)");
  assert.equal(spdxExpression("GPL-2 with Linux-syscall-note exception"), "GPL-2.0-only WITH Linux-syscall-note");
  assert.equal(spdxExpression("GPL-2+ with OpenSSL exception"), "LicenseRef-GPL-2-or-later-with-OpenSSL-exception");
  assert.equal(allOf(["MIT", "GPL-2.0-only OR BSD-3-Clause", "MIT", "NOASSERTION"]), "(GPL-2.0-only OR BSD-3-Clause) AND MIT");
  assert.equal(allOf([]), "NOASSERTION");
});

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example
Source: https://example.invalid/

Files: *
Copyright: 2001-2020 Someone
License: LGPL-2.1+

Files: src/tool/*
Copyright: 2003 Someone Else
License: GPL-2+
 This program is free software; you can redistribute it ...
 .
 On Debian systems, see /usr/share/common-licenses/GPL-2.

Files: contrib/hash.c
Copyright: 2009 A Hasher
License: hash-permissive

Files: debian/*
Copyright: 2010 The Maintainer
License: LGPL-2.1+

License: LGPL-2.1+
 This library is free software.

License: hash-permissive
 Do what you like with this file.
 .
 No warranty.
`;

test("DEP-5: the License of every Files paragraph, deduplicated, sorted, with the text of a LicenseRef", () => {
  const l = dep5License(DEP5)!;
  assert.equal(l.method, "dep5");
  assert.equal(l.expression, "GPL-2.0-or-later AND LGPL-2.1-or-later AND LicenseRef-hash-permissive");
  assert.deepEqual([...l.texts], [["LicenseRef-hash-permissive", "Do what you like with this file.\n\nNo warranty."]]);
});

test("a file that is not DEP-5 is not read as one; its common-licenses references are, with 'or later' and versions from the prose", () => {
  const glibc = `This is the Debian prepackaged version of the GNU C Library.

* Most of the GNU C library is under the following copyright:

    The GNU C Library is free software; you can redistribute it and/or
    modify it under the terms of the GNU Lesser General Public
    License as published by the Free Software Foundation; either
    version 2.1 of the License, or (at your option) any later version.

  On Debian systems, the complete text of the GNU Library
  General Public License can be found in \`/usr/share/common-licenses/LGPL-2.1'.

* The utilities are under the following copyright:

    This program is free software; you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published
    by the Free Software Foundation; version 2 of the License, or
    (at your option) any later version.

  On Debian systems, the complete text of the GNU General Public
  License can be found in \`/usr/share/common-licenses/GPL-2'.
`;
  assert.equal(dep5License(glibc), undefined);
  const l = declaredLicense(glibc);
  assert.equal(l.method, "common-licenses");
  assert.equal(l.expression, "GPL-2.0-or-later AND LGPL-2.1-or-later");

  const old = "either version 2 of the License.\nSee /usr/share/common-licenses/GPL.\nAlso /usr/share/common-licenses/BSD.";
  assert.equal(commonLicenses(old).expression, "BSD-3-Clause AND GPL-2.0-only");
  // "GPL" with no version anywhere before it cannot be told apart.
  assert.equal(commonLicenses("See /usr/share/common-licenses/GPL for the text.").expression, "NOASSERTION");
});

test("no copyright file, or one that says nothing usable: NOASSERTION", () => {
  assert.deepEqual({ ...declaredLicense(undefined), texts: undefined }, { expression: "NOASSERTION", method: "none", texts: undefined });
  assert.equal(declaredLicense("Copyright 2001 Someone. All rights reserved.").expression, "NOASSERTION");
  assert.equal(declaredLicense("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\n").method, "none");
});
