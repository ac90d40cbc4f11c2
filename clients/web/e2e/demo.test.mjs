// End to end in headless Chromium: a customer opens the widget, an agent
// accepts in the console, they chat, the customer asks for video, the agent
// accepts, both peer connections connect and receive remote tracks, they go
// back to chat, the customer reloads and finds the history, the session
// ends with a rating. Run twice: directly, and through a real TURN server
// (coturn, use-auth-secret) with relay-only ICE, which proves the broker's
// time-limited TURN credentials are accepted.
//
// Needs: the `seam` binary (SEAM_BIN, default ../../target/debug/seam),
// /usr/bin/chromium, and `turnserver` for the second run.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam, startTurn } from "./harness.mjs";

const ARTIFACTS = resolve(process.env.SEAM_E2E_ARTIFACTS ?? "../../target/e2e");

const WAIT = 30_000;

async function waitForAttr(page, selector, attr, wanted) {
  await page.waitForFunction(
    ([sel, a, w]) => {
      const v = document.querySelector(sel)?.dataset[a];
      return typeof w === "number" ? Number(v) >= w : v === w;
    },
    [selector, attr, wanted],
    { timeout: WAIT },
  );
}

async function story({ relayOnly, name }) {
  const secret = "coturn-e2e-secret-0123456789";
  let turn;
  const extra = [];
  if (relayOnly) {
    turn = await startTurn(secret);
    const dir = mkdtempSync(join(tmpdir(), "seam-e2e-config-"));
    const config = join(dir, "seam.toml");
    writeFileSync(config, `[media]\nice_servers = [{ urls = ["turn:127.0.0.1:${turn.port}?transport=udp"], secret = "${secret}", ttl_secs = 3600 }]\n`);
    extra.push("--config", config);
  }
  let seam = await startSeam(extra);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  const flag = relayOnly ? "&relay-only" : "";
  try {
    // The customer arrives first and waits in the queue.
    const customer = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await customer.goto(`${seam.base}/demo/?sub=alice&name=Alice&issue=billing${flag}`);
    await waitForAttr(customer, "#seam-widget", "ready", "true");
    // Loading the page queues nobody: the session opens with the first
    // message. No agent is on duty yet, and the widget says so (offering to
    // leave a message, beside the chat: the queue is open).
    await customer.getByTestId("status").filter({ hasText: "Nobody can chat right now." }).waitFor({ state: "attached", timeout: WAIT });
    assert.equal(await customer.getByTestId("offline-form").getAttribute("hidden"), null);
    assert.equal(await customer.$eval("#seam-widget", (e) => e.dataset.session), undefined);
    // Collapsed to its launcher until the visitor opens it.
    assert.equal(await customer.getByTestId("input").isVisible(), false);
    await customer.getByTestId("launcher").click();
    await customer.getByTestId("input").fill("Hi, I was charged twice for order A-17");
    await customer.getByTestId("send").click();
    await customer.getByTestId("status").filter({ hasText: "number 1 in the queue" }).waitFor({ timeout: WAIT });

    const agent = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await agent.goto(`${seam.base}/demo/console?sub=bob&name=Bob${flag}`);
    await waitForAttr(agent, "#seam-console", "ready", "true");
    await agent.getByTestId("status-available").click();
    await agent.getByTestId("agent-status").filter({ hasText: "available" }).waitFor({ timeout: WAIT });

    // The offer shows what the customer wrote and counts down; the agent
    // accepts and sees the context and the history.
    await agent.getByTestId("offer-message").filter({ hasText: "charged twice" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("offer-countdown").filter({ hasText: "s to answer" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("accept-offer").click({ timeout: WAIT });
    await agent.getByTestId("context").filter({ hasText: "billing" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("history").filter({ hasText: "charged twice" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-input").pressSequentially("Sorry", { delay: 20 });
    await customer.getByTestId("status").filter({ hasText: "Bob is typing" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-input").fill("Sorry about that! Let me check.");
    await agent.getByTestId("agent-send").click();
    await customer.getByTestId("log").filter({ hasText: "Let me check" }).waitFor({ timeout: WAIT });
    // The message clears "is typing".
    await customer.getByTestId("status").filter({ hasText: "is typing" }).waitFor({ state: "detached", timeout: WAIT });
    // A typist who stops without sending says so after a few idle seconds.
    await agent.getByTestId("agent-input").pressSequentially("Hm", { delay: 20 });
    await customer.getByTestId("status").filter({ hasText: "Bob is typing" }).waitFor({ timeout: WAIT });
    await customer.getByTestId("status").filter({ hasText: "is typing" }).waitFor({ state: "detached", timeout: WAIT });
    await agent.getByTestId("agent-input").fill("");

    // The broker restarts: both sides reconnect and resume, nothing is lost.
    seam.child.kill("SIGTERM");
    await new Promise((r) => seam.child.on("exit", r));
    seam = await startSeam(extra, seam.addr, seam.dir);
    await agent.getByTestId("agent-input").fill("Still here after the restart");
    await agent.getByTestId("agent-send").click();
    await customer.getByTestId("log").filter({ hasText: "Still here after the restart" }).waitFor({ timeout: WAIT });
    assert.equal(await customer.getByTestId("log").getByText("Still here after the restart").count(), 1);

    // The agent asks to start voice; the customer accepts in the widget; then hangs up.
    await agent.getByTestId("agent-voice").click();
    await customer.getByTestId("prompt-text").filter({ hasText: "would like to start a voice call" }).waitFor({ timeout: WAIT });
    await customer.getByTestId("accept-upgrade").click();
    await waitForAttr(customer, "#seam-widget", "callState", "connected");
    await waitForAttr(agent, "#seam-console", "callState", "connected");
    assert.equal(await customer.getByTestId("mode").textContent(), "Voice call");
    await customer.getByTestId("call-status").filter({ hasText: "Connected" }).waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-hang-up").click();
    await waitForAttr(customer, '[data-testid="mode"]', "mode", "chat");
    await waitForAttr(agent, "#seam-console", "callState", "closed");

    // The buttons follow the mode: no hang-up in chat.
    assert.equal(await customer.getByTestId("hang-up").isVisible(), false);
    assert.equal(await agent.getByTestId("agent-hang-up").isVisible(), false);

    // "Talk to an agent" by video, in the same window; the agent accepts.
    await customer.getByTestId("talk-video").click();
    await agent.getByTestId("agent-accept-upgrade").click({ timeout: WAIT });
    await waitForAttr(customer, "#seam-widget", "callState", "connected");
    await waitForAttr(agent, "#seam-console", "callState", "connected");
    await waitForAttr(customer, "#seam-widget", "remoteTracks", 1);
    await waitForAttr(agent, "#seam-console", "remoteTracks", 1);
    assert.equal(await customer.getByTestId("mode").textContent(), "Video call");
    assert.equal(await customer.getByTestId("talk-video").isVisible(), false, "no 'talk by video' during video");
    assert.equal(await customer.getByTestId("hang-up").isVisible(), true);
    assert.equal(await agent.getByTestId("agent-video").isVisible(), false);
    // Mute and camera: the local tracks are turned off and on.
    const localEnabled = (page, root, kind) =>
      page.$eval(`${root} video.seam-self`, (v, k) => v.srcObject?.getTracks().filter((t) => t.kind === k).map((t) => t.enabled), kind);
    await customer.getByTestId("mute").click();
    assert.equal(await customer.getByTestId("mute").getAttribute("aria-pressed"), "true");
    assert.deepEqual(await localEnabled(customer, "#seam-widget", "audio"), [false]);
    await customer.getByTestId("mute").click();
    assert.deepEqual(await localEnabled(customer, "#seam-widget", "audio"), [true]);
    await agent.getByTestId("agent-camera").click();
    assert.deepEqual(await localEnabled(agent, "#seam-console", "video"), [false]);
    await agent.getByTestId("agent-camera").click();
    assert.deepEqual(await localEnabled(agent, "#seam-console", "video"), [true]);
    await customer.waitForTimeout(1500); // let a few frames render for the screenshots
    mkdirSync(ARTIFACTS, { recursive: true });
    await customer.screenshot({ path: join(ARTIFACTS, `${name}-customer.png`) });
    await agent.screenshot({ path: join(ARTIFACTS, `${name}-agent.png`) });
    // During video the call controls stay on screen, inside their panels.
    for (const [page, panelId, ids] of [
      [agent, "#seam-console", ["agent-hang-up", "end-session", "agent-send"]],
      [customer, "#seam-widget", ["hang-up", "send"]],
    ]) {
      const panel = await page.locator(panelId).boundingBox();
      for (const id of ids) {
        const b = await page.getByTestId(id).boundingBox();
        const inside = b && b.y >= panel.y && b.y + b.height <= panel.y + panel.height + 0.5 && b.y + b.height <= 700;
        assert.ok(inside, `${id} on screen: ${JSON.stringify(b)} in ${JSON.stringify(panel)}`);
      }
    }

    // Back to chat: no consent needed.
    await customer.getByTestId("hang-up").click();
    await waitForAttr(customer, '[data-testid="mode"]', "mode", "chat");
    await waitForAttr(agent, '[data-testid="agent-mode"]', "mode", "chat");
    await waitForAttr(customer, "#seam-widget", "callState", "closed");
    assert.equal(await customer.getByTestId("hang-up").isVisible(), false);
    assert.equal(await customer.getByTestId("talk-video").isVisible(), true);

    // A reload resumes the same session with its history.
    const session = await customer.$eval("#seam-widget", (e) => e.dataset.session);
    await customer.reload();
    await waitForAttr(customer, "#seam-widget", "ready", "true");
    assert.equal(await customer.$eval("#seam-widget", (e) => e.dataset.session), session);
    await customer.getByTestId("log").filter({ hasText: "charged twice" }).waitFor({ timeout: WAIT });
    await customer.getByTestId("log").filter({ hasText: "Call ended" }).waitFor({ timeout: WAIT });

    // The agent ends it (after confirming); the customer rates it; the rating is stored.
    await agent.getByTestId("end-session").click();
    await agent.getByTestId("end-confirm").click();
    await customer.getByTestId("rate-5").click({ timeout: WAIT });
    await customer.getByTestId("status").filter({ hasText: "Thank you" }).waitFor({ timeout: WAIT });
    const service = await (await fetch(`${seam.base}/demo/token?role=service&sub=backend`)).json();
    const res = await fetch(`${seam.base}/v1/sessions/${session}`, { headers: { authorization: `Bearer ${service.token}` } });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.session.state, "ended");
    assert.equal(body.session.rating.score, 5);
    const kinds = body.events.map((e) => e.body.kind);
    for (const kind of ["assigned", "message", "mode_requested", "mode_changed", "session_ended", "rated"]) {
      assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
    }
    if (turn) assert.match(turn.log(), /allocation|ALLOCATE|relay/i, "coturn saw the allocations");
  } finally {
    await browser.close();
    seam.child.kill();
    turn?.child.kill();
  }
}

test("customer and agent go from chat to video and back in one session", { timeout: 120_000 }, () =>
  story({ relayOnly: false, name: "direct" }));

test("the same, with media forced through coturn using seam's TURN credentials", { timeout: 120_000 }, () =>
  story({ relayOnly: true, name: "turn" }));
