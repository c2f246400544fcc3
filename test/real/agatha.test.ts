// Seed 003 for real: examples/java-backend (a jar compiled by Debian's JDK in a derivation, run by
// Debian's JRE, or by a jlink runtime) answering alone; then examples/agatha through `cairn compose
// --load` into a private podman, its three services started from the compose file cairn wrote on
// one network, and an item POSTed through the front (front → back → db) read back through it.
// The shared test cache: the JDK alone is a 72 MB download, and alternatives.test.ts and
// node.test.ts need the JRE and node too.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { sharedCache } from "../support/cache.js";
import { cairn, extractImage, lastLine } from "../support/cairn.js";
import { command } from "../support/command.js";
import { available, eventually, freePort, podmanConfig, removeTree } from "../support/engines.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const SEED_BACK_MB = 1800; // seed 003's agatha-back image, as dive reported it

interface Service { image: string; environment: Record<string, string>; ports: string[]; depends_on: string[] }

/**
 * Reads the compose.yaml `cairn compose` writes — the subset it uses: nested maps by indentation,
 * `- "item"` lists, `["a", "b"]` flow lists and double-quoted (JSON) strings, compose's `$$`.
 */
function readCompose(yaml: string): { name?: string; services: Record<string, Service> } {
  const value = (s: string): unknown => {
    const v = s.startsWith('"') || s.startsWith("[") ? JSON.parse(s) : s;
    const unescape = (x: string) => x.replace(/\$\$/g, "$");
    return Array.isArray(v) ? v.map(unescape) : typeof v === "string" ? unescape(v) : v;
  };
  const root: Record<string, unknown> = {};
  const stack: { indent: number; node: Record<string, unknown> | unknown[] }[] = [{ indent: -1, node: root }];
  let pendingKey: { parent: Record<string, unknown>; key: string; indent: number } | undefined;
  for (const raw of yaml.split("\n")) {
    if (!raw.trim() || raw.trim().startsWith("#")) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    while (stack.length > 1 && stack.at(-1)!.indent > indent) stack.pop();
    if (pendingKey) {
      // The first line under `key:` says whether its value is a list or a map.
      const node = line.startsWith("- ") ? [] : {};
      pendingKey.parent[pendingKey.key] = node;
      stack.push({ indent, node });
      pendingKey = undefined;
    }
    const top = stack.at(-1)!.node;
    if (line.startsWith("- ")) {
      assert.ok(Array.isArray(top), `a list item outside a list: ${raw}`);
      top.push(value(line.slice(2)));
      continue;
    }
    const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(line);
    assert.ok(m && !Array.isArray(top), `unexpected line in compose.yaml: ${raw}`);
    if (m[2] === undefined) pendingKey = { parent: top, key: m[1]!, indent };
    else top[m[1]!] = value(m[2]);
  }
  const services = root["services"] as Record<string, Partial<Service>>;
  for (const s of Object.values(services)) {
    s.environment ??= {};
    s.ports ??= [];
    s.depends_on ??= [];
  }
  return { ...(root["name"] ? { name: root["name"] as string } : {}), services: services as Record<string, Service> };
}

/** Services so that each comes after those it depends on. */
function startOrder(services: Record<string, Service>): string[] {
  const order: string[] = [];
  const visit = (n: string) => {
    if (order.includes(n)) return;
    services[n]!.depends_on.forEach(visit);
    order.push(n);
  };
  Object.keys(services).sort().forEach(visit);
  return order;
}

async function http(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text() };
}

describe("seed 003: java-backend alone, then agatha through cairn compose", { skip: !available().podman && "podman or runc missing" }, () => {
  let dir = "";
  let env: NodeJS.ProcessEnv = {};
  const network = `cairn-agatha-${process.pid}`;
  const cache = sharedCache;
  const podman = (args: string[], allowFail = false) => command("podman", args, { env: { ...process.env, ...env }, allowFail, timeoutMs: 300_000 });
  const logsOf = async (names: string[]) => (await Promise.all(names.map(async (n) => `--- ${n}:\n${(await podman(["logs", n], true)).stdout}${(await podman(["logs", n], true)).stderr}`))).join("\n");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-agatha-"));
    env = { ...(await podmanConfig(dir)), DOCKER_HOST: "" };
  });

  after(async () => {
    const left = (await podman(["ps", "-aq"], true)).stdout.split("\n").filter(Boolean);
    if (left.length) await podman(["rm", "-f", "-t", "0", ...left], true);
    await podman(["network", "rm", "-f", network], true);
    await podman(["rmi", "-a", "-f"], true);
    await removeTree(dir).catch(() => {});
  });

  test("java-backend: the JRE image and the jlink image answer /api/health and keep items in memory", async (t) => {
    const file = join(examples, "java-backend/image.ts");
    const lock = await readFile(join(examples, "java-backend/cairn.lock"), "utf8");
    const tar = join(dir, "back.tar");
    const r = await cairn(["build", file, "-A", "image", "-o", tar, "--cache-dir", cache()], { env, timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /derivation agatha-back-jar: (building|inputs unchanged)/);
    assert.equal(await readFile(join(examples, "java-backend/cairn.lock"), "utf8"), lock, "the committed lock is kept");

    const { root, config } = await extractImage(tar);
    assert.deepEqual(config.config.Cmd, ["/usr/bin/backend"]);
    const wrapper = await readFile(join(root, "usr/bin/backend"), "utf8");
    assert.match(wrapper, /^exec '\/usr\/bin\/java' '-Xmx256m' .*'-cp' '\/usr\/share\/agatha-back\/backend\.jar:\/usr\/share\/java\/postgresql\.jar' 'backend\.Main' "\$@"$/m);
    const unzip = await command("python3", ["-c", "import sys, zipfile; print('\\n'.join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))", join(root, "usr/share/agatha-back/backend.jar")]);
    assert.match(unzip.stdout, /^backend\/Main\.class$/m);
    await assert.rejects(readFile(join(root, "usr/lib/jvm/java-17-openjdk-amd64/bin/javac")), "the JDK stays in the derivation");
    await assert.rejects(readFile(join(root, "usr/share/ca-certificates-java/ca-certificates-java.jar")), "ca-certificates-java is excluded");
    const du = Number((await command("du", ["-sb", "--apparent-size", root])).stdout.split("\t")[0]) / 1e6;
    t.diagnostic(`agatha-back: ${du.toFixed(1)} MB unpacked (the seed's: ${SEED_BACK_MB} MB)`);
    assert.ok(du < SEED_BACK_MB / 5, `${du} MB`);

    const slimTar = join(dir, "back-slim.tar");
    const s = await cairn(["build", file, "-A", "slim", "-o", slimTar, "--cache-dir", cache()], { env, timeoutMs: 600_000 });
    assert.equal(s.code, 0, s.stderr);
    const slim = await extractImage(slimTar);
    const slimMb = Number((await command("du", ["-sb", "--apparent-size", slim.root])).stdout.split("\t")[0]) / 1e6;
    t.diagnostic(`agatha-back:slim (jlink runtime): ${slimMb.toFixed(1)} MB unpacked`);
    assert.ok(slimMb < 80, `${slimMb} MB`);
    await assert.rejects(readFile(join(slim.root, "usr/lib/jvm/java-17-openjdk-amd64/lib/modules")), "no Debian JRE in the slim image");

    for (const [image, t] of [["agatha-back:latest", tar], ["agatha-back:slim", slimTar]] as const) {
      await podman(["load", "-i", t]);
      const port = await freePort();
      const name = `back-alone-${image.split(":")[1]}`;
      await podman(["run", "-d", "--name", name, "-p", `127.0.0.1:${port}:8080`, image]);
      try {
        const health = await eventually(() => http(`http://127.0.0.1:${port}/api/health`), 60_000, 250).catch(async (e) => { throw new Error(`${e.message}\n${await logsOf([name])}`); });
        assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: "ok", storage: "memory" }]);
        const added = await http(`http://127.0.0.1:${port}/api/items`, { method: "POST", body: JSON.stringify({ name: 'café "quoted"' }) });
        assert.deepEqual([added.status, JSON.parse(added.body)], [201, { id: 1, name: 'café "quoted"' }]);
        assert.deepEqual(JSON.parse((await http(`http://127.0.0.1:${port}/api/items`)).body), [{ id: 1, name: 'café "quoted"' }]);
        assert.equal((await http(`http://127.0.0.1:${port}/api/items`, { method: "POST", body: "{}" })).status, 400);
      } finally {
        await podman(["rm", "-f", "-t", "0", name], true);
      }
    }
  });

  test("agatha: cairn compose --load; an item POSTed through the front is stored by the backend in PostgreSQL and read back", async (t) => {
    const file = join(examples, "agatha/image.ts");
    const lock = await readFile(join(examples, "agatha/cairn.lock"), "utf8");
    const out = join(dir, "compose.yaml");
    const r = await cairn(["compose", file, "-o", out, "--load", "--engine", "podman", "--cache-dir", cache()], { env, timeoutMs: 900_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(examples, "agatha/cairn.lock"), "utf8"), lock, "the committed lock is kept");
    assert.match(lastLine(r), /^front agatha-front:latest sha256:[0-9a-f]{64}$/);
    const yaml = await readFile(out, "utf8");
    const spec = readCompose(yaml);
    assert.equal(spec.name, "agatha");
    assert.deepEqual(Object.keys(spec.services), ["back", "db", "front"]);
    assert.deepEqual(Object.values(spec.services).map((s) => s.image), ["agatha-back:latest", "agatha-db:latest", "agatha-front:latest"]);
    assert.deepEqual(startOrder(spec.services), ["db", "back", "front"]);

    // The same again (everything cached) writes the same bytes.
    const again = await cairn(["compose", file, "-o", "-", "--cache-dir", cache()], { env, timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, yaml);

    for (const image of ["agatha-db", "agatha-back", "agatha-front"]) {
      const size = Number((await podman(["image", "inspect", "--format", "{{.Size}}", `${image}:latest`])).stdout.trim()) / 1e6;
      t.diagnostic(`${image}: ${size.toFixed(1)} MB`);
    }

    // As compose would: one network, each service by its name, its environment, the published
    // port of the front on a free host port.
    await podman(["network", "create", network]);
    const frontPort = await freePort();
    const started: string[] = [];
    for (const name of startOrder(spec.services)) {
      const s = spec.services[name]!;
      const publish = name === "front" ? ["-p", `127.0.0.1:${frontPort}:${s.ports[0]!.split(":").at(-1)}`] : [];
      await podman(["run", "-d", "--network", network, "--name", name, ...publish, ...Object.entries(s.environment).flatMap(([k, v]) => ["-e", `${k}=${v}`]), s.image]);
      started.push(name);
    }
    const front = `http://127.0.0.1:${frontPort}`;
    try {
      // The backend reports PostgreSQL once it is up: front → back works.
      const health = await eventually(() => http(`${front}/api/health`).then((h) => (h.status === 200 ? h : Promise.reject(new Error(`${h.status} ${h.body}`)))), 120_000, 500)
        .catch(async (e) => { throw new Error(`${e.message}\n${await logsOf(started)}`); });
      assert.deepEqual(JSON.parse(health.body), { status: "ok", storage: "postgresql" });
      assert.match((await http(`${front}/`)).body, /<h1>Agatha<\/h1>/);

      const item = `item-${process.pid}`;
      // The database may still be initialising: the backend answers 503 until it takes connections.
      const added = await eventually(async () => {
        const a = await http(`${front}/api/items`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: item }) });
        if (a.status !== 201) throw new Error(`POST /api/items: ${a.status} ${a.body}`);
        return a;
      }, 120_000, 500).catch(async (e) => { throw new Error(`${e.message}\n${await logsOf(started)}`); });
      assert.equal(JSON.parse(added.body).name, item);
      const list = await http(`${front}/api/items`);
      assert.equal(list.status, 200);
      assert.ok((JSON.parse(list.body) as { name: string }[]).some((i) => i.name === item), list.body);

      // It is in PostgreSQL (psql in the db image, over its socket), not the backend's memory.
      const db = spec.services["db"]!.environment;
      const psql = await podman(["exec", "db", "psql", "-U", db["POSTGRES_USER"]!, "-d", db["POSTGRES_DB"]!, "-tAc", "SELECT name FROM items"]);
      assert.match(psql.stdout, new RegExp(`^${item}$`, "m"));
      // Over the network a password is required.
      const noPassword = await podman(["exec", "db", "psql", "-h", "127.0.0.1", "-w", "-U", db["POSTGRES_USER"]!, "-d", db["POSTGRES_DB"]!, "-c", "SELECT 1"], true);
      assert.notEqual(noPassword.code, 0);
      assert.match(noPassword.stderr, /password/);

      // The jlink runtime's backend reads the same database (JDBC works without the full JRE).
      const slimPort = await freePort();
      await podman(["run", "-d", "--network", network, "--name", "back-slim", "-p", `127.0.0.1:${slimPort}:8080`, ...Object.entries(spec.services["back"]!.environment).flatMap(([k, v]) => ["-e", `${k}=${v}`]), "agatha-back:slim"]);
      started.push("back-slim");
      const fromSlim = await eventually(() => http(`http://127.0.0.1:${slimPort}/api/items`).then((h) => (h.status === 200 ? h : Promise.reject(new Error(`${h.status} ${h.body}`)))), 60_000, 250)
        .catch(async (e) => { throw new Error(`${e.message}\n${await logsOf(["back-slim"])}`); });
      assert.ok((JSON.parse(fromSlim.body) as { name: string }[]).some((i) => i.name === item), fromSlim.body);
    } finally {
      await podman(["rm", "-f", "-t", "0", ...started], true);
    }
  });
});
