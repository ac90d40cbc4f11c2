// A call that cannot connect says so, in headless Chromium: seam hands out
// TURN credentials minted with a secret coturn does not share, and both
// pages use relay-only ICE, so no path exists. After the connect timeout
// both the widget and the console say the call could not connect, and the
// session goes back to chat by itself.
//
// Needs: the `seam` binary (SEAM_BIN), /usr/bin/chromium and `turnserver`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam, startTurn } from "./harness.mjs";

const WAIT = 30_000;

async function waitForAttr(page, selector, attr, wanted) {
  await page.waitForFunction(
    ([sel, a, w]) => document.querySelector(sel)?.dataset[a] === w,
    [selector, attr, wanted],
    { timeout: WAIT },
  );
}

test("a call that cannot connect is shown as failed on both sides", { timeout: 120_000 }, async () => {
  const turn = await startTurn("the-secret-coturn-knows-0123456789");
  const dir = mkdtempSync(join(tmpdir(), "seam-e2e-config-"));
  const config = join(dir, "seam.toml");
  writeFileSync(
    config,
    `[media]\nice_servers = [{ urls = ["turn:127.0.0.1:${turn.port}?transport=udp"], secret = "a-wrong-secret-0123456789", ttl_secs = 3600 }]\n`,
  );
  const seam = await startSeam(["--config", config]);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const flags = "&relay-only&connect-timeout-ms=4000";
    const customer = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await customer.goto(`${seam.base}/demo/?sub=fay&name=Fay&issue=billing${flags}`);
    await waitForAttr(customer, "#seam-widget", "ready", "true");
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("Can we talk by video?");
    await customer.getByTestId("send").click();
    const agent = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=gus&name=Gus${flags}`);
    await waitForAttr(agent, "#seam-console", "ready", "true");
    await agent.getByTestId("status-available").click();
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    await agent.getByTestId("history").filter({ hasText: "Can we talk by video" }).waitFor({ timeout: WAIT });

    await customer.getByTestId("talk-video").click();
    await agent.getByTestId("agent-accept-upgrade").click({ timeout: WAIT });
    await waitForAttr(customer, "#seam-widget", "callResult", "failed");
    await waitForAttr(agent, "#seam-console", "callResult", "failed");
    await customer.getByTestId("status").filter({ hasText: "could not connect" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("console-status").filter({ hasText: "could not connect" }).waitFor({ timeout: WAIT });
    // Back to chat by itself: the call area goes, the sentence stays, the
    // conversation goes on.
    await waitForAttr(customer, '[data-testid="mode"]', "mode", "chat");
    await waitForAttr(agent, '[data-testid="agent-mode"]', "mode", "chat");
    await waitForAttr(customer, "#seam-widget", "callState", "closed");
    assert.equal(await customer.getByTestId("call").isVisible(), false);
    assert.equal(await customer.getByTestId("talk-video").isVisible(), true);
    await customer.getByTestId("log").getByText("Call ended").waitFor({ timeout: WAIT });
    assert.equal(await customer.getByTestId("status").filter({ hasText: "could not connect" }).count(), 1);
  } finally {
    await browser.close();
    seam.child.kill("SIGTERM");
    turn.child.kill("SIGTERM");
  }
});
