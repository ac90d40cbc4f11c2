// The React example in Chromium against a real broker: the hook opens the
// customer's session, a message sent from the page is stored and reaches an
// agent (the SDK in Node), the agent's answer and typing appear on the page,
// and a reloaded page gets the same session with its history.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import WebSocket from "ws";
import { Seam } from "@seam/sdk";
import { CHROMIUM_FLAGS, SEAM, startSeam } from "../../../clients/web/e2e/harness.mjs";

const FILES = {
  "/": ["text/html", "index.html"],
  "/dist/app.js": ["text/javascript", "dist/app.js"],
};

/** Serves the example page on loopback. */
function servePage() {
  const server = createServer((req, res) => {
    const file = FILES[new URL(req.url, "http://x").pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file[0] }).end(readFileSync(file[1]));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

const mint = (dir, ...args) =>
  execFileSync(SEAM, ["token", "--data-dir", dir, ...args], { encoding: "utf8" }).trim();

test("useSeamSession: open, send, receive, typing, and the same session after a reload", async () => {
  const seam = await startSeam();
  const page_server = await servePage();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  let agent;
  try {
    const wsUrl = `ws://${seam.addr}/ws`;
    const token = mint(seam.dir, "--role", "customer", "--sub", "alice", "--name", "Alice");
    const { port } = page_server.address();
    const url = `http://127.0.0.1:${port}/?url=${encodeURIComponent(wsUrl)}&token=${encodeURIComponent(token)}`;
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.getByTestId("status").filter({ hasText: "connected" }).waitFor();
    const sessionId = await page.getByTestId("session").textContent();
    assert.match(sessionId, /^s_/);

    await page.getByLabel("Message").fill("Where is my parcel?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator("li[data-from=customer]", { hasText: "Where is my parcel?" }).waitFor();

    // An agent takes the session (dev mode routes through one queue).
    agent = await Seam.connect({
      url: wsUrl,
      token: mint(seam.dir, "--role", "agent", "--sub", "bob", "--name", "Bob"),
      webSocket: WebSocket,
    });
    const seen = [];
    agent.on("event", (e) => e.body.kind === "message" && seen.push(e.body.text));
    const offered = new Promise((ok) => agent.on("offer", ok));
    await agent.send({ type: "set_status", status: "available" });
    const offer = await offered;
    assert.equal(offer.session_id, sessionId);
    await agent.send({ type: "accept_offer", offer_id: offer.offer_id });
    for (let i = 0; i < 100 && !seen.includes("Where is my parcel?"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(seen.includes("Where is my parcel?"), "the agent sees the customer's message");

    await agent.typing(sessionId, true);
    await page.getByTestId("typing").filter({ hasText: "bob" }).waitFor();
    await agent.message(sessionId, "It left the depot this morning.");
    await page.locator("li[data-from=agent]", { hasText: "It left the depot this morning." }).waitFor();
    assert.equal(await page.getByTestId("typing").count(), 0, "typing clears with the message");

    // Reloaded, the page is back in the same session with its history.
    await page.reload();
    await page.getByTestId("status").filter({ hasText: "connected" }).waitFor();
    await page.locator("li[data-from=agent]", { hasText: "It left the depot this morning." }).waitFor();
    assert.equal(await page.getByTestId("session").textContent(), sessionId);
    const texts = await page.locator("li").allTextContents();
    assert.deepEqual(texts, ["Alice: Where is my parcel?", "Bob: It left the depot this morning."]);
    assert.deepEqual(errors, []);
  } finally {
    agent?.close();
    await browser.close();
    page_server.close();
    seam.child.kill();
  }
});
