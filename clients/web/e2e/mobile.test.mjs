// The widget on a phone-sized screen (375 x 667, as an iPhone SE) in
// headless Chromium: it fits the screen, does not cover most of it, its
// input is at least 16 px (so iOS does not zoom in), and it can be
// minimised to its header and opened again.
//
// Needs: the `seam` binary (SEAM_BIN, default ../../target/debug/seam) and
// /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;
const PHONE = { width: 375, height: 667 };

test("the widget fits a phone, keeps inputs at 16 px and minimises", async () => {
  const seam = await startSeam();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await page.goto(`${seam.base}/demo/?sub=mia&name=Mia`);
    await page.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, {
      timeout: WAIT,
    });
    const widget = page.locator("#seam-widget");
    const box = await widget.boundingBox();
    assert.ok(box, "the widget is shown");
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width + 0.5, `inside the screen: ${JSON.stringify(box)}`);
    assert.ok(box.y + box.height <= PHONE.height + 0.5, `not below the screen: ${JSON.stringify(box)}`);
    assert.ok(box.height <= PHONE.height * 0.75, `leaves the page visible: ${JSON.stringify(box)}`);
    const fontSize = await page.getByTestId("input").evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(fontSize >= 16, `input font ${fontSize}px`);
    const scale = await page.evaluate(() => window.visualViewport?.scale ?? 1);
    assert.equal(scale, 1, "the page is laid out for the device width (viewport meta)");

    // Minimised: only the header stays; opened again: all of it.
    await page.getByTestId("minimise").click();
    const small = await widget.boundingBox();
    assert.ok(small && small.height < 60, `minimised to its header: ${JSON.stringify(small)}`);
    assert.equal(await page.getByTestId("input").isVisible(), false);
    assert.equal(await page.getByTestId("minimise").getAttribute("aria-expanded"), "false");
    await page.getByTestId("minimise").click();
    assert.equal(await page.getByTestId("input").isVisible(), true);
    const again = await widget.boundingBox();
    assert.ok(again && Math.abs(again.height - box.height) < 1, "opened again at its size");
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
