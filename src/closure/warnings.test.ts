import assert from "node:assert/strict";
import { test } from "node:test";
import { groupWarnings, warningLine, type ClosureWarning } from "./warnings.js";

const w = (file: string, pkg: string, what: string): ClosureWarning => ({ file, pkg, what, run: false });

test("one line per missing thing, with how many files need it and which packages ship them", () => {
  const ws = [
    w("usr/lib/python3.11/pdb.py", "libpython3.11-stdlib", "interpreter /usr/bin/env"),
    w("usr/lib/python3.11/cProfile.py", "libpython3.11-stdlib", "interpreter /usr/bin/env"),
    w("usr/bin/pydoc3.11", "python3.11", "interpreter /usr/bin/env"),
    w("usr/lib/x86_64-linux-gnu/libfoo-plugin.so", "libfoo1", "library libbar.so.2"),
  ];
  assert.deepEqual(groupWarnings(ws), [
    "3 files in libpython3.11-stdlib, python3.11 (/usr/bin/pydoc3.11, …) need interpreter /usr/bin/env, which is not in the image",
    "/usr/lib/x86_64-linux-gnu/libfoo-plugin.so (libfoo1) needs library libbar.so.2, which is not in the image",
  ]);
  // The same file said twice (two references to the same thing) counts once.
  assert.equal(groupWarnings([ws[0]!, ws[0]!]).length, 1);
  assert.match(groupWarnings([ws[0]!, ws[0]!])[0]!, /^\/usr\/lib\/python3\.11\/pdb\.py \(libpython3\.11-stdlib\) needs/);
  assert.deepEqual(groupWarnings([]), []);
  // The complete list keeps a line per file.
  assert.equal(warningLine(ws[0]!), "/usr/lib/python3.11/pdb.py (libpython3.11-stdlib) needs interpreter /usr/bin/env, which none of the packages it depends on ships");
});
