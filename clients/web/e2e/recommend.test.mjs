// The recommended mode in headless Chromium: after billing sessions that
// voice resolved and chat did not, a customer who presses "Talk to an
// agent" is offered voice first; the agent's console shows the
// recommendation with its evidence (sessions and resolved, per mode), and
// the choice reaches the agent as a voice request.
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

// No exploration, a one-second resolution window and a fast refresh, so
// the test sees the outcomes learned within seconds. Video is off: the
// choice is between chat and voice.
const CONFIG = `
[[routing.queues]]
name = "billing"
issue_types = ["billing"]

[media]
modes = ["chat", "voice"]

[recommendation]
exploration = 0.0
resolution_window_secs = 1
refresh_ms = 200
`;

test("recommendation: voice offered first after voice resolved billing issues, evidence in the console", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "seam-recommend-"));
  writeFileSync(join(dir, "seam.toml"), CONFIG);
  const seam = await startSeam(["--config", join(dir, "seam.toml")]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    // History: six billing sessions served by voice (rated 5, nobody came
    // back) and six by chat (rated 1), through real connections.
    const seeder = await browser.newPage();
    await seeder.goto(`${seam.base}/healthz`);
    await seeder.evaluate(async ({ base, url }) => {
      const { Seam } = await import(`${base}/demo/sdk.js`);
      const token = async (q) => (await (await fetch(`${base}/demo/token?${q}`)).json()).token;
      const sam = await Seam.connect({ url, token: await token("role=agent&sub=sam&name=Sam") });
      const offers = [];
      let wake;
      sam.on("offer", (o) => {
        offers.push(o);
        wake?.();
      });
      const nextOffer = () =>
        offers.length ? Promise.resolve(offers.shift()) : new Promise((ok) => (wake = () => ((wake = undefined), ok(offers.shift()))));
      await sam.send({ type: "set_status", status: "available" });
      for (let i = 0; i < 12; i++) {
        const voice = i % 2 === 0;
        const c = await Seam.connect({ url, token: await token(`role=customer&sub=seed${i}&issue_type=billing`) });
        const sid = (await c.openSession()).session_id;
        await sam.send({ type: "accept_offer", offer_id: (await nextOffer()).offer_id });
        if (voice) await c.answerMode(sid, await sam.requestMode(sid, "voice"), true);
        await c.endSession(sid);
        await c.rate(sid, voice ? 5 : 1);
        c.close();
      }
      await sam.send({ type: "set_status", status: "offline" });
      sam.close();
    }, { base: seam.base, url: `ws://${seam.addr}/ws` });
    // The voice sessions count as resolved once the window has passed.
    await new Promise((ok) => setTimeout(ok, 1_500));

    const ada = await browser.newPage({ viewport: { width: 1100, height: 750 } });
    await ada.goto(`${seam.base}/demo/console?sub=ada&name=Ada`);
    await consoleReady(ada);
    await ada.getByTestId("status-available").click();
    await ada.getByTestId("agent-status").filter({ hasText: "Available" }).waitFor({ timeout: WAIT });

    const lea = await browser.newPage();
    await lea.goto(`${seam.base}/demo/?sub=lea&name=Lea&issue=billing`);
    await widgetReady(lea);
    await lea.getByTestId("launcher").click();
    await lea.getByTestId("talk-agent").click();
    const choices = lea.getByTestId("talk-choices").locator("button");
    await choices.first().waitFor({ timeout: WAIT });
    const modes = await choices.evaluateAll((bs) => bs.map((b) => [b.dataset.mode, b.dataset.recommended ?? ""]));
    assert.deepEqual(modes, [["voice", "true"], ["chat", ""]], "voice first, marked recommended; no video (disabled)");
    assert.match(await choices.first().textContent(), /^Call by voice\s*Recommended$/);
    assert.equal(await lea.getByTestId("talk-agent").getAttribute("aria-expanded"), "true");

    // Ada takes the session: the console shows the recommendation and
    // what it was learned from; the customer is not shown the evidence.
    await ada.getByTestId("accept-offer").click({ timeout: WAIT });
    const card = ada.getByTestId("recommendation");
    await card.waitFor({ timeout: WAIT });
    assert.equal(await card.getAttribute("data-mode"), "voice");
    assert.match(await card.textContent(), /^Recommended: Voice call \(100 %\)/);
    assert.equal(await ada.getByTestId("evidence-voice").textContent(), "6 of 6 resolved (100 %)");
    assert.equal(await ada.getByTestId("evidence-chat").textContent(), "0 of 6 resolved (0 %)");
    await ada.getByText("Voice call recommended to the customer (100 %)").first().waitFor({ timeout: WAIT });
    assert.equal(await lea.getByText(/recommended to the customer/).count(), 0);

    // Lea picks the recommended mode: Ada is asked for a voice call.
    await choices.first().click();
    assert.equal(await lea.getByTestId("talk-choices").isVisible(), false);
    await ada.getByText("Lea would like to start a voice call").first().waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
  }
});
