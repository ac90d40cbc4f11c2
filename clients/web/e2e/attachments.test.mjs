// Attachments in headless Chromium: the customer attaches a photo from the
// widget, both sides see its preview at once, the agent opens the full
// file through a signed link; the agent attaches a text file back; a file
// of a type the broker refuses is explained, not lost silently.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, consoleReady, startSeam, widgetReady } from "./harness.mjs";

const WAIT = 30_000;

/** A 1x1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

test("attachments: a photo from the widget, a file from the console, a refused type explained", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-attach-"));
  writeFileSync(join(dir, "seam.toml"), `[[routing.queues]]\nname = "general"\n`);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const max = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await max.goto(`${seam.base}/demo/console?sub=max&name=Max`);
    await consoleReady(max);
    await max.getByTestId("status-available").click();

    const lea = await browser.newPage();
    await lea.goto(`${seam.base}/demo/?sub=lea&name=Lea`);
    await widgetReady(lea);
    await lea.getByTestId("launcher").click();
    await lea.getByTestId("input").fill("My card was charged twice, here it is");
    await lea.getByTestId("send").click();
    await max.getByTestId("accept-offer").click({ timeout: WAIT });

    // Lea attaches a photo: a preview on both sides.
    await lea.getByTestId("file-input").setInputFiles({ name: "card.png", mimeType: "image/png", buffer: PNG });
    for (const page of [lea, max]) {
      const preview = page.getByTestId("attachment-thumbnail");
      await preview.waitFor({ timeout: WAIT });
      assert.match(await preview.getAttribute("src"), /^data:image\/jpeg;base64,/);
      assert.equal(await page.getByTestId("attachment-open").textContent(), "card.png · 70 B");
    }

    // Max opens it: a new tab on a signed link, the bytes as an image.
    const [tab] = await Promise.all([max.waitForEvent("popup"), max.getByTestId("attachment-open").click()]);
    await tab.waitForURL(/\/v1\/attachments\/s_[0-9a-f]+\/[0-9a-f]+\?type=image%2Fpng/, { timeout: WAIT });
    assert.equal(await tab.evaluate(() => document.contentType), "image/png");
    await tab.close();

    // Max attaches a text file back.
    await max.getByTestId("file-input").setInputFiles({
      name: "steps.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("1. Open the app\n2. Tap Cards"),
    });
    await lea.getByTestId("attachment-open").filter({ hasText: "steps.txt" }).waitFor({ timeout: WAIT });

    // A type the broker does not accept: said in the widget.
    await lea.getByTestId("file-input").setInputFiles({
      name: "setup.exe",
      mimeType: "application/octet-stream",
      buffer: Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]),
    });
    await lea.getByTestId("status").filter({ hasText: "not of an accepted type" }).waitFor({ timeout: WAIT });
    assert.equal(await lea.getByTestId("attachment").count(), 2);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
