// `cairn size --html` in a real browser (Debian's chromium, headless): the page loads from a file
// with no network, draws, and a click on a package — in the treemap, the packages table or the
// dependency graph — shows its files, size and why it is in the image.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { cairn } from "../support/cairn.js";
import { sharedCache } from "../support/cache.js";

const CHROMIUM = "/usr/bin/chromium";
const redisDef = fileURLToPath(new URL("../../examples/redis/image.ts", import.meta.url));
const skip = !existsSync(CHROMIUM) && "chromium is not installed (apt-get install chromium)";

describe("cairn size --html: the redis example in headless Chromium", { skip }, () => {
  let dir: string;
  let html: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-report-"));
    html = join(dir, "report.html");
    const r = await cairn(["size", redisDef, "-A", "redis", "--html", html, "--svg", join(dir, "treemap.svg"), "--cache-dir", sharedCache()]);
    assert.equal(r.code, 0, r.stderr);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("request", (req) => requests.push(req.url()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(`file://${html}`);
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("chromium --screenshot renders the page (the command line a person would use)", () => {
    const png = join(dir, "report.png");
    const r = spawnSync(CHROMIUM, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", `--user-data-dir=${join(dir, "profile")}`, `--screenshot=${png}`, "--window-size=1400,1000", `file://${html}`], { timeout: 60_000 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.ok(existsSync(png), "a screenshot was written");
  });

  test("self-contained: every request is the page itself, no script error", async () => {
    assert.deepEqual([...new Set(requests)], [`file://${html}`]);
    assert.deepEqual(errors, []);
    assert.equal(await page.locator(".treemap g.pkg").count(), 19, "18 packages and the files of no package");
    assert.equal(await page.locator("table.packages tbody tr[data-package]").count(), 18);
    assert.ok(await page.locator(".graph svg").count() === 1, "the dependency graph is drawn");
  });

  test("a click in the treemap shows the package's files, size and why it is there", async () => {
    await page.click('.treemap g.pkg[data-package="libssl3"]');
    const detail = page.locator("#detail");
    assert.equal(await detail.locator("h3").textContent(), "libssl3");
    const text = (await detail.textContent())!;
    assert.match(text, /\/usr\/lib\/x86_64-linux-gnu\/libcrypto\.so\.3/);
    assert.match(text, /\/usr\/share\/doc\/libssl3\/copyright/);
    assert.equal(await detail.locator('[data-field="size"]').textContent(), "5.66 MB");
    assert.equal(await detail.locator(".why").textContent(), "redis-server → redis-tools → libssl3");
    assert.equal(await page.locator('table.packages tr.selected[data-package="libssl3"]').count(), 1, "its table row is marked too");
  });

  test("a click in the packages table, then on a link in the why path", async () => {
    await page.click('table.packages tr[data-package="libzstd1"]');
    const detail = page.locator("#detail");
    assert.equal(await detail.locator("h3").textContent(), "libzstd1");
    assert.match((await detail.locator("table.files").textContent())!, /libzstd\.so\.1\.5\.4/);
    const files = JSON.parse(await readFile(join(dir, "report.html"), "utf8").then((h) => /id="data">(.*?)<\/script>/s.exec(h)![1]!)).packages.libzstd1.files;
    assert.equal(await detail.locator("table.files tr").count(), files.length);
    await detail.locator('.why a[data-package="redis-tools"]').click();
    assert.equal(await detail.locator("h3").textContent(), "redis-tools");
    assert.match((await detail.textContent())!, /\/usr\/bin\/redis-benchmark/);
  });

  test("a click on a node of the dependency graph", async () => {
    await page.locator('.graph [data-package="libc6"]').first().click();
    const detail = page.locator("#detail");
    assert.equal(await detail.locator("h3").textContent(), "libc6");
    assert.match((await detail.textContent())!, /\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6/);
    await page.screenshot({ path: join(dir, "clicked.png") });
    assert.deepEqual(errors, []);
  });
});
