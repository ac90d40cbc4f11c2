// Editing and deleting messages in headless Chromium: the customer edits a
// message in place (Edit puts it back in the message box) and deletes
// another; the agent's console shows the revisions with the originals (the
// default audit trail), and the customer's widget, even after a reload,
// never shows them.
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

test("revisions: edit and delete in the widget; originals for staff only", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-revise-"));
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
    const input = lea.getByTestId("input");
    await input.fill("my card 4111 was charged");
    await input.press("Enter");
    await max.getByTestId("accept-offer").click({ timeout: WAIT });
    await max.getByText("my card 4111 was charged").waitFor({ timeout: WAIT });

    // Edit: the message goes back into the box; Enter saves it.
    await lea.getByTestId("message-edit").first().click();
    assert.equal(await input.inputValue(), "my card 4111 was charged");
    await input.fill("my card was charged twice");
    await input.press("Enter");
    const edited = max.getByTestId("message").filter({ hasText: "my card was charged twice" });
    await edited.getByTestId("message-edited").waitFor({ timeout: WAIT });
    assert.equal(await edited.getAttribute("title"), "Originally: my card 4111 was charged");

    // Delete: the customer sees a tombstone, the agent the original struck through.
    await input.fill("oops, wrong window");
    await input.press("Enter");
    await max.getByText("oops, wrong window").waitFor({ timeout: WAIT });
    await lea.getByTestId("message").filter({ hasText: "oops, wrong window" }).getByTestId("message-delete").click();
    await lea.getByText("This message was deleted").waitFor({ timeout: WAIT });
    await max.getByText("deleted by its author").waitFor({ timeout: WAIT });
    assert.equal(await max.locator("s", { hasText: "oops, wrong window" }).count(), 1);

    // After a reload the widget shows the revisions, never the originals.
    await lea.reload();
    await widgetReady(lea);
    await lea.getByText("This message was deleted").waitFor({ timeout: WAIT });
    await lea.getByTestId("message").filter({ hasText: "my card was charged twice" }).getByTestId("message-edited").waitFor({ timeout: WAIT });
    const shown = await lea.locator("#seam-widget").textContent();
    assert.ok(!shown.includes("4111") && !shown.includes("wrong window"), shown);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
