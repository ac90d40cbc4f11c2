// Quick replies and cards in the widget, in headless Chromium: a bot's
// message with buttons and a card shows them to the customer; a click sends
// the button's label as the customer's answer with its choice, the buttons
// are spent, and the bot receives the choice. The console shows the same
// buttons, not clickable.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;

test("quick replies: shown as buttons, answered with a click, the choice reaches the bot", { timeout: 120_000 }, async () => {
  const seam = await startSeam();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const customer = await browser.newPage();
    await customer.goto(`${seam.base}/demo/?sub=noa&name=Noa&issue=billing`);
    await customer.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, { timeout: WAIT });
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("Hello?");
    await customer.getByTestId("send").click();

    // An agent (the SDK in a page) takes the session and offers choices.
    const agentPage = await browser.newPage();
    await agentPage.goto(`${seam.base}/healthz`);
    await agentPage.evaluate(async ({ base, url }) => {
      const { Seam } = await import(`${base}/demo/sdk.js`);
      const token = (await (await fetch(`${base}/demo/token?role=agent&sub=ida&name=Ida`)).json()).token;
      const agent = await Seam.connect({ url, token });
      window.answers = [];
      agent.on("event", (e) => { if (e.body.kind === "message" && e.body.choice) window.answers.push([e.body.text, e.body.choice]); });
      const offered = new Promise((ok) => agent.on("offer", ok));
      await agent.send({ type: "set_status", status: "available" });
      const offer = await offered;
      const snapshot = (await agent.send({ type: "accept_offer", offer_id: offer.offer_id })).session;
      const ack = await agent.message(snapshot.session_id, "What can I help you with?", {
        quick_replies: [{ id: "hours", label: "Opening hours" }, { id: "refund", label: "A refund" }],
        card: { title: "Order A-17", text: "Shipped on Monday", link_url: "https://shop.example/orders/A-17", link_label: "Track it" },
      });
      window.offeredSeq = ack.seq;
    }, { base: seam.base, url: `ws://${seam.addr}/ws` });

    const buttons = customer.getByTestId("quick-reply");
    await buttons.nth(1).waitFor({ timeout: WAIT });
    assert.deepEqual(await buttons.allTextContents(), ["Opening hours", "A refund"]);
    const card = customer.getByTestId("message-card");
    assert.match(await card.textContent(), /Order A-17.*Shipped on Monday.*Track it/);
    assert.equal(await card.locator("a").getAttribute("href"), "https://shop.example/orders/A-17");
    assert.equal(await card.locator("a").getAttribute("rel"), "noopener noreferrer");

    await buttons.first().click();
    await customer.getByTestId("message").filter({ hasText: "Opening hours" }).waitFor({ timeout: WAIT });
    assert.equal(await buttons.first().isDisabled(), true, "spent after the choice");
    assert.equal(await buttons.nth(1).isDisabled(), true);
    assert.equal(await buttons.first().getAttribute("aria-pressed"), "true");

    await agentPage.waitForFunction(() => window.answers.length === 1, null, { timeout: WAIT });
    const [[text, choice]] = await agentPage.evaluate(() => window.answers);
    const offeredSeq = await agentPage.evaluate(() => window.offeredSeq);
    assert.equal(text, "Opening hours");
    assert.deepEqual(choice, { seq: offeredSeq, id: "hours" });

    // After a reload the answered buttons stay spent.
    await customer.reload();
    await customer.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, { timeout: WAIT });
    if (!(await customer.getByTestId("panel").isVisible())) await customer.getByTestId("launcher").click();
    await buttons.nth(1).waitFor({ timeout: WAIT });
    assert.equal(await buttons.first().isDisabled(), true);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
