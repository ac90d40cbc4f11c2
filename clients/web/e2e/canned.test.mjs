// Saved replies in the console, in headless Chromium: "/" and a shortcut
// suggests the configured replies, Tab inserts one with its placeholders
// filled from the conversation (the customer's name, the agent's, the
// issue), a placeholder without a value stays for the agent to fill, and
// the reply reaches the customer's widget as an ordinary message.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;

const CONFIG = `
[[routing.queues]]
name = "general"

[[canned_responses]]
shortcut = "refund"
title = "Refund on its way"
text = "Hi {name}, {agent} here: your {issue_type} refund for order {order} is on its way."

[[canned_responses]]
shortcut = "bye"
text = "Thanks for writing, {name}!"
`;

test("saved replies: suggested on /, inserted with Tab, filled from the conversation", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-canned-"));
  writeFileSync(join(dir, "seam.toml"), CONFIG);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const customer = await browser.newPage();
    await customer.goto(`${seam.base}/demo/?sub=lea&name=Lea&issue=billing`);
    await customer.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, { timeout: WAIT });
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("Where is my refund?");
    await customer.getByTestId("send").click();

    const agent = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=max&name=Max`);
    await agent.waitForFunction(() => document.querySelector("#seam-console")?.dataset.ready === "true", null, { timeout: WAIT });
    await agent.getByTestId("status-available").click().catch(() => {});
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    const input = agent.getByTestId("agent-input");
    await input.waitFor({ state: "visible", timeout: WAIT });
    await agent.waitForFunction(() => !document.querySelector("[data-testid=agent-input]").disabled, null, { timeout: WAIT });

    // "/" lists both; "/re" narrows to one; Tab inserts it, filled.
    await input.pressSequentially("/", { delay: 20 });
    await agent.getByTestId("canned-option").nth(1).waitFor({ timeout: WAIT });
    assert.deepEqual(await agent.getByTestId("canned-option").allTextContents(), ["/refund · Refund on its way", "/bye"]);
    await input.pressSequentially("re", { delay: 20 });
    assert.equal(await agent.getByTestId("canned-option").count(), 1);
    await input.press("Tab");
    assert.equal(
      await input.inputValue(),
      "Hi Lea, Max here: your billing refund for order {order} is on its way.",
      "filled from the session; {order} has no value here and stays",
    );
    assert.equal(await agent.getByTestId("canned-suggestions").isVisible(), false);
    // The agent completes it, and it goes out as an ordinary message.
    await input.fill((await input.inputValue()).replace("{order}", "A-17"));
    await input.press("Enter");
    await customer
      .getByText("Hi Lea, Max here: your billing refund for order A-17 is on its way.")
      .waitFor({ timeout: WAIT });

    // A click inserts too; a shortcut that matches nothing suggests nothing.
    await input.pressSequentially("/b", { delay: 20 });
    await agent.getByTestId("canned-option").click({ timeout: WAIT });
    assert.equal(await input.inputValue(), "Thanks for writing, Lea!");
    await input.fill("/nothing");
    await input.dispatchEvent("input");
    assert.equal(await agent.getByTestId("canned-suggestions").isVisible(), false);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
