// The embeddable chat widget: one script tag on the host page.
//
//   <script type="module" src="https://seam.example/demo/widget.js"
//           data-token-url="/my/seam-token"></script>
//
// Attributes:
//   data-token / data-token-url  a token, or an endpoint answering {"token": "..."}
//   data-url                     the broker's WebSocket URL (default: this host's /ws)
//   data-locale                  the strings table ("en", "fr"; default: the page's lang)
//   data-strings                 JSON overriding single strings (see strings.ts)
//   data-title                   the panel's title
//   data-color                   the accent colour (any CSS colour)
//   data-position                "right" (default) or "left"
//   data-teams                   JSON mapping queue names to team names shown
//                                to customers ({"billing": "Billing"})
//   data-open                    start open
//   data-relay-only              force TURN; data-connect-timeout-ms: call connect timeout
//
// A launcher bubble opens the conversation (an unread badge counts what
// arrived while closed). The session opens with the first message or a
// call request, not on page load; a conversation under way is shown at
// once, with its history. Calls (voice, video) happen in the same panel.

import { Seam, offline, type AttachmentInfo, type Availability, type Mode, type QuickReply, type SessionEvent, type SessionSnapshot } from "@seam/sdk";
import { Conversation, callName, modeLabel } from "./conversation.js";
import { STYLE } from "./style.js";
import { duration, format, stringsFor } from "./strings.js";
import {
  CallManager,
  attachControls,
  beginEdit,
  attachmentOpener,
  callArea,
  defaultUrl,
  el,
  guarded,
  icon,
  prompt as consentPrompt,
  tokenFrom,
  wireComposer,
  wirePrompt,
  wireTypingIndicator,
} from "./ui.js";

const script = document.querySelector<HTMLScriptElement>('script[src$="widget.js"]');
const data = script?.dataset ?? {};
/** Remembers, per tab, whether the panel was open (so a reload keeps it). */
const OPEN_KEY = "seam-widget-open";

function teams(): Record<string, string> | undefined {
  try {
    return data.teams ? (JSON.parse(data.teams) as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const s = stringsFor(data.locale ?? document.documentElement.lang, data.strings);
  document.head.append(el("style", {}, STYLE));
  const title = data.title ?? s.title;

  const badge = el("span", { class: "seam-badge", "data-testid": "unread", hidden: "" });
  const launcher = el(
    "button",
    { class: "seam-launcher", "data-testid": "launcher", "aria-label": s.openChat, "aria-expanded": "false", "aria-controls": "seam-panel" },
    icon("chat"),
    badge,
  );
  const mode = el("span", { class: "seam-mode", "data-testid": "mode", "data-mode": "chat" }, s.modeChat);
  const minimise = el("button", { "data-testid": "minimise", "aria-label": s.minimise, title: s.minimise, "aria-expanded": "true" }, "–");
  const status = el("div", { class: "seam-status", role: "status", "aria-live": "polite", "data-testid": "status" }, s.connecting);
  const input = el("input", { placeholder: s.inputPlaceholder, "aria-label": s.inputLabel, "data-testid": "input", autocomplete: "off" });
  const send = el("button", { "data-testid": "send" }, s.send);
  const voice = el("button", { class: "secondary", "data-testid": "talk-voice" }, s.talkVoice);
  const video = el("button", { class: "secondary", "data-testid": "talk-video" }, s.talkVideo);
  const talkAgent = el("button", { class: "secondary", "data-testid": "talk-agent", "aria-expanded": "false", "aria-controls": "seam-talk-choices" }, s.talkAgent);
  // "Talk to an agent": the modes available, the one learned to resolve
  // this kind of issue best first.
  const talkChoices = el("div", { class: "seam-row seam-choices", id: "seam-talk-choices", role: "group", "aria-label": s.talkChoices, "data-testid": "talk-choices", hidden: "" });
  const consent = consentPrompt(s, "");
  // Outside opening hours, or with nobody on duty: a message for an email answer.
  const offlineText = el("textarea", { rows: "3", "aria-label": s.offlineText, placeholder: s.offlineText, "data-testid": "offline-text" });
  const offlineEmail = el("input", { type: "email", autocomplete: "email", "aria-label": s.offlineEmail, placeholder: s.offlineEmail, "data-testid": "offline-email" });
  const offlineSend = el("button", { type: "submit", "data-testid": "offline-send" }, s.offlineSend);
  const offlineForm = el(
    "form",
    { class: "seam-offline", "data-testid": "offline-form", "aria-label": s.offlineOffer, hidden: "" },
    el("p", {}, s.offlineOffer),
    offlineText,
    offlineEmail,
    offlineSend,
  );
  const rating = el("div", { class: "seam-rating", role: "group", "aria-label": s.rateQuestion, "data-testid": "rating", hidden: "" }, s.rateQuestion);
  for (let score = 1; score <= 5; score++) {
    const b = el("button", { "data-testid": `rate-${score}`, "aria-label": format(s.rateLabel, { score }) }, String(score));
    b.onclick = () => void rate(score);
    rating.append(b);
  }
  // Set once connected: a click on a quick reply answers with its label;
  // a click on a file opens it.
  let choose: (seq: number, reply: QuickReply) => void = () => {};
  let openFile: (a: AttachmentInfo) => void = () => {};
  let deleteMessage: (seq: number) => void = () => {};
  const conversation = new Conversation(
    {
      audience: "customer",
      strings: s,
      teams: teams(),
      onChoose: (seq, reply) => choose(seq, reply),
      onOpenAttachment: (a) => openFile(a),
      onEdit: (seq, text) => beginEdit(input, seq, text, s),
      onDelete: (seq) => deleteMessage(seq),
    },
    "log",
    title,
  );
  const panel = el(
    "section",
    { class: "seam-panel", id: "seam-panel", role: "dialog", "aria-label": title, "data-testid": "panel" },
    el("div", { class: "seam-head" }, el("h2", {}, title, mode), minimise),
  );
  const root = el("div", { class: "seam-widget", id: "seam-widget", "data-position": data.position === "left" ? "left" : "right" }, launcher, panel);
  if (data.color) root.style.setProperty("--seam-accent", data.color);
  const call = callArea(root, s, "");
  panel.append(
    call.area,
    conversation.root,
    status,
    consent.root,
    rating,
    el("div", { class: "seam-row", "data-testid": "composer" }, input, send),
    el("div", { class: "seam-row", "data-testid": "call-buttons" }, talkAgent, voice, video),
    talkChoices,
  );
  // In the conversation's place (empty until a session opens), scrolling with it.
  conversation.root.prepend(offlineForm);
  document.body.append(root);

  // Set once connected: tells the broker (and so the agent) what was read.
  let markRead: () => void = () => {};
  const setOpen = (open: boolean, focus = true) => {
    root.classList.toggle("seam-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    minimise.setAttribute("aria-expanded", String(open));
    sessionStorage.setItem(OPEN_KEY, open ? "1" : "0");
    if (open) {
      markRead();
      conversation.root.scrollTop = conversation.root.scrollHeight;
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  };
  launcher.onclick = () => setOpen(true);
  minimise.onclick = () => setOpen(false);
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") setOpen(false);
  });
  setOpen(data.open !== undefined || sessionStorage.getItem(OPEN_KEY) === "1", false);

  const token = data.token ?? (data.tokenUrl ? tokenFrom(data.tokenUrl) : undefined);
  if (!token) {
    status.textContent = "seam widget: set data-token or data-token-url on the script tag";
    return;
  }
  const seam = await Seam.connect({ url: data.url ?? defaultUrl(), token });
  const me = seam.welcome?.principal.sub;
  conversation.setMe(me);
  conversation.setEditWindow((seam.welcome?.limits.edit_window_secs ?? 0) * 1000);
  let sessionId: string | undefined;
  let current: Mode = "chat";
  let agent: { sub: string; name: string; role: string } | undefined;
  let pendingRequest: string | undefined;
  const guard = guarded(status);
  const calls = new CallManager(seam, () => sessionId, call, s, {
    relayOnly: data.relayOnly !== undefined,
    connectTimeoutMs: Number(data.connectTimeoutMs) || undefined,
    onFailed: () => {
      status.textContent = s.callFailed;
      if (sessionId && current !== "chat") void seam.setMode(sessionId, "chat", "the call could not connect").catch(() => {});
    },
  });
  const callButtons = voice.parentElement!;
  const showMode = (m: Mode) => {
    current = m;
    mode.textContent = modeLabel(m, s);
    mode.dataset.mode = m;
    voice.hidden = m !== "chat";
    video.hidden = m === "video";
    talkAgent.hidden = m !== "chat" || agent?.role === "agent";
    callButtons.hidden = voice.hidden && video.hidden && talkAgent.hidden;
    if (m !== "chat") closeChoices();
  };
  const closeChoices = () => {
    talkChoices.hidden = true;
    talkChoices.replaceChildren();
    talkAgent.setAttribute("aria-expanded", "false");
  };
  showMode("chat");
  /**
   * Nobody can answer: say so honestly and offer the form. Outside opening
   * hours the form replaces the chat; with the queue open but nobody on
   * duty the customer may still write and wait.
   */
  const showOffline = (a: Availability) => {
    const when = a.opens_at ? new Date(a.opens_at).toLocaleString([], { weekday: "long", hour: "2-digit", minute: "2-digit" }) : undefined;
    status.textContent = !a.open ? (when ? format(s.closedUntil, { when }) : s.closed) : s.nobodyOnline;
    offlineForm.hidden = false;
    if (!a.open) {
      input.parentElement!.hidden = true;
      callButtons.hidden = true;
    }
  };

  // The launcher's badge counts the messages not read yet: from the
  // receipts, so it survives a reload and clears when another tab reads.
  const showUnread = () => {
    const unread = conversation.unread();
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
    launcher.setAttribute("aria-label", unread ? `${s.openChat} (${format(s.unread, { count: unread })})` : s.openChat);
  };
  markRead = () => {
    const visible = root.classList.contains("seam-open") && document.visibilityState === "visible";
    if (sessionId && visible && conversation.last > 0) {
      seam.report(sessionId, { read: conversation.last });
      if (me) conversation.receipt({ participant: seam.welcome!.principal, delivered_seq: conversation.last, read_seq: conversation.last });
    }
    showUnread();
  };
  document.addEventListener("visibilitychange", () => markRead());
  seam.on("receipt", (r) => {
    if (r.session_id !== sessionId) return;
    conversation.receipt(r);
    showUnread();
  });
  const show = (e: SessionEvent) => {
    if (e.session_id !== sessionId) return;
    conversation.add(e);
    const b = e.body;
    if (e.from.sub !== me) seam.report(e.session_id, { delivered: e.seq });
    if (b.kind === "message" && e.from.sub !== me) markRead();
    if (b.kind === "participant_joined" && b.participant.role !== "customer") {
      agent = { sub: b.participant.sub, name: b.participant.name ?? b.participant.sub, role: b.participant.role };
      status.textContent = format(s.agentHere, { name: agent.name });
      showMode(current);
    }
    if (b.kind === "participant_left" && b.participant.sub === agent?.sub) {
      agent = undefined;
      showMode(current);
    }
    if (b.kind === "mode_requested") {
      pendingRequest = b.request.request_id;
      if (b.request.requested_by.sub === me) {
        calls.ringing(agent ? format(s.callRinging, { name: agent.name }) : s.callWaitingAgent);
      } else {
        consent.text.textContent = format(s.theyAskFor, { name: e.from.name ?? e.from.sub, call: callName(b.request.mode, s) });
        consent.root.hidden = false;
      }
    }
    if (b.kind === "mode_request_declined" || b.kind === "mode_request_cancelled" || b.kind === "mode_request_expired") {
      consent.root.hidden = true;
      pendingRequest = undefined;
      calls.stopRinging();
    }
    if (b.kind === "mode_changed") {
      consent.root.hidden = true;
      pendingRequest = undefined;
      showMode(b.mode);
      const askedByMe = b.request_id !== undefined && b.request_id !== null && e.from.sub !== me;
      calls.modeChanged(b.mode, askedByMe ? agent?.sub : undefined, e.from.sub !== me);
    }
    if (b.kind === "session_ended") {
      status.textContent = s.ended;
      calls.stop();
    }
  };
  seam.on("event", show);
  seam.on("queue_status", (q) => {
    if (q.session_id !== sessionId) return;
    status.textContent =
      q.estimated_wait_ms > 0
        ? format(s.queueWait, { position: q.position, wait: duration(q.estimated_wait_ms) })
        : format(s.queuePosition, { position: q.position });
  });
  wireTypingIndicator(seam, () => sessionId, status, s);
  seam.on("rating_requested", (r) => {
    if (r.session_id === sessionId) rating.hidden = false;
  });
  seam.on("disconnected", (d) => {
    status.textContent = d.willReconnect ? s.reconnecting : s.disconnected;
  });
  seam.on("resumed", () => {
    if (status.textContent === s.reconnecting) status.textContent = "";
  });

  // A conversation under way (another tab, another device) shows at once;
  // a visitor who has not written yet is not queued for an agent.
  const attached = (snapshot: SessionSnapshot) => {
    sessionId = snapshot.session_id;
    root.dataset.session = sessionId;
    offlineForm.hidden = true;
    showMode(snapshot.mode ?? "chat");
    for (const r of snapshot.receipts ?? []) conversation.receipt(r);
    const staff = snapshot.participants.find((p) => p.role !== "customer");
    agent = staff ? { sub: staff.sub, name: staff.name ?? staff.sub, role: staff.role } : undefined;
    return sessionId;
  };
  const existing = await seam.existingSession();
  if (existing) attached(existing);
  const availability = existing ? undefined : await seam.availability().catch(() => undefined);
  if (existing) status.textContent = agent ? format(s.agentHere, { name: agent.name }) : "";
  else if (availability && offline(availability)) showOffline(availability);
  else if (availability && availability.estimated_wait_ms > 0) status.textContent = format(s.typicalWait, { wait: duration(availability.estimated_wait_ms) });
  else status.textContent = s.writeToUs;
  root.dataset.ready = "true";
  const open = async () => sessionId ?? attached(await seam.openSession());

  wireComposer(seam, () => sessionId, input, send, guard, open);
  send.before(...attachControls(seam, () => sessionId, guard, s, open));
  openFile = attachmentOpener(seam, () => sessionId, guard);
  deleteMessage = (seq) =>
    void guard(async () => {
      if (sessionId) await seam.deleteMessage(sessionId, seq);
    });
  offlineForm.onsubmit = (e) => {
    e.preventDefault();
    void guard(async () => {
      const email = offlineEmail.value.trim();
      await seam.leaveMessage(offlineText.value, email);
      offlineForm.replaceChildren(el("p", { role: "status", "data-testid": "offline-thanks" }, format(s.offlineThanks, { email })));
    });
  };
  choose = (seq, reply) =>
    void guard(async () => {
      const sid = await open();
      await seam.send({ type: "message", session_id: sid, text: reply.label, choice: { seq, id: reply.id } });
    });
  const talk = (wanted: Mode) =>
    guard(async () => {
      const sid = await open();
      if (agent) await seam.requestMode(sid, wanted, "I'd rather talk");
      else {
        calls.ringing(s.callWaitingAgent);
        await seam.send({ type: "request_agent", session_id: sid, mode: wanted });
      }
    });
  voice.onclick = () => void talk("voice");
  video.onclick = () => void talk("video");
  talkAgent.onclick = () =>
    void guard(async () => {
      if (!talkChoices.hidden) return closeChoices();
      const sid = await open();
      const r = await seam.recommendMode(sid);
      const modes = [r.mode, ...r.choices.map((c) => c.mode).filter((m) => m !== r.mode)];
      const label = (m: Mode) => (m === "voice" ? s.talkVoice : m === "video" ? s.talkVideo : s.talkChat);
      talkChoices.replaceChildren(
        ...modes.map((m, i) => {
          const b = el("button", { class: i === 0 ? "" : "secondary", "data-testid": `choose-${m}`, "data-mode": m }, label(m));
          if (i === 0) {
            b.dataset.recommended = "true";
            b.append(el("span", { class: "seam-tag" }, s.recommended));
          }
          b.onclick = () =>
            void guard(async () => {
              closeChoices();
              if (m !== "chat") await talk(m);
              // Chat: the session already waits for an agent, unless a bot holds it.
              else if (agent) await seam.send({ type: "request_agent", session_id: sid });
              else status.textContent = s.youAreQueued;
            });
          return b;
        }),
      );
      talkChoices.hidden = false;
      talkAgent.setAttribute("aria-expanded", "true");
      talkChoices.querySelector("button")?.focus();
    });
  call.hangup.onclick = () =>
    void guard(async () => {
      if (!sessionId) return;
      if (current !== "chat") await seam.setMode(sessionId, "chat", "hang up");
      else if (pendingRequest) await seam.send({ type: "cancel_mode_request", session_id: sessionId, request_id: pendingRequest });
      else calls.stopRinging();
    });
  wirePrompt(seam, () => sessionId, () => pendingRequest, consent, guard);
  const rate = (score: number) =>
    guard(async () => {
      if (sessionId) await seam.rate(sessionId, score);
      rating.hidden = true;
      status.textContent = s.thanks;
    });
}

void main();
