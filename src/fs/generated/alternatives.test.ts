import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { jinfoAlternatives, planAlternatives, postinstAlternatives, type AltCandidate } from "./alternatives.js";

// mawk 1.3.4.20200120-3.1 (bookworm), its whole postinst.
const MAWK_POSTINST = `#!/bin/sh
set -e
# Automatically added by dh_installalternatives/13.7.1
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
        update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \\
            --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \\
            --slave /usr/bin/nawk nawk /usr/bin/mawk \\
            --slave /usr/share/man/man1/nawk.1.gz nawk.1.gz /usr/share/man/man1/mawk.1.gz
fi
# End automatically added section
`;

// openjdk-17-jre-headless 17.0.x (bookworm): the postinst's loop (excerpt) and the .jinfo (excerpt).
const OPENJDK_POSTINST = `#!/bin/sh
priority=1711
basedir=/usr/lib/jvm/java-17-openjdk-amd64
jre_tools='java jpackage keytool rmiregistry'
    for i in $jre_tools; do
        update-alternatives \\
            --install \\
            /usr/bin/$i \\
            $i \\
            $basedir/bin/$i \\
            $priority \\
	    $slave1 $slave2
    done
    update-alternatives \\
	--install /usr/bin/jexec jexec $basedir/lib/jexec $priority \\
	--slave \\
	    /usr/share/binfmts/jar \\
	    jexec-binfmt \\
	    $basedir/lib/jar.binfmt
    oldp=$(update-alternatives --query java | awk -v b=$basedir '/^Alternative:/ && $2~b {p=1}')
`;

const JINFO = `name=java-17-openjdk-amd64
alias=java-1.17.0-openjdk-amd64
priority=1711
section=main

hl java /usr/lib/jvm/java-17-openjdk-amd64/bin/java
hl keytool /usr/lib/jvm/java-17-openjdk-amd64/bin/keytool
hl jexec /usr/lib/jvm/java-17-openjdk-amd64/lib/jexec
jdkhl javac /usr/lib/jvm/java-17-openjdk-amd64/bin/javac
jdk jconsole /usr/lib/jvm/java-17-openjdk-amd64/bin/jconsole
`;

const J = "/usr/lib/jvm/java-17-openjdk-amd64";

test("a literal --install call with slaves, joined across backslash-newlines", () => {
  assert.deepEqual(postinstAlternatives(MAWK_POSTINST), [{
    link: "/usr/bin/awk", name: "awk", path: "/usr/bin/mawk", priority: 5,
    slaves: [
      { link: "/usr/share/man/man1/awk.1.gz", name: "awk.1.gz", path: "/usr/share/man/man1/mawk.1.gz" },
      { link: "/usr/bin/nawk", name: "nawk", path: "/usr/bin/mawk" },
      { link: "/usr/share/man/man1/nawk.1.gz", name: "nawk.1.gz", path: "/usr/share/man/man1/mawk.1.gz" },
    ],
  }]);
});

test("calls with shell variables, other actions and trailing operators", () => {
  assert.deepEqual(postinstAlternatives(OPENJDK_POSTINST), []);
  const text = [
    "  update-alternatives --quiet --install /usr/bin/editor editor /bin/ed -100 || true",
    "update-alternatives --remove editor /bin/ed",
    "# update-alternatives --install /usr/bin/x x /usr/bin/y 1",
    "[ -x /usr/bin/y ] && update-alternatives --install \"/usr/bin/pager\" pager /bin/more 50; fi",
    "update-alternatives --install /usr/bin/z z /usr/bin/z1 high",
    "update-alternatives --install /usr/bin/w w /usr/bin/w1 1 --slave /usr/bin/v v",
  ].join("\n");
  assert.deepEqual(postinstAlternatives(text).map((c) => [c.link, c.name, c.path, c.priority]), [
    ["/usr/bin/editor", "editor", "/bin/ed", -100],
    ["/usr/bin/pager", "pager", "/bin/more", 50],
  ]);
});

// imagemagick-6.q16 6.9.11.60 (bookworm): its postinst installs each tool from a loop over literal names.
const IMAGEMAGICK_POSTINST = `#!/bin/sh
set -e
if [ "$1" = "configure" ]
then
    # Setup alternatives for each program separately along with their
    # manual pages
    for prog in compare convert; do
	if dpkg --compare-versions "$2" lt-nl "8:6.9.2.10+dfsg-3"; then
	    if  update-alternatives --list $prog > /dev/null 2>&1; then
		update-alternatives --remove-all $prog
	    fi
	fi
	update-alternatives --install /usr/bin/$prog \\
	                    $prog /usr/bin/$prog-im6.q16 10000 \\
	                    --slave /usr/share/man/man1/$prog.1.gz \\
	                    $prog.1.gz /usr/share/man/man1/$prog-im6.q16.1.gz
    done
fi
`;

test("a loop over literal names is unrolled; a loop over a variable is not", () => {
  assert.deepEqual(postinstAlternatives(IMAGEMAGICK_POSTINST).map((c) => [c.link, c.name, c.path, c.priority, c.slaves.map((s) => s.path)]), [
    ["/usr/bin/compare", "compare", "/usr/bin/compare-im6.q16", 10000, ["/usr/share/man/man1/compare-im6.q16.1.gz"]],
    ["/usr/bin/convert", "convert", "/usr/bin/convert-im6.q16", 10000, ["/usr/share/man/man1/convert-im6.q16.1.gz"]],
  ]);
  assert.deepEqual(postinstAlternatives(IMAGEMAGICK_POSTINST.replace("in compare convert;", "in $tools;")), []);
});

test("a .jinfo gives /usr/bin/NAME for every tool, at the header's priority, man page as slave", () => {
  const c = jinfoAlternatives(JINFO);
  assert.deepEqual(c.map((x) => [x.link, x.name, x.path, x.priority]), [
    ["/usr/bin/java", "java", `${J}/bin/java`, 1711],
    ["/usr/bin/keytool", "keytool", `${J}/bin/keytool`, 1711],
    ["/usr/bin/jexec", "jexec", `${J}/lib/jexec`, 1711],
    ["/usr/bin/javac", "javac", `${J}/bin/javac`, 1711],
    ["/usr/bin/jconsole", "jconsole", `${J}/bin/jconsole`, 1711],
  ]);
  assert.deepEqual(c[0]!.slaves, [{ link: "/usr/share/man/man1/java.1.gz", name: "java.1.gz", path: `${J}/man/man1/java.1.gz`, ifPresent: true }]);
  assert.deepEqual(c[2]!.slaves, [{ link: "/usr/share/binfmts/jar", name: "jexec-binfmt", path: `${J}/lib/jar.binfmt` }]);
  assert.deepEqual(jinfoAlternatives(JINFO.replace("priority=1711\n", "")), []);
});

const cand = (name: string, p: string, priority: number, slaves: AltCandidate["slaves"] = []): AltCandidate => ({ link: `/usr/bin/${name}`, name, path: p, priority, slaves });

test("the highest priority present candidate wins; ties go to the smaller path; absent ones are ignored", () => {
  const present = new Set(["usr/bin/mawk", "usr/bin/gawk", "usr/bin/b", "usr/bin/a", `${J.slice(1)}/bin/java`]);
  const plan = planAlternatives([
    cand("awk", "/usr/bin/mawk", 5), cand("awk", "/usr/bin/gawk", 10), cand("awk", "/usr/bin/original-awk", 99),
    cand("x", "/usr/bin/b", 1), cand("x", "/usr/bin/a", 1),
    ...jinfoAlternatives(JINFO),
  ], (p) => present.has(p));
  assert.deepEqual(plan.links, [
    { path: "etc/alternatives/awk", target: "/usr/bin/gawk" },
    { path: "etc/alternatives/java", target: `${J}/bin/java` },
    { path: "etc/alternatives/x", target: "/usr/bin/a" },
    { path: "usr/bin/awk", target: "/etc/alternatives/awk" },
    { path: "usr/bin/java", target: "/etc/alternatives/java" },
    { path: "usr/bin/x", target: "/etc/alternatives/x" },
  ]);
  assert.deepEqual(plan.databases.map((d) => d.path), ["var/lib/dpkg/alternatives/awk", "var/lib/dpkg/alternatives/java", "var/lib/dpkg/alternatives/x"]);
  assert.equal(plan.databases[0]!.text, "auto\n/usr/bin/awk\n\n/usr/bin/gawk\n10\n/usr/bin/mawk\n5\n\n");
});

test("paths already in the image are never replaced; slaves only where their target is there", () => {
  const [mawk] = postinstAlternatives(MAWK_POSTINST);
  // Man pages trimmed away; a package of its own ships /usr/bin/awk.
  const present = new Set(["usr/bin/mawk", "usr/bin/awk"]);
  const plan = planAlternatives([mawk!], (p) => present.has(p));
  assert.deepEqual(plan.links, [
    { path: "etc/alternatives/awk", target: "/usr/bin/mawk" },
    { path: "etc/alternatives/nawk", target: "/usr/bin/mawk" },
    { path: "usr/bin/nawk", target: "/etc/alternatives/nawk" },
  ]);
  // Paths through /bin count as the merged /usr/bin ones.
  // A .jinfo's man-page slave exists only where the man page does (as the postinst's `-e` test).
  const java = jinfoAlternatives(JINFO).slice(0, 1);
  const javaDb = (files: string[]) => planAlternatives(java, (p) => files.includes(p)).databases[0]!.text;
  assert.equal(javaDb([`${J.slice(1)}/bin/java`]), `auto\n/usr/bin/java\n\n${J}/bin/java\n1711\n\n`);
  assert.equal(javaDb([`${J.slice(1)}/bin/java`, `${J.slice(1)}/man/man1/java.1.gz`]),
    `auto\n/usr/bin/java\njava.1.gz\n/usr/share/man/man1/java.1.gz\n\n${J}/bin/java\n1711\n${J}/man/man1/java.1.gz\n\n`);
  const ed = planAlternatives(postinstAlternatives("update-alternatives --install /usr/bin/editor editor /bin/ed -100"), (p) => p === "usr/bin/ed");
  assert.deepEqual(ed.links.map((l) => l.path), ["etc/alternatives/editor", "usr/bin/editor"]);
});

test("the generated tree reads back with the host's update-alternatives", (t) => {
  try {
    execFileSync("update-alternatives", ["--version"], { stdio: "ignore" });
  } catch {
    return t.skip("update-alternatives (dpkg) is not installed");
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-alt-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const files = ["usr/bin/mawk", "usr/share/man/man1/mawk.1.gz", `${J.slice(1)}/bin/java`];
  for (const f of files) {
    fs.mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), "");
  }
  const plan = planAlternatives([...postinstAlternatives(MAWK_POSTINST), ...jinfoAlternatives(JINFO)], (p) => files.includes(p));
  for (const l of plan.links) {
    fs.mkdirSync(path.join(root, path.dirname(l.path)), { recursive: true });
    fs.symlinkSync(l.target, path.join(root, l.path));
  }
  for (const d of plan.databases) {
    fs.mkdirSync(path.join(root, path.dirname(d.path)), { recursive: true });
    fs.writeFileSync(path.join(root, d.path), d.text);
  }
  const query = (name: string) => execFileSync("update-alternatives", ["--root", root, "--query", name], { encoding: "utf8" });
  const awk = query("awk");
  assert.match(awk, /^Link: \/usr\/bin\/awk$/m);
  assert.match(awk, /^Status: auto$/m);
  assert.match(awk, /^Value: \/usr\/bin\/mawk$/m);
  assert.match(awk, /^ nawk \/usr\/bin\/nawk$/m);
  assert.match(awk, /^Priority: 5$/m);
  const java = query("java");
  assert.match(java, new RegExp(`^Value: ${J}/bin/java$`, "m"));
  assert.match(java, /^Priority: 1711$/m);
  // Resolving inside the root: awk → /etc/alternatives/awk → /usr/bin/mawk.
  const hop1 = fs.readlinkSync(path.join(root, "usr/bin/awk"));
  assert.equal(fs.readlinkSync(path.join(root, hop1)), "/usr/bin/mawk");
});
