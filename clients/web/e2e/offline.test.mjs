// Opening hours and offline messages in headless Chromium: outside a
// queue's hours the widget says when it opens and offers a form instead of
// the chat; the message left reaches the admin API; with the queue open but
// nobody on duty it says so too and offers the form beside the chat, and
// once an agent is available it invites the customer to write.
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
const today = new Date().toISOString().slice(0, 10);
const ALL_DAY = `["00:00-24:00"]`;

// "billing" is closed today (a holiday); "general" has no hours.
const CONFIG = `
[[routing.queues]]
name = "billing"
issue_types = ["billing"]

[routing.queues.hours]
time_zone = "UTC"
monday = ${ALL_DAY}
tuesday = ${ALL_DAY}
wednesday = ${ALL_DAY}
thursday = ${ALL_DAY}
friday = ${ALL_DAY}
saturday = ${ALL_DAY}
sunday = ${ALL_DAY}
holidays = ["${today}"]

[[routing.queues]]
name = "general"
`;


test("offline: closed hours and nobody on duty are said honestly, and a message can be left", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-offline-"));
  writeFileSync(join(dir, "seam.toml"), CONFIG);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    // Closed: the widget says when it opens and offers the form, not the chat.
    const lea = await browser.newPage();
    await lea.goto(`${seam.base}/demo/?sub=lea&name=Lea&issue=billing`);
    await widgetReady(lea);
    await lea.getByTestId("launcher").click();
    const status = lea.getByTestId("status");
    assert.match(await status.textContent(), /^We're closed right now\. We open again .+\.$/);
    assert.equal(await lea.getByTestId("offline-form").isVisible(), true);
    assert.equal(await lea.getByTestId("composer").isVisible(), false);
    await lea.getByTestId("offline-text").fill("Please call me back about my invoice");
    await lea.getByTestId("offline-email").fill("lea@example.com");
    await lea.getByTestId("offline-send").click();
    await lea.getByTestId("offline-thanks").waitFor({ timeout: WAIT });
    assert.equal(await lea.getByTestId("offline-thanks").textContent(), "Thank you! We'll reply to lea@example.com.");

    // The backend finds it in the admin API.
    const { token } = await (await fetch(`${seam.base}/demo/token?role=service&sub=backend`)).json();
    const listed = await (await fetch(`${seam.base}/v1/sessions?offline=true`, { headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal(listed.sessions.length, 1);
    assert.equal(listed.sessions[0].offline_email, "lea@example.com");
    const page = await (
      await fetch(`${seam.base}/v1/sessions/${listed.sessions[0].session_id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    const message = page.events.find((e) => e.body.kind === "offline_message");
    assert.equal(message.body.text, "Please call me back about my invoice");
    assert.equal(message.body.queue, "billing");

    // An agent finds it in the console, with the address to reply to.
    const agent = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=ada&name=Ada`);
    const left = agent.getByTestId("offline-message");
    await left.waitFor({ timeout: WAIT });
    assert.match(await left.textContent(), /Lea.*Please call me back about my invoice/);
    assert.equal(await left.getByTestId("offline-reply").getAttribute("href"), "mailto:lea@example.com");
    await agent.close();

    // Open, but nobody on duty: said as it is.
    const sam = await browser.newPage();
    await sam.goto(`${seam.base}/demo/?sub=sam&name=Sam&issue=shipping`);
    await widgetReady(sam);
    await sam.getByTestId("launcher").click();
    assert.equal(await sam.getByTestId("status").textContent(), "Nobody can chat right now.");
    assert.equal(await sam.getByTestId("offline-form").isVisible(), true);
    assert.equal(await sam.getByTestId("composer").isVisible(), true, "the queue is open: Sam may still write and wait");

    // An agent is available: the chat is offered again.
    const max = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await max.goto(`${seam.base}/demo/console?sub=max&name=Max`);
    await consoleReady(max);
    await max.getByTestId("status-available").click();
    await max.getByTestId("agent-status").filter({ hasText: "Available" }).waitFor({ timeout: WAIT });
    await sam.reload();
    await widgetReady(sam);
    assert.equal(await sam.getByTestId("status").textContent(), "Write to us: we answer here");
    assert.equal(await sam.getByTestId("offline-form").isVisible(), false);
    assert.equal(await sam.getByTestId("composer").isVisible(), true);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
