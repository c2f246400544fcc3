import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unpackDeb } from "../debian/deb.js";
import { buildImage, files } from "../define/index.js";
import { assemble, excludeMatcher, userEntries, type UnpackedPackage } from "./assemble.js";

/** A real .deb (dpkg-deb --build) with the given files and postinst, unpacked as fetch does. */
async function unpacked(dir: string, name: string, files: Record<string, string>, postinst?: string): Promise<UnpackedPackage> {
  const root = path.join(dir, name);
  const put = (p: string, text: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text, { mode });
  };
  put("DEBIAN/control", `Package: ${name}\nVersion: 1\nArchitecture: amd64\nMaintainer: T <t@example.org>\nDescription: t\n`);
  if (postinst) put("DEBIAN/postinst", postinst, 0o755);
  for (const [p, text] of Object.entries(files)) put(p, text, 0o755);
  const deb = path.join(dir, `${name}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, deb], { stdio: "pipe" });
  const dest = path.join(dir, `${name}-unpacked`);
  const manifest = await unpackDeb(deb, dest);
  return { locked: { name, version: "1", architecture: "amd64", filename: "", sha256: "", size: 0, suite: "", component: "" }, dir: dest, manifest };
}

test("the assembled tree has the alternatives links of kept packages, and keeps what packages ship", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-assemble-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const jvm = "usr/lib/jvm/java-17-openjdk-amd64";
  const mawk = await unpacked(dir, "mawk", { "usr/bin/mawk": "" }, "#!/bin/sh\nupdate-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \\\n  --slave /usr/bin/nawk nawk /usr/bin/mawk\n");
  const jre = await unpacked(dir, "openjdk-17-jre-headless", {
    [`${jvm}/bin/java`]: "",
    "usr/lib/jvm/.java-1.17.0-openjdk-amd64.jinfo": `name=java-17-openjdk-amd64\npriority=1711\n\nhl java /${jvm}/bin/java\njdkhl javac /${jvm}/bin/javac\n`,
  });
  // A package that ships /usr/bin/nawk itself keeps it.
  const nawk = await unpacked(dir, "nawk-owner", { "usr/bin/nawk": "#!/bin/sh\n" });
  const tree = await assemble(buildImage({ name: "t" }), [mawk, jre, nawk], undefined, []);
  const target = (p: string) => {
    const e = tree.get(p);
    return e?.type === "symlink" ? e.linkname : e?.type;
  };
  assert.equal(target("usr/bin/awk"), "/etc/alternatives/awk");
  assert.equal(target("etc/alternatives/awk"), "/usr/bin/mawk");
  assert.equal(target("usr/bin/java"), "/etc/alternatives/java");
  assert.equal(target("etc/alternatives/java"), `/${jvm}/bin/java`);
  assert.equal(target("usr/bin/nawk"), "file");
  assert.equal(tree.get("usr/bin/nawk")?.origin, "nawk-owner");
  assert.equal(tree.has("usr/bin/javac"), false, "javac's package is not in the image");
  const db = tree.get("var/lib/dpkg/alternatives/java");
  assert.equal(db?.content?.kind === "bytes" && db.content.data.toString(), `auto\n/usr/bin/java\n\n/${jvm}/bin/java\n1711\n\n`);
});

test("files() exclude leaves out names at any depth, globs within a name, and anchored paths", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-exclude-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const p of ["app/index.js", "app/debug.log", "app/node_modules/x/index.js", "app/lib/node_modules/y.js", "app/lib/a.log.txt", "app/public/drafts/d.html", "app/lib/public/drafts/keep.html"]) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), p);
  }
  const spec = buildImage({ name: "t", contents: [files("./app", "/srv", { exclude: ["node_modules", "*.log", "public/drafts"] })] });
  const paths = (await userEntries(spec, dir)).map((e) => e.path);
  assert.deepEqual(paths, ["srv", "srv/index.js", "srv/lib", "srv/lib/a.log.txt", "srv/lib/public", "srv/lib/public/drafts", "srv/lib/public/drafts/keep.html", "srv/public"]);
});

test("excludeMatcher: * and ? stay within one name; a leading slash anchors a bare name", () => {
  const m = excludeMatcher(["*.tmp", "cach?", "/top"]);
  assert.equal(m("a/b/x.tmp"), true);
  assert.equal(m("a.tmp/inner"), false, "only the last name is matched by a name pattern");
  assert.equal(m("lib/cache"), true);
  assert.equal(m("lib/caches"), false);
  assert.equal(m("top"), true);
  assert.equal(m("lib/top"), false);
  assert.equal(excludeMatcher(["a.b"])("axb"), false, "a dot is literal");
});
