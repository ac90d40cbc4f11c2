// The live supervisor dashboard in headless Chromium: it is pushed the
// routing overview (no polling) and shows a customer waiting, then served
// by an agent, then the call going to voice; the wait-before-answer chart
// counts the answered wait; an agent's token is refused; axe-core finds no
// serious issue. The screenshot in the README comes from this run.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, consoleReady, startSeam, widgetReady } from "./harness.mjs";

const WAIT = 30_000;
const ARTIFACTS = resolve(process.env.SEAM_E2E_ARTIFACTS ?? "../../target/e2e");
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

async function cell(page, table, row, column) {
  return page.locator(`[data-testid=${table}] tbody tr`).nth(row).locator("td").nth(column).textContent();
}

test("supervisor dashboard: live queues, agents, sessions and charts", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-dash-"));
  writeFileSync(join(dir, "seam.toml"), `[[routing.queues]]\nname = "general"\n`);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const sue = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await sue.goto(`${seam.base}/demo/supervisor?sub=sue&name=Sue`);
    await sue.waitForFunction(() => document.querySelector("#seam-dashboard")?.dataset.ready === "true", null, { timeout: WAIT });
    assert.equal(await cell(sue, "queues", 0, 0), "general");
    assert.equal(await cell(sue, "queues", 0, 1), "0");

    // A customer writes: the dashboard shows her waiting, pushed.
    const lea = await browser.newPage();
    await lea.goto(`${seam.base}/demo/?sub=lea&name=Lea`);
    await widgetReady(lea);
    await lea.getByTestId("launcher").click();
    await lea.getByTestId("input").fill("Hello, anyone?");
    await lea.getByTestId("send").click();
    await sue.waitForFunction(() => document.querySelector("[data-testid=queues] tbody tr td:nth-child(2)")?.textContent === "1", null, { timeout: WAIT });
    assert.equal(await cell(sue, "live-sessions", 0, 0), "Lea");
    assert.equal(await cell(sue, "live-sessions", 0, 3), "waiting");

    // Max takes her, then they go to voice.
    const max = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await max.goto(`${seam.base}/demo/console?sub=max&name=Max`);
    await consoleReady(max);
    await max.getByTestId("status-available").click();
    await max.getByTestId("accept-offer").click({ timeout: WAIT });
    await sue.waitForFunction(() => document.querySelector("[data-testid=live-sessions] tbody tr td:nth-child(4)")?.textContent === "Max", null, { timeout: WAIT });
    assert.equal(await cell(sue, "queues", 0, 1), "0");
    assert.equal(await cell(sue, "queues", 0, 4), "100 %", "answered within the target");
    assert.match(await sue.getByTestId("agents-by-status").textContent(), /Available 1/);
    assert.equal(await cell(sue, "agents", 0, 2), "1/3");
    const answered = await sue.locator("[data-testid=wait-chart] rect").evaluateAll((bars) => bars.map((b) => Number(b.dataset.count)));
    assert.equal(answered.reduce((a, b) => a + b, 0), 1, `${answered}`);
    await max.getByTestId("agent-voice").click();
    await lea.getByTestId("accept-upgrade").click({ timeout: WAIT });
    await sue.getByTestId("mode-count-voice").filter({ hasText: "voice: 1" }).waitFor({ timeout: WAIT });
    assert.equal(await cell(sue, "live-sessions", 0, 2), "voice");

    // Accessible, and the screenshot for the README.
    await sue.addScriptTag({ path: AXE });
    const violations = await sue.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ["violations"] });
      return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
    });
    assert.deepEqual(violations, []);
    mkdirSync(ARTIFACTS, { recursive: true });
    await sue.screenshot({ path: join(ARTIFACTS, "supervisor.png") });

    // An agent's token does not open it.
    const intruder = await browser.newPage();
    await intruder.goto(`${seam.base}/console/supervisor?token-url=${encodeURIComponent("/demo/token?role=agent&sub=max")}`);
    await intruder.getByTestId("updated").filter({ hasText: "forbidden" }).waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
