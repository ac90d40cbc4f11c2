// The browser SDK through a proxy that delays traffic and cuts connections
// at random: a customer and an agent, each a `Seam` in headless Chromium,
// exchange 80 messages; the agent sees each exactly once, in order, and
// the broker's log holds each once. Bounded: at most 10 cuts, 60 s.
//
// Needs: the `seam` binary (SEAM_BIN, default ../../target/debug/seam) and
// /usr/bin/chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, startSeam } from "./harness.mjs";

/** Relays to `target`, delaying chunks a little and cutting connections. */
function chaosProxy(targetPort, maxCuts) {
  let cuts = 0;
  let n = 0;
  const server = createServer((client) => {
    n += 1;
    const upstream = connect(targetPort, "127.0.0.1");
    const delay = (from, to) => from.on("data", (chunk) => {
      from.pause();
      setTimeout(() => { to.write(chunk); from.resume(); }, (n * 7) % 4);
    });
    delay(client, upstream);
    delay(upstream, client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on("error", end); upstream.on("error", end);
    client.on("close", end); upstream.on("close", end);
    if (cuts < maxCuts) {
      setTimeout(() => {
        if (!client.destroyed) { cuts += 1; end(); }
      }, 400 + ((n * 7919) % 600));
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({
    port: server.address().port,
    cuts: () => cuts,
    close: () => server.close(),
  })));
}

test("the browser SDK keeps an exactly-once, in-order view through cuts and delays", { timeout: 90_000 }, async () => {
  const seam = await startSeam();
  const port = Number(seam.addr.split(":")[1]);
  const proxy = await chaosProxy(port, 10);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${seam.base}/healthz`);
    const seen = await page.evaluate(async ({ base, url }) => {
      const { Seam } = await import(`${base}/demo/sdk.js`);
      const token = async (q) => (await (await fetch(`${base}/demo/token?${q}`)).json()).token;
      const options = (t) => ({ url, token: t, backoff: { initialMs: 20, maxMs: 200 }, ackTimeoutMs: 60_000 });
      const customer = await Seam.connect(options(await token("role=customer&sub=alice")));
      const agent = await Seam.connect(options(await token("role=agent&sub=bob")));
      // The agent takes the session the way the console does: its offer.
      const offered = new Promise((ok) => agent.on("offer", ok));
      await agent.send({ type: "set_status", status: "available" });
      const session = await customer.openSession();
      const offer = await offered;
      const texts = [];
      agent.on("event", (e) => { if (e.body.kind === "message") texts.push(e.body.text); });
      await agent.send({ type: "accept_offer", offer_id: offer.offer_id });
      for (let i = 0; i < 80; i++) {
        await customer.message(session.session_id, `m${String(i).padStart(3, "0")}`);
        await new Promise((r) => setTimeout(r, 15));
      }
      const deadline = Date.now() + 30_000;
      while (texts.length < 80 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return { texts, session: session.session_id };
    }, { base: seam.base, url: `ws://127.0.0.1:${proxy.port}/ws` });

    const expected = Array.from({ length: 80 }, (_, i) => `m${String(i).padStart(3, "0")}`);
    assert.deepEqual(seen.texts, expected, "every message once, in order");
    assert.ok(proxy.cuts() > 0, "the proxy cut connections");

    // The log holds each message once.
    const service = await (await fetch(`${seam.base}/demo/token?role=service&sub=backend`)).json();
    const transcript = await (await fetch(`${seam.base}/v1/sessions/${seen.session}`, {
      headers: { authorization: `Bearer ${service.token}` },
    })).json();
    const stored = transcript.events.filter((e) => e.body.kind === "message").map((e) => e.body.text);
    assert.deepEqual(stored, expected, "stored once each");
  } finally {
    await browser.close();
    proxy.close();
    seam.child.kill("SIGTERM");
  }
});
