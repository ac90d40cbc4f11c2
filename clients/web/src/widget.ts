// The embeddable chat widget: one script tag on the host page.
//
//   <script type="module" src="https://seam.example/demo/widget.js"
//           data-token-url="/my/seam-token"></script>
//
// Attributes: `data-token` (a token) or `data-token-url` (an endpoint
// answering {"token": "..."}), `data-url` (the broker's WebSocket URL; default:
// this host's /ws), `data-relay-only` (force TURN). The widget opens the
// customer's session (or gets back the open one, so a reload resumes with
// the history), shows chat, typing, queue position and wait, and a "talk to
// an agent" for voice or video in the same window.

import { Seam, type SessionEvent, type SessionSnapshot } from "./sdk.js";
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
import type { Mode } from "./generated/protocol.js";

const script = document.querySelector<HTMLScriptElement>('script[src$="widget.js"]');
const data = script?.dataset ?? {};

async function main(): Promise<void> {
  document.head.append(el("style", {}, STYLE));
  const log = el("div", { class: "seam-log", "data-testid": "log" });
  const status = el("div", { class: "seam-status", "data-testid": "status" }, "Connecting…");
  const input = el("input", { placeholder: "Type a message", "data-testid": "input" });
  const send = el("button", { "data-testid": "send" }, "Send");
  const voice = el("button", { class: "secondary", "data-testid": "talk-voice" }, "Talk by voice");
  const video = el("button", { class: "secondary", "data-testid": "talk-video" }, "Talk to an agent by video");
  const hangup = el("button", { class: "secondary", "data-testid": "hang-up" }, "Hang up");
  const promptText = el("span", { "data-testid": "prompt-text" });
  const accept = el("button", { "data-testid": "accept-upgrade" }, "Accept");
  const decline = el("button", { "data-testid": "decline-upgrade" }, "Decline");
  const prompt = el("div", { class: "seam-prompt", "data-testid": "prompt" }, promptText, accept, decline);
  const remoteVideo = el("video", { autoplay: "", playsinline: "", "data-testid": "remote-video" });
  const localVideo = el("video", { autoplay: "", playsinline: "", muted: "" });
  localVideo.muted = true;
  const videos = el("div", { class: "seam-videos" }, remoteVideo, localVideo);
  const rating = el("div", { class: "seam-prompt", "data-testid": "rating" }, "How did we do?");
  for (let score = 1; score <= 5; score++) {
    const b = el("button", { "data-testid": `rate-${score}` }, String(score));
    b.onclick = () => void rate(score);
    rating.append(b);
  }
  const mode = el("span", { "data-testid": "mode" }, "chat");
  const minimise = el(
    "button",
    { "data-testid": "minimise", "aria-label": "Minimise the chat", "aria-expanded": "true" },
    "–",
  );
  const root = el(
    "div",
    { class: "seam-panel seam-widget", id: "seam-widget" },
    el("div", { class: "seam-head" }, el("b", {}, "Chat with us"), el("span", {}, mode, minimise)),
    videos,
    log,
    status,
    prompt,
    rating,
    el("div", { class: "seam-row" }, input, send),
    el("div", { class: "seam-row" }, voice, video, hangup),
  );
  document.body.append(root);
  showCallButtons("chat", { voice, video, hangup });
  minimise.onclick = () => {
    const min = root.classList.toggle("seam-min");
    minimise.textContent = min ? "+" : "–";
    minimise.setAttribute("aria-expanded", String(!min));
    minimise.setAttribute("aria-label", min ? "Open the chat" : "Minimise the chat");
  };

  const token = data.token ?? (data.tokenUrl ? tokenFrom(data.tokenUrl) : undefined);
  if (!token) {
    status.textContent = "seam widget: set data-token or data-token-url on the script tag";
    return;
  }
  const seam = await Seam.connect({ url: data.url ?? defaultUrl(), token });
  const me = seam.welcome?.principal.sub;
  let sessionId: string | undefined;
  let agent: string | undefined;
  let pendingRequest: string | undefined;
  const calls = new CallManager(
    seam,
    () => sessionId,
    root,
    remoteVideo,
    localVideo,
    data.relayOnly !== undefined,
    status,
    Number(data.connectTimeoutMs) || undefined,
  );

  const show = (e: SessionEvent) => {
    if (e.session_id !== sessionId) return;
    const line = el("div", { class: e.from.sub === me ? "mine" : "" }, describe(e));
    log.append(line);
    log.scrollTop = log.scrollHeight;
    const b = e.body;
    if (b.kind === "participant_joined" && b.participant.role !== "customer") agent = b.participant.sub;
    if (b.kind === "assigned") {
      agent = b.agent.sub;
      status.textContent = `${b.agent.name ?? b.agent.sub} is here`;
    }
    if (b.kind === "mode_requested" && b.request.requested_by.sub !== me) {
      pendingRequest = b.request.request_id;
      promptText.textContent = `${e.from.name ?? e.from.sub} would like to start ${b.request.mode}`;
      prompt.classList.add("show");
    }
    if (b.kind !== "mode_requested" && b.kind.startsWith("mode_")) {
      prompt.classList.remove("show");
    }
    if (b.kind === "mode_changed") {
      mode.textContent = b.mode;
      showCallButtons(b.mode, { voice, video, hangup });
      videos.classList.toggle("show", b.mode !== "chat");
      log.scrollTop = log.scrollHeight;
      const askedByMe = b.request_id !== undefined && b.request_id !== null && e.from.sub !== me;
      calls.modeChanged(b.mode, askedByMe ? agent : undefined);
    }
    if (b.kind === "session_ended") status.textContent = "The conversation has ended";
  };
  seam.on("event", show);
  seam.on("queue_status", (q) => {
    if (q.session_id !== sessionId) return;
    const wait = q.estimated_wait_ms > 0 ? `, about ${Math.ceil(q.estimated_wait_ms / 1000)} s` : "";
    status.textContent = `You are number ${q.position} in the queue${wait}`;
  });
  wireTypingIndicator(seam, () => sessionId, status);
  seam.on("rating_requested", (r) => {
    if (r.session_id === sessionId) rating.classList.add("show");
  });
  seam.on("disconnected", (d) => {
    status.textContent = d.willReconnect ? "Reconnecting…" : "Disconnected";
  });
  seam.on("resumed", () => {
    status.textContent = "";
  });

  // A conversation under way (another tab, another device) shows at once;
  // a visitor who has not written yet is not queued for an agent.
  const attached = (snapshot: SessionSnapshot) => {
    sessionId = snapshot.session_id;
    root.dataset.session = sessionId;
    mode.textContent = snapshot.mode ?? "chat";
    showCallButtons(snapshot.mode ?? "chat", { voice, video, hangup });
    agent = snapshot.participants.find((p) => p.role !== "customer")?.sub;
    return sessionId;
  };
  const existing = await seam.existingSession();
  if (existing) attached(existing);
  status.textContent = existing ? (agent ? "" : "Connected") : "Write to us: we answer here";
  root.dataset.ready = "true";
  const open = async () => sessionId ?? attached(await seam.openSession());

  const guard = guarded(status);
  wireComposer(seam, () => sessionId, input, send, guard, open);
  const talk = (wanted: Mode) =>
    guard(async () => {
      const sid = await open();
      if (agent) await seam.requestMode(sid, wanted, "I'd rather talk");
      else await seam.send({ type: "request_agent", session_id: sid, mode: wanted });
    });
  voice.onclick = () => void talk("voice");
  video.onclick = () => void talk("video");
  hangup.onclick = () => void guard(async () => sessionId && seam.setMode(sessionId, "chat", "hang up"));
  wirePrompt(seam, () => sessionId, () => pendingRequest, prompt, accept, decline, guard);
  const rate = (score: number) =>
    guard(async () => {
      if (sessionId) await seam.rate(sessionId, score);
      rating.classList.remove("show");
      status.textContent = "Thank you!";
    });
}

void main();
