// Delivery and read receipts in headless Chromium: the ticks on each side's
// own messages (sent, delivered, read) follow what the other side's screen
// shows, the widget's badge and the console's unread counts come from the
// read horizons, so they survive a reload.
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

const CONFIG = `
[[routing.queues]]
name = "general"
`;

/** Waits until the status tick of the message reading `text` is `status`. */
async function tickIs(page, text, status) {
  await page.waitForFunction(
    ([text, status]) => {
      const bubble = [...document.querySelectorAll("[data-testid=message]")].find((b) => b.textContent.startsWith(text));
      return bubble?.querySelector("[data-testid=message-status]")?.dataset.status === status;
    },
    [text, status],
    { timeout: WAIT },
  );
}



test("receipts: ticks, the widget's badge and the console's unread counts, across reloads", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-receipts-"));
  writeFileSync(join(dir, "seam.toml"), CONFIG);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const lea = await browser.newPage();
    await lea.goto(`${seam.base}/demo/?sub=lea&name=Lea&issue=billing`);
    await widgetReady(lea);
    await lea.getByTestId("launcher").click();
    await lea.getByTestId("input").fill("Hello?");
    await lea.getByTestId("send").click();
    await tickIs(lea, "Hello?", "sent");

    const max = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await max.goto(`${seam.base}/demo/console?sub=max&name=Max`);
    await consoleReady(max);
    await max.getByTestId("status-available").click();
    await max.getByTestId("accept-offer").click({ timeout: WAIT });
    // Max has the conversation in front of him: Lea sees it read.
    await tickIs(lea, "Hello?", "read");
    assert.equal(await lea.getByTestId("message-status").first().getAttribute("aria-label"), "Read");

    // The widget is open: Max's answer is read as it arrives.
    await max.getByTestId("agent-input").fill("Hi Lea, how can I help?");
    await max.getByTestId("agent-input").press("Enter");
    await tickIs(max, "Hi Lea, how can I help?", "read");

    // Minimised, the widget gets the message but does not read it.
    await lea.getByTestId("minimise").click();
    await max.getByTestId("agent-input").fill("Are you still there?");
    await max.getByTestId("agent-input").press("Enter");
    await tickIs(max, "Are you still there?", "delivered");
    const badge = lea.getByTestId("unread");
    await badge.waitFor({ state: "visible", timeout: WAIT });
    assert.equal(await badge.textContent(), "1");
    // A reload keeps the count: it comes from the read horizon.
    await lea.reload();
    await widgetReady(lea);
    await lea.waitForFunction(() => document.querySelector("[data-testid=unread]")?.textContent === "1", null, { timeout: WAIT });
    await lea.getByTestId("launcher").click();
    await tickIs(max, "Are you still there?", "read");
    assert.equal(await badge.isVisible(), false);

    // Another customer takes Max's attention; Lea writes meanwhile.
    const sam = await browser.newPage();
    await sam.goto(`${seam.base}/demo/?sub=sam&name=Sam`);
    await widgetReady(sam);
    await sam.getByTestId("launcher").click();
    await sam.getByTestId("input").fill("Hi, Sam here");
    await sam.getByTestId("send").click();
    await max.getByTestId("accept-offer").click({ timeout: WAIT });
    await max.waitForFunction(() => document.querySelector("[data-testid=conversation-title]")?.textContent === "Sam", null, { timeout: WAIT });
    await lea.getByTestId("input").fill("One more thing");
    await lea.getByTestId("send").click();
    await tickIs(lea, "One more thing", "delivered");
    const leaItem = max.getByTestId("inbox-item").filter({ hasText: "Lea" });
    await max.waitForFunction(
      () => [...document.querySelectorAll("[data-testid=inbox-item]")].find((i) => i.textContent.includes("Lea"))?.querySelector("[data-testid=unread]")?.textContent === "1",
      null,
      { timeout: WAIT },
    );
    // The console reloaded: Lea's conversation is still unread, Sam's is not.
    await max.reload();
    await consoleReady(max);
    await max.waitForFunction(
      () => {
        const items = [...document.querySelectorAll("[data-testid=inbox-item]")];
        const count = (name) => {
          const badge = items.find((i) => i.textContent.includes(name))?.querySelector("[data-testid=unread]");
          return badge && !badge.hidden ? badge.textContent : "0";
        };
        return items.length === 2 && count("Lea") === "1" && count("Sam") === "0";
      },
      null,
      { timeout: WAIT },
    );
    await leaItem.click();
    await tickIs(lea, "One more thing", "read");
    assert.equal(await leaItem.getByTestId("unread").isVisible(), false);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
