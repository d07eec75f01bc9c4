// The report page in a real browser (Debian's headless Chromium through playwright-core):
// every figure renders at a visible size, the page logs no errors and fetches nothing but
// itself. Skipped, saying why, where /usr/bin/chromium is not installed.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, optc, PAPER_SPEC, removeTemporaryFolders, temporaryFolder } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`browser test skipped: ${CHROMIUM} is missing (install Debian's chromium package; .ci/run does)`);

describe.skipIf(!available)("the HTML report in headless Chromium", () => {
  let browser: Browser | undefined;
  let dir = "";

  beforeAll(async () => {
    ensureBuilt();
    dir = temporaryFolder();
    const run = optc(["run", PAPER_SPEC, "--restarts", "20", "--quiet", "--report", join(dir, "report")]);
    expect([0, 1], run.stderr).toContain(run.status);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      timeout: 15_000,
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    removeTemporaryFolders();
  });

  it("renders every figure, logs no errors and requests nothing but the page", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const url = pathToFileURL(join(dir, "report", "index.html")).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: "load", timeout: 10_000 });

    const figures = page.locator("#figures figure.figure");
    const count = await figures.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      const figure = figures.nth(i);
      const title = await figure.locator("h3").textContent();
      const box = await figure.locator(".plot > svg").boundingBox();
      expect(box, `figure "${title}"`).not.toBeNull();
      expect(box!.width, `figure "${title}"`).toBeGreaterThan(50);
      expect(box!.height, `figure "${title}"`).toBeGreaterThan(50);
      expect(await figure.locator("figcaption").textContent()).toBeTruthy();
    }
    expect(await page.locator("table.stationary").count()).toBe(3);
    expect(await page.locator("table.checks td.verdict").count()).toBeGreaterThan(0);

    const screenshot = join(dir, "report.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);

    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  }, 20_000);
});
