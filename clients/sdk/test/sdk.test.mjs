// Unit tests of @seam/sdk's connection logic, against an in-memory
// WebSocket that plays the broker: what the SDK sends, and what it makes of
// what it receives. (The browser end-to-end tests in clients/web/e2e drive
// it against the real broker.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { Seam, SeamError } from "../dist/index.js";

/** A WebSocket whose other end is the test. */
class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code = 1000, reason = "") {
    this.drop(code, reason);
  }
  // The broker's side.
  reply(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code, reason = "") {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  last(type) {
    return [...this.sent].reverse().find((f) => f.type === type);
  }
}

const tick = (ms = 0) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until `check` returns something truthy. */
async function until(check, what) {
  for (let i = 0; i < 200; i++) {
    const found = check();
    if (found) return found;
    await tick(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const WELCOME = {
  type: "welcome",
  version: 1,
  connection_id: "n-1",
  principal: { sub: "alice", role: "customer" },
  expires_at: 4102444800,
  heartbeat_interval_ms: 20000,
  limits: { max_frame_bytes: 65536, max_text_chars: 8192, commands_per_second: 20, command_burst: 60 },
};

const SNAPSHOT = {
  session_id: "s_1",
  epoch: "e1",
  state: "open",
  customer: { sub: "alice", role: "customer" },
  context: {},
  participants: [{ sub: "alice", role: "customer" }],
  created_at: 1,
  last_seq: 1,
  mode: "chat",
};

const event = (seq, text) => ({
  type: "event",
  session_id: "s_1",
  seq,
  at: seq,
  from: { sub: "bob", role: "agent" },
  body: { kind: "message", text },
});

/** Connects a Seam to a fresh fake broker and welcomes it. */
async function connected(options = {}) {
  FakeSocket.all = [];
  const pending = Seam.connect({
    url: "ws://broker/ws",
    token: "t1",
    webSocket: FakeSocket,
    backoff: { initialMs: 1, maxMs: 2 },
    ackTimeoutMs: 500,
    ...options,
  });
  const socket = await until(() => FakeSocket.all[0]?.last("hello"), "hello") && FakeSocket.all[0];
  socket.reply(WELCOME);
  return { seam: await pending, socket };
}

test("hello carries the token, and connect resolves on welcome", async () => {
  let calls = 0;
  const { seam, socket } = await connected({ token: async () => `token-${++calls}` });
  assert.deepEqual(socket.sent[0], { type: "hello", versions: [1], token: "token-1" });
  assert.equal(seam.welcome.principal.sub, "alice");
});

test("a command resolves on its ack and rejects with the error's code", async () => {
  const { seam, socket } = await connected();
  const sending = seam.message("s_1", "hello");
  const frame = await until(() => socket.last("message"), "message");
  assert.equal(frame.text, "hello");
  socket.reply({ type: "ack", id: frame.id, session_id: "s_1", seq: 2 });
  assert.equal((await sending).seq, 2);

  const refused = seam.endSession("s_1");
  const end = await until(() => socket.last("end_session"), "end_session");
  socket.reply({ type: "error", id: end.id, code: "forbidden", message: "not yours" });
  await assert.rejects(refused, (e) => e instanceof SeamError && e.code === "forbidden");
});

test("rate_limited is resent under the same id after retry_after_ms", async () => {
  const { seam, socket } = await connected();
  const sending = seam.message("s_1", "again");
  const first = await until(() => socket.last("message"), "message");
  socket.reply({ type: "error", id: first.id, code: "rate_limited", message: "slow down", retry_after_ms: 10 });
  await until(() => socket.sent.filter((f) => f.type === "message").length === 2, "the resend");
  const resent = socket.sent.filter((f) => f.type === "message");
  assert.equal(resent[1].id, first.id);
  socket.reply({ type: "ack", id: first.id, session_id: "s_1", seq: 3 });
  assert.equal((await sending).seq, 3);
});

test("after a drop it resumes from the last seq, resends unacked commands and drops duplicates", async () => {
  const { seam, socket } = await connected();
  const events = [];
  const states = [];
  seam.on("event", (e) => events.push(e.seq));
  seam.on("disconnected", (d) => states.push(["disconnected", d.code, d.willReconnect]));
  seam.on("connected", (c) => states.push(["connected", c.reconnected]));
  seam.on("resumed", (r) => states.push(["resumed", r.status]));
  const opening = seam.openSession();
  const open = await until(() => socket.last("open_session"), "open_session");
  socket.reply({ type: "ack", id: open.id, session_id: "s_1", session: SNAPSHOT });
  await opening;
  socket.reply(event(1, "one"));
  socket.reply(event(2, "two"));
  const unacked = seam.message("s_1", "lost in transit");
  const lost = await until(() => socket.last("message"), "message");

  socket.drop(1006);
  const again = await until(() => FakeSocket.all[1], "a new socket");
  await until(() => again.last("hello"), "hello again");
  again.reply(WELCOME);
  const join = await until(() => again.last("join"), "the resume");
  assert.deepEqual(
    { session_id: join.session_id, after_seq: join.after_seq, epoch: join.epoch },
    { session_id: "s_1", after_seq: 2, epoch: "e1" },
  );
  const resent = await until(() => again.last("message"), "the resend");
  assert.equal(resent.id, lost.id, "resent under its original id");
  again.reply({ type: "ack", id: join.id, session_id: "s_1", session: { ...SNAPSHOT, last_seq: 3 }, resume: { status: "complete", replayed: 1 } });
  again.reply(event(2, "two")); // already seen
  again.reply(event(3, "three"));
  again.reply({ type: "ack", id: lost.id, session_id: "s_1", seq: 4, duplicate: true });
  assert.equal((await unacked).seq, 4);
  assert.deepEqual(events, [1, 2, 3]);
  assert.deepEqual(states, [["disconnected", 1006, true], ["connected", true], ["resumed", "complete"]]);
});

test("a refused token is final: pending commands fail and nothing reconnects", async () => {
  const { seam, socket } = await connected();
  const states = [];
  seam.on("disconnected", (d) => states.push(d.willReconnect));
  const pending = seam.message("s_1", "x");
  await until(() => socket.last("message"), "message");
  socket.drop(4002, "auth_failed");
  await assert.rejects(pending, (e) => e instanceof SeamError && e.code === "closed");
  await tick(20);
  assert.deepEqual(states, [false]);
  assert.equal(FakeSocket.all.length, 1, "no reconnect");
});

test("token_expiring asks the token source again and sends refresh_token", async () => {
  let calls = 0;
  const { socket } = await connected({ token: async () => `token-${++calls}` });
  socket.reply({ type: "token_expiring", expires_at: 4102444800 });
  const refresh = await until(() => socket.last("refresh_token"), "refresh_token");
  assert.equal(refresh.token, "token-2");
});

test("without a WebSocket the SDK says what to pass", async () => {
  const saved = globalThis.WebSocket;
  delete globalThis.WebSocket;
  try {
    await assert.rejects(
      Seam.connect({ url: "ws://broker/ws", token: "t" }),
      (e) => e instanceof SeamError && e.code === "no_websocket",
    );
  } finally {
    if (saved) globalThis.WebSocket = saved;
  }
});

test("fillCanned fills placeholders from the session and leaves unknown ones", async () => {
  const { fillCanned } = await import("../dist/index.js");
  const session = {
    ...SNAPSHOT,
    customer: { sub: "alice", role: "customer", name: "Alice" },
    context: { issue_type: "billing", metadata: { order: "A-17" }, customer_provided: { order: "forged", phone: "555" } },
  };
  const text = "Hi {name}, {agent} here about {issue_type}: order {order}, phone {phone}, ref {ticket}.";
  assert.equal(
    fillCanned(text, session, { sub: "bob", role: "agent", name: "Bob" }),
    "Hi Alice, Bob here about billing: order A-17, phone 555, ref {ticket}.",
  );
  assert.equal(fillCanned("Hi {name}", { ...session, customer: { sub: "c9", role: "customer" } }), "Hi c9");
});

test("cannedResponses asks the broker and returns the list", async () => {
  const { seam, socket } = await connected();
  const asking = seam.cannedResponses();
  const frame = await until(() => socket.last("canned_responses"), "canned_responses");
  socket.reply({ type: "ack", id: frame.id, canned_responses: [{ shortcut: "refund", text: "Hi {name}" }] });
  assert.deepEqual(await asking, [{ shortcut: "refund", text: "Hi {name}" }]);
});

test("report batches receipts, only forward, and receipt frames reach listeners", async () => {
  const { seam, socket } = await connected();
  const seen = [];
  seam.on("receipt", (r) => seen.push([r.participant.sub, r.delivered_seq, r.read_seq]));
  seam.report("s_1", { delivered: 3 });
  seam.report("s_1", { delivered: 5 });
  seam.report("s_1", { read: 4 });
  const first = await until(() => socket.last("receipt"), "a receipt");
  assert.deepEqual(
    { delivered: first.delivered_seq, read: first.read_seq, session: first.session_id },
    { delivered: 5, read: 4, session: "s_1" },
    "three reports, one receipt with the highest horizons",
  );
  socket.reply({ type: "ack", id: first.id, session_id: "s_1" });
  seam.report("s_1", { delivered: 2, read: 2 });
  await tick(400);
  assert.equal(socket.sent.filter((f) => f.type === "receipt").length, 1, "nothing moved: nothing sent");
  seam.report("s_1", { read: 6 });
  await until(() => socket.sent.filter((f) => f.type === "receipt").length === 2, "the next receipt");
  const second = socket.last("receipt");
  assert.deepEqual([second.delivered_seq, second.read_seq], [6, 6], "reading implies delivery");

  socket.reply({ type: "receipt", session_id: "s_1", participant: { sub: "bob", role: "agent" }, delivered_seq: 6, read_seq: 5 });
  assert.deepEqual(seen, [["bob", 6, 5]]);
  seam.close();
});
