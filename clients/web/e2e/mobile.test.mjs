// The widget on a phone-sized screen (375 x 667, as an iPhone SE) in
// headless Chromium: closed, a launcher that leaves the page usable; open,
// a full-screen sheet with everything on screen and inputs of at least
// 16 px (so iOS does not zoom in); minimised back to the launcher.
//
// Needs: the `seam` binary (SEAM_BIN, default ../../target/debug/seam) and
// /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;
const PHONE = { width: 375, height: 667 };
const ARTIFACTS = resolve(process.env.SEAM_E2E_ARTIFACTS ?? "../../target/e2e");

test("the widget opens as a full-screen sheet on a phone, keeps inputs at 16 px and minimises", async () => {
  const seam = await startSeam();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await page.goto(`${seam.base}/demo/?sub=mia&name=Mia`);
    await page.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, {
      timeout: WAIT,
    });
    const scale = await page.evaluate(() => window.visualViewport?.scale ?? 1);
    assert.equal(scale, 1, "the page is laid out for the device width (viewport meta)");
    // Closed: a launcher in the corner that leaves the page usable.
    const widget = page.locator("#seam-widget");
    const closed = await widget.boundingBox();
    assert.ok(closed && closed.width <= 64 && closed.height <= 64, `a launcher: ${JSON.stringify(closed)}`);
    assert.ok(closed.x + closed.width <= PHONE.width && closed.y + closed.height <= PHONE.height, "on screen");

    // Open: the whole screen, nothing cut off, inputs at 16 px.
    await page.getByTestId("launcher").tap();
    const box = await page.getByTestId("panel").boundingBox();
    assert.ok(box, "the panel is shown");
    assert.ok(Math.abs(box.x) < 0.5 && Math.abs(box.y) < 0.5, `from the top left: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.width - PHONE.width) < 0.5 && Math.abs(box.height - PHONE.height) < 0.5, `full screen: ${JSON.stringify(box)}`);
    for (const id of ["input", "send", "talk-video", "minimise"]) {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b && b.x >= 0 && b.x + b.width <= PHONE.width && b.y + b.height <= PHONE.height, `${id} on screen: ${JSON.stringify(b)}`);
    }
    const fontSize = await page.getByTestId("input").evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(fontSize >= 16, `input font ${fontSize}px`);
    await page.getByTestId("input").fill("Hello from my phone");
    await page.getByTestId("send").tap();
    await page.getByTestId("message").filter({ hasText: "from my phone" }).waitFor({ timeout: WAIT });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "widget-mobile.png") });

    // Minimised: back to the launcher; opened again: the whole screen.
    await page.getByTestId("minimise").tap();
    assert.equal(await page.getByTestId("input").isVisible(), false);
    assert.equal(await page.getByTestId("launcher").getAttribute("aria-expanded"), "false");
    await page.getByTestId("launcher").tap();
    assert.equal(await page.getByTestId("input").isVisible(), true);
    const again = await page.getByTestId("panel").boundingBox();
    assert.ok(again && Math.abs(again.height - PHONE.height) < 0.5, "opened again at full size");
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
