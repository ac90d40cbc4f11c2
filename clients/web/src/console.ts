// The agent console: status, offers from the queue, the customer's context
// and whole history, chat, voice and video, transfer and end.
//
// Configured by the page's query string: `token-url` (an endpoint answering
// {"token": "..."}), `url` (the broker's WebSocket URL), `relay-only`,
// `connect-timeout-ms` (how long a call may take to connect before it is
// shown as failed; 15 s by default).

import { Seam, type SessionEvent } from "./sdk.js";
import {
  CallManager,
  defaultUrl,
  describe,
  el,
  guarded,
  STYLE,
  tokenFrom,
  wireComposer,
  wirePrompt,
  showCallButtons,
  wireTypingIndicator,
} from "./ui.js";
import type { Mode, SessionSnapshot } from "./generated/protocol.js";

const params = new URLSearchParams(location.search);

async function main(): Promise<void> {
  document.head.append(el("style", {}, STYLE));
  const available = el("button", { "data-testid": "status-available" }, "Available");
  const away = el("button", { class: "secondary", "data-testid": "status-away" }, "Away");
  const statusLine = el("span", { "data-testid": "agent-status" }, "offline");
  const offers = el("div", { "data-testid": "offers" });
  const mine = el("div", { "data-testid": "my-sessions" });
  const context = el("pre", { "data-testid": "context", style: "margin:0;padding:8px 12px;background:#f4f6fa;white-space:pre-wrap;max-height:20vh;overflow:auto" });
  const log = el("div", { class: "seam-log", "data-testid": "history" });
  const status = el("div", { class: "seam-status", "data-testid": "console-status" });
  const input = el("input", { placeholder: "Reply", "data-testid": "agent-input" });
  const send = el("button", { "data-testid": "agent-send" }, "Send");
  const askVoice = el("button", { class: "secondary", "data-testid": "agent-voice" }, "Start voice");
  const askVideo = el("button", { class: "secondary", "data-testid": "agent-video" }, "Start video");
  const hangup = el("button", { class: "secondary", "data-testid": "agent-hang-up" }, "Hang up");
  const transferTo = el("input", { placeholder: "queue", "data-testid": "transfer-queue", style: "flex:0 0 90px" });
  const transfer = el("button", { class: "secondary", "data-testid": "transfer" }, "Transfer");
  const end = el("button", { class: "secondary", "data-testid": "end-session" }, "End");
  const promptText = el("span", { "data-testid": "agent-prompt-text" });
  const accept = el("button", { "data-testid": "agent-accept-upgrade" }, "Accept");
  const decline = el("button", { "data-testid": "agent-decline-upgrade" }, "Decline");
  const prompt = el("div", { class: "seam-prompt", "data-testid": "agent-prompt" }, promptText, accept, decline);
  const remoteVideo = el("video", { autoplay: "", playsinline: "", "data-testid": "agent-remote-video" });
  const localVideo = el("video", { autoplay: "", playsinline: "", muted: "" });
  localVideo.muted = true;
  const videos = el("div", { class: "seam-videos" }, remoteVideo, localVideo);
  const mode = el("span", { "data-testid": "agent-mode" }, "chat");
  const root = el(
    "div",
    { class: "seam-panel", id: "seam-console", style: "max-width:760px;margin:16px auto;height:calc(100vh - 32px);min-height:420px" },
    el("div", { class: "seam-head" }, el("b", {}, "seam agent console"), el("span", {}, statusLine, " · ", mode)),
    el("div", { class: "seam-row" }, available, away),
    mine,
    offers,
    context,
    videos,
    log,
    status,
    prompt,
    el("div", { class: "seam-row" }, input, send),
    el("div", { class: "seam-row" }, askVoice, askVideo, hangup, transferTo, transfer, end),
  );
  document.body.append(root);
  showCallButtons("chat", { voice: askVoice, video: askVideo, hangup });

  const tokenUrl = params.get("token-url");
  if (!tokenUrl) {
    status.textContent = "open this page with ?token-url=<endpoint answering {token}>";
    return;
  }
  const seam = await Seam.connect({ url: params.get("url") ?? defaultUrl(), token: tokenFrom(tokenUrl) });
  const me = seam.welcome?.principal.sub;
  let sessionId: string | undefined;
  let customer: string | undefined;
  let pendingRequest: string | undefined;
  const calls = new CallManager(
    seam,
    () => sessionId,
    root,
    remoteVideo,
    localVideo,
    params.has("relay-only"),
    status,
    Number(params.get("connect-timeout-ms")) || undefined,
  );
  root.dataset.ready = "true";

  const guard = guarded(status);
  const setStatus = (value: "available" | "away") =>
    guard(async () => {
      await seam.send({ type: "set_status", status: value });
      statusLine.textContent = value;
    });
  available.onclick = () => void setStatus("available");
  away.onclick = () => void setStatus("away");

  const open = (snapshot: SessionSnapshot) => {
    sessionId = snapshot.session_id;
    customer = snapshot.customer.sub;
    root.dataset.session = sessionId;
    log.replaceChildren();
    const ctx = snapshot.context;
    context.textContent = [
      `Customer: ${snapshot.customer.name ?? snapshot.customer.sub}`,
      ctx.issue_type ? `Issue: ${ctx.issue_type}` : "",
      ctx.page ? `Page: ${ctx.page}` : "",
      ...Object.entries(ctx.metadata ?? {}).map(([k, v]) => `${k}: ${String(v)}`),
    ]
      .filter(Boolean)
      .join("\n");
    mode.textContent = snapshot.mode ?? "chat";
    showCallButtons(snapshot.mode ?? "chat", { voice: askVoice, video: askVideo, hangup });
  };

  // Sessions this agent still takes part in (the console was closed, or
  // opened on another device): one click rejoins, with the whole history.
  const rejoinable = await seam.mySessions().catch(() => []);
  for (const s of rejoinable) {
    const row = el(
      "div",
      { class: "seam-row", "data-testid": "my-session", style: "background:#f0f7ee" },
      `Your session with ${s.customer.name ?? s.customer.sub}${s.queue ? ` · ${s.queue}` : ""} · ${s.mode}`,
    );
    const rejoin = el("button", { "data-testid": "rejoin" }, "Rejoin");
    rejoin.onclick = () =>
      void guard(async () => {
        const snapshot = await seam.join(s.session_id);
        open(snapshot);
        mine.replaceChildren();
      });
    row.append(rejoin);
    mine.append(row);
  }

  seam.on("offer", (offer) => {
    const card = el(
      "div",
      { class: "seam-row", "data-testid": "offer", style: "background:#eef3ff" },
      `${offer.customer.name ?? offer.customer.sub} · ${offer.context.issue_type ?? offer.queue ?? ""}${offer.note ? ` · ${offer.note}` : ""}`,
    );
    const take = el("button", { "data-testid": "accept-offer" }, "Accept");
    const pass = el("button", { class: "secondary", "data-testid": "decline-offer" }, "Decline");
    take.onclick = () =>
      void guard(async () => {
        card.remove();
        const ack = await seam.send({ type: "accept_offer", offer_id: offer.offer_id });
        if (ack.session) open(ack.session);
      });
    pass.onclick = () =>
      void guard(async () => {
        card.remove();
        await seam.send({ type: "decline_offer", offer_id: offer.offer_id });
      });
    card.dataset.offer = offer.offer_id;
    card.append(take, pass);
    offers.append(card);
  });
  seam.on("offer_revoked", (r) => offers.querySelector(`[data-offer="${r.offer_id}"]`)?.remove());

  seam.on("event", (e: SessionEvent) => {
    if (e.session_id !== sessionId) return;
    log.append(el("div", { class: e.from.sub === me ? "mine" : "" }, describe(e)));
    log.scrollTop = log.scrollHeight;
    const b = e.body;
    if (b.kind === "mode_requested" && b.request.requested_by.sub !== me) {
      pendingRequest = b.request.request_id;
      promptText.textContent = `${e.from.name ?? e.from.sub} asks for ${b.request.mode}`;
      prompt.classList.add("show");
    }
    if (b.kind !== "mode_requested" && b.kind.startsWith("mode_")) prompt.classList.remove("show");
    if (b.kind === "mode_changed") {
      mode.textContent = b.mode;
      showCallButtons(b.mode, { voice: askVoice, video: askVideo, hangup });
      videos.classList.toggle("show", b.mode !== "chat");
      log.scrollTop = log.scrollHeight;
      const askedByMe = b.request_id !== undefined && b.request_id !== null && e.from.sub !== me;
      calls.modeChanged(b.mode, askedByMe ? customer : undefined);
    }
    if (b.kind === "session_ended") status.textContent = "Session ended";
  });
  wireTypingIndicator(seam, () => sessionId, status);

  wireComposer(seam, () => sessionId, input, send, guard);
  const ask = (wanted: Mode) => guard(async () => sessionId && seam.requestMode(sessionId, wanted, "may I?"));
  askVoice.onclick = () => void ask("voice");
  askVideo.onclick = () => void ask("video");
  hangup.onclick = () => void guard(async () => sessionId && seam.setMode(sessionId, "chat", "hang up"));
  wirePrompt(seam, () => sessionId, () => pendingRequest, prompt, accept, decline, guard);
  transfer.onclick = () =>
    void guard(async () => {
      if (!sessionId || !transferTo.value) return;
      await seam.send({ type: "transfer", session_id: sessionId, to: { queue: transferTo.value }, note: null });
      status.textContent = `Transferred to ${transferTo.value}`;
    });
  end.onclick = () => void guard(async () => sessionId && seam.endSession(sessionId, "resolved"));
}

void main();
