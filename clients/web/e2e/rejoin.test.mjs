// An agent who closes the console gets back to the session they were
// serving, in headless Chromium: a new console rebuilds the inbox from the
// broker (`my_sessions`), rejoins each conversation with its whole
// history, and the conversation goes on.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;

async function ready(page, selector) {
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.ready === "true", selector, {
    timeout: WAIT,
  });
}

test("an agent who closed the console rejoins the session they serve", async () => {
  const seam = await startSeam();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const customer = await browser.newPage();
    await customer.goto(`${seam.base}/demo/?sub=rita&name=Rita`);
    await ready(customer, "#seam-widget");
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("My parcel never came");
    await customer.getByTestId("send").click();

    let agent = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=hal&name=Hal`);
    await ready(agent, "#seam-console");
    await agent.getByTestId("status-available").click();
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    await agent.getByTestId("history").filter({ hasText: "parcel never came" }).waitFor({ timeout: WAIT });
    await agent.close();

    agent = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=hal&name=Hal`);
    await ready(agent, "#seam-console");
    await agent.getByTestId("inbox-item").filter({ hasText: "Rita" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("history").filter({ hasText: "parcel never came" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("context").filter({ hasText: "Rita" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-input").fill("I'm back: checking the tracking now");
    await agent.getByTestId("agent-send").click();
    await customer.getByTestId("log").filter({ hasText: "checking the tracking" }).waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});

test("a console says its status again when the broker comes back", async () => {
  let seam = await startSeam();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const agent = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=hal&name=Hal`);
    await ready(agent, "#seam-console");
    await agent.getByTestId("status-available").click();
    await agent.getByTestId("agent-status").filter({ hasText: "Available" }).waitFor({ timeout: WAIT });

    // The broker restarts on the same address and data: the agent comes
    // back `away`, unless the console says "available" again.
    const exited = new Promise((ok) => seam.child.once("exit", ok));
    seam.child.kill("SIGTERM");
    await exited;
    seam = await startSeam([], seam.addr, seam.dir);

    const customer = await browser.newPage();
    await customer.goto(`${seam.base}/demo/?sub=rita&name=Rita`);
    await ready(customer, "#seam-widget");
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("Is anyone there after the restart?");
    await customer.getByTestId("send").click();
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    await agent.getByTestId("history").filter({ hasText: "after the restart" }).waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
