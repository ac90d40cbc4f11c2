// The widget and the console as products, in headless Chromium: the
// launcher and its unread badge, the conversation as the customer reads it,
// keyboard-only use, translated strings, the console's inbox of several
// conversations with unread counts, offers with the first message and a
// countdown, the transfer picker, End with a confirmation, the customer put
// back in the queue when their agent is gone past the grace period, and an
// axe-core check of both pages.
//
// Needs: the `seam` binary (SEAM_BIN) and /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

const WAIT = 30_000;
const ARTIFACTS = resolve(process.env.SEAM_E2E_ARTIFACTS ?? "../../target/e2e");
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

async function ready(page, selector) {
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.ready === "true", selector, { timeout: WAIT });
}

async function widget(browser, seam, sub, name, query = "") {
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  await page.goto(`${seam.base}/demo/?sub=${sub}&name=${name}${query}`);
  await ready(page, "#seam-widget");
  return page;
}

async function agentConsole(browser, seam, sub, name, query = "") {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await page.goto(`${seam.base}/demo/console?sub=${sub}&name=${name}${query}`);
  await ready(page, "#seam-console");
  return page;
}

async function write(page, text) {
  if (!(await page.getByTestId("input").isVisible())) await page.getByTestId("launcher").click();
  await page.getByTestId("input").fill(text);
  await page.getByTestId("send").click();
}

/** axe-core's serious and critical violations on the page. */
async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  return violations;
}

async function withBrowser(extraArgs, story) {
  const seam = await startSeam(extraArgs);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    await story(browser, seam);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
}

test("the widget: launcher and unread badge, a conversation written for the customer, keyboard only, accessible", { timeout: 120_000 }, () =>
  withBrowser([], async (browser, seam) => {
    const customer = await widget(browser, seam, "kim", "Kim");
    assert.equal(await customer.getByTestId("launcher").isVisible(), true, "collapsed to its launcher");
    assert.equal(await customer.getByTestId("panel").isVisible(), false);

    // Keyboard only: Tab reaches the launcher, Enter opens with the focus
    // in the message box, Enter sends, Escape closes back to the launcher.
    await customer.keyboard.press("Tab");
    assert.equal(await customer.evaluate(() => document.activeElement?.dataset.testid), "launcher");
    await customer.keyboard.press("Enter");
    assert.equal(await customer.evaluate(() => document.activeElement?.dataset.testid), "input");
    await customer.keyboard.type("Hello, typed with the keyboard only");
    await customer.keyboard.press("Enter");
    await customer.getByTestId("message").filter({ hasText: "typed with the keyboard" }).waitFor({ timeout: WAIT });
    await customer.getByTestId("status").filter({ hasText: "number 1 in the queue" }).waitFor({ timeout: WAIT });
    await customer.keyboard.press("Escape");
    assert.equal(await customer.getByTestId("panel").isVisible(), false);
    assert.equal(await customer.evaluate(() => document.activeElement?.dataset.testid), "launcher");

    // The agent answers while the widget is closed: the badge counts it.
    const agent = await agentConsole(browser, seam, "bob", "Bob Stone");
    await agent.getByTestId("inbox-empty").waitFor({ timeout: WAIT });
    await agent.getByTestId("status-available").click();
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    await agent.getByTestId("agent-input").fill("Hi Kim, I'm Bob. How can I help?");
    await agent.getByTestId("agent-send").click();
    await customer.getByTestId("unread").filter({ hasText: "1" }).waitFor({ timeout: WAIT });
    assert.match(await customer.getByTestId("launcher").getAttribute("aria-label"), /1 unread/);
    await customer.getByTestId("launcher").click();
    assert.equal(await customer.getByTestId("unread").isVisible(), false, "read once opened");

    // Bubbles by sender with names, initials and times; system lines for
    // the customer, with the team name instead of the queue's.
    const log = customer.getByTestId("log");
    await log.getByText("How can I help?").waitFor({ timeout: WAIT });
    await log.getByText("Bob Stone from Customer care joined").waitFor({ timeout: WAIT });
    const text = await log.textContent();
    for (const internal of ["general", "opened", "Assigned", "is taking care"]) {
      assert.ok(!text.includes(internal), `"${internal}" is not for customers: ${text}`);
    }
    assert.equal(await log.locator(".seam-group.mine").count(), 1, "own messages grouped on the right");
    assert.equal(await log.locator(".seam-avatar").filter({ hasText: "BS" }).count(), 1, "the agent's initials");
    assert.equal(await log.locator("time").count(), 2, "every group has its time");
    assert.equal(await log.getAttribute("role"), "log");
    assert.equal(await log.getAttribute("aria-live"), "polite");
    mkdirSync(ARTIFACTS, { recursive: true });
    await customer.screenshot({ path: join(ARTIFACTS, "widget-desktop.png") });

    assert.deepEqual(await axe(customer), [], "the widget has no serious or critical axe violations");
    assert.deepEqual(await axe(agent), [], "the console has no serious or critical axe violations");

    // Call states: ringing the agent, cancelled with hang-up; then declined.
    await customer.getByTestId("talk-video").click();
    await customer.getByTestId("call-status").filter({ hasText: "Calling Bob Stone…" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-prompt-text").filter({ hasText: "Kim would like to start a video call" }).waitFor({ timeout: WAIT });
    assert.equal(await customer.getByTestId("talk-video").isVisible(), true);
    await customer.getByTestId("hang-up").click();
    await customer.getByTestId("log").getByText("The request for a video call was cancelled").waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-prompt").waitFor({ state: "hidden", timeout: WAIT });
    assert.equal(await customer.getByTestId("call").isVisible(), false);
    await customer.getByTestId("talk-voice").click();
    await agent.getByTestId("agent-decline-upgrade").click({ timeout: WAIT });
    await customer.getByTestId("log").getByText("Bob Stone declined a voice call").waitFor({ timeout: WAIT });
    assert.equal(await customer.getByTestId("call").isVisible(), false);

    // Another site's words: the French table, a title and a colour of its own.
    const french = await widget(browser, seam, "lea", "Léa", "&locale=fr&title=Aide%20Acme&color=%23006644&position=left");
    assert.equal(await french.getByTestId("launcher").getAttribute("aria-label"), "Ouvrir la discussion");
    const corner = await french.getByTestId("launcher").boundingBox();
    assert.ok(corner && corner.x < 100, `bottom left: ${JSON.stringify(corner)}`);
    await french.getByTestId("launcher").click();
    assert.equal(await french.locator(".seam-head h2").evaluate((h) => h.firstChild.textContent), "Aide Acme");
    assert.equal(await french.getByTestId("send").textContent(), "Envoyer");
    assert.equal(await french.getByTestId("send").evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(0, 102, 68)");
  }));

test("the console: an inbox of conversations with unread counts, offers with the first message, transfer and End", { timeout: 120_000 }, () =>
  withBrowser([], async (browser, seam) => {
    const bob = await agentConsole(browser, seam, "bob", "Bob", "&capacity=2");
    await bob.getByTestId("status-available").click();
    await bob.getByTestId("agent-status").filter({ hasText: "available" }).waitFor({ timeout: WAIT });

    const ann = await widget(browser, seam, "ann", "Ann");
    await write(ann, "My card was declined");
    const offer = bob.getByTestId("offer");
    await offer.getByTestId("offer-message").filter({ hasText: "My card was declined" }).waitFor({ timeout: WAIT });
    await offer.getByTestId("offer-wait").filter({ hasText: "waiting" }).waitFor({ timeout: WAIT });
    await offer.getByTestId("offer-countdown").filter({ hasText: /\d+ s to answer/ }).waitFor({ timeout: WAIT });
    await offer.getByTestId("accept-offer").click();

    const ben = await widget(browser, seam, "ben", "Ben");
    await write(ben, "Where is my refund?");
    await bob.getByTestId("offer-message").filter({ hasText: "refund" }).waitFor({ timeout: WAIT });
    await bob.getByTestId("accept-offer").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "Ben" }).waitFor({ timeout: WAIT });
    assert.equal(await bob.getByTestId("inbox-item").count(), 2, "both conversations listed");
    await bob.getByTestId("no-offers").waitFor({ timeout: WAIT });

    // Ann writes while Bob is on Ben's conversation: her item counts it.
    await write(ann, "Are you still there?");
    const annItem = bob.getByTestId("inbox-item").filter({ hasText: "Ann" });
    await annItem.getByTestId("unread").filter({ hasText: "1" }).waitFor({ timeout: WAIT });
    await annItem.click();
    assert.equal(await annItem.getAttribute("aria-current"), "true");
    assert.equal(await annItem.getByTestId("unread").isVisible(), false);
    await bob.getByTestId("history").getByText("Are you still there?").waitFor({ timeout: WAIT });
    await bob.getByTestId("context").filter({ hasText: "Ann" }).waitFor({ timeout: WAIT });

    // End asks first; Cancel keeps the conversation.
    await bob.getByTestId("end-session").click();
    await bob.getByTestId("end-dialog").filter({ hasText: "End the conversation with Ann?" }).waitFor({ timeout: WAIT });
    await bob.getByTestId("end-cancel").click();
    assert.equal(await bob.getByTestId("end-dialog").count(), 0);
    assert.equal(await bob.getByTestId("agent-input").isEnabled(), true, "still open");
    mkdirSync(ARTIFACTS, { recursive: true });
    await bob.screenshot({ path: join(ARTIFACTS, "console.png") });

    // Transfer: a picker of queues and available colleagues, with a note.
    const cat = await agentConsole(browser, seam, "cat", "Cat");
    await cat.getByTestId("status-available").click();
    await cat.getByTestId("agent-status").filter({ hasText: "available" }).waitFor({ timeout: WAIT });
    await bob.getByTestId("transfer").click();
    const picker = bob.getByTestId("transfer-dialog");
    await picker.waitFor({ timeout: WAIT });
    const options = await picker.locator("label").allTextContents();
    assert.ok(options.includes("Queue: general"), `${options}`);
    assert.ok(options.includes("Cat (0/3)"), `${options}`);
    assert.ok(!options.some((o) => o.startsWith("Bob")), "not to oneself");
    await picker.getByLabel("Cat (0/3)").check();
    await picker.getByTestId("transfer-note").fill("Card declined twice, VIP");
    await picker.getByTestId("transfer-confirm").click();
    await cat.getByTestId("offer").filter({ hasText: "Card declined twice, VIP" }).waitFor({ timeout: WAIT });
    await cat.getByTestId("accept-offer").click();
    await cat.getByTestId("history").getByText("Are you still there?").waitFor({ timeout: WAIT });
    await bob.getByTestId("inbox-item").filter({ hasText: "Ann" }).waitFor({ state: "detached", timeout: WAIT });
    assert.equal(await bob.getByTestId("inbox-item").count(), 1);
    await ann.getByTestId("log").getByText("You are being transferred to another agent").waitFor({ timeout: WAIT });
    await ann.getByTestId("log").getByText("Cat from Customer care joined").waitFor({ timeout: WAIT });

    // End, confirmed: Ben is asked for a rating.
    await bob.getByTestId("inbox-item").filter({ hasText: "Ben" }).click();
    await bob.getByTestId("end-session").click();
    await bob.getByTestId("end-confirm").click();
    await ben.getByTestId("rating").waitFor({ timeout: WAIT });
    await bob.getByTestId("console-status").filter({ hasText: "Conversation ended" }).waitFor({ timeout: WAIT });
    assert.equal(await bob.getByTestId("agent-input").isEnabled(), false);
  }));

test("an agent gone past the grace period: the customer is told and queued again, the next agent has the history", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-e2e-config-"));
  const config = join(dir, "seam.toml");
  writeFileSync(config, "[routing]\noffline_grace_ms = 1500\n");
  await withBrowser(["--config", config], async (browser, seam) => {
    const zoe = await widget(browser, seam, "zoe", "Zoe");
    await write(zoe, "I need to change my address");
    const bob = await agentConsole(browser, seam, "bob", "Bob");
    await bob.getByTestId("status-available").click();
    await bob.getByTestId("accept-offer").click({ timeout: WAIT });
    await bob.getByTestId("agent-input").fill("Sure, one moment");
    await bob.getByTestId("agent-send").click();
    await zoe.getByTestId("log").getByText("one moment").waitFor({ timeout: WAIT });
    await bob.close();

    await zoe.getByTestId("log").getByText("Bob is no longer available").waitFor({ timeout: WAIT });
    await zoe.getByTestId("log").getByText("You're back in the queue").waitFor({ timeout: WAIT });
    await zoe.getByTestId("status").filter({ hasText: "number 1 in the queue" }).waitFor({ timeout: WAIT });

    const dan = await agentConsole(browser, seam, "dan", "Dan");
    await dan.getByTestId("status-available").click();
    await dan.getByTestId("accept-offer").click({ timeout: WAIT });
    await dan.getByTestId("history").getByText("I need to change my address").waitFor({ timeout: WAIT });
    await dan.getByTestId("history").getByText("Bob went offline and left").waitFor({ timeout: WAIT });
    await zoe.getByTestId("log").getByText("Dan from Customer care joined").waitFor({ timeout: WAIT });
  });
});
