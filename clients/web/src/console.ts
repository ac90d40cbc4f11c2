// The agent console: on the left the agent's status, the offers waiting
// for them (the customer's first message, how long they waited, time left
// to answer) and their conversations (every session they serve, with
// unread counts, rebuilt from the broker after a reload); in the middle the
// conversation, its call and its controls; on the right the customer's
// context and the team's notes.
//
// Configured by the page's query string: `token-url` (an endpoint answering
// {"token": "..."}), `url` (the broker's WebSocket URL), `locale`,
// `relay-only`, `connect-timeout-ms` (how long a call may take to connect
// before it counts as failed; 15 s by default).

import {
  Seam,
  fillCanned,
  type AgentOverview,
  type CannedResponse,
  type Mode,
  type ModeRecommendation,
  type Principal,
  type SeamEvents,
  type SessionEvent,
  type SessionSnapshot,
} from "@seam/sdk";
import { Conversation, callName, initials, modeLabel } from "./conversation.js";
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
  prompt as consentPrompt,
  tokenFrom,
  wireComposer,
  wirePrompt,
  wireTypingIndicator,
} from "./ui.js";

const params = new URLSearchParams(location.search);

/** A session the agent serves, as the console holds it. */
interface Held {
  snapshot: SessionSnapshot;
  conversation: Conversation;
  item: HTMLButtonElement;
  /** The item's text: the customer and the mode. */
  label: HTMLElement;
  /** Counts the customer's messages this agent has not read (from the receipts). */
  badge: HTMLElement;
  mode: Mode;
  /** The mode recommended to the customer, with its evidence. */
  recommendation?: ModeRecommendation;
  /** A mode request from the customer waiting for this agent's answer. */
  asked?: { requestId: string; text: string };
  /** This agent's own request waiting for the customer. */
  asking?: string;
  ended: boolean;
}

type Offer = SeamEvents["offer"];

async function main(): Promise<void> {
  const s = stringsFor(params.get("locale") ?? document.documentElement.lang, params.get("strings"));
  document.head.append(el("style", {}, STYLE));

  // Left: status, offers, conversations.
  const available = el("button", { "data-testid": "status-available" }, s.available);
  const away = el("button", { class: "secondary", "data-testid": "status-away" }, s.away);
  const statusLine = el("span", { "data-testid": "agent-status", role: "status" }, s.statusOffline);
  const whoAmI = el("h2", {}, s.consoleTitle);
  const offers = el("div", { "data-testid": "offers", role: "list" });
  const noOffers = el("p", { class: "seam-empty", "data-testid": "no-offers" }, s.noOffers);
  const inbox = el("div", { "data-testid": "inbox", role: "list" });
  const inboxEmpty = el("p", { class: "seam-empty", "data-testid": "inbox-empty" }, s.inboxEmpty);
  const offlineList = el("div", { "data-testid": "offline-messages", role: "list" });
  const offlineEmpty = el("p", { class: "seam-empty", "data-testid": "no-offline-messages" }, s.noOfflineMessages);
  const left = el(
    "nav",
    { class: "seam-col", "aria-label": s.inbox },
    whoAmI,
    el("div", { class: "seam-row" }, available, away, statusLine),
    el(
      "div",
      { class: "seam-scroll" },
      el("h3", { id: "seam-offers-h" }, s.offers),
      noOffers,
      offers,
      el("h3", { id: "seam-inbox-h" }, s.inbox),
      inboxEmpty,
      inbox,
      el("h3", { id: "seam-offline-h" }, s.offlineMessages),
      offlineEmpty,
      offlineList,
    ),
  );

  // Middle: the conversation.
  const title = el("h2", { "data-testid": "conversation-title" }, "");
  const mode = el("span", { class: "seam-mode", "data-testid": "agent-mode", "data-mode": "chat" }, s.modeChat);
  const askVoice = el("button", { class: "secondary", "data-testid": "agent-voice" }, s.startVoice);
  const askVideo = el("button", { class: "secondary", "data-testid": "agent-video" }, s.startVideo);
  const transfer = el("button", { class: "secondary", "data-testid": "transfer" }, s.transfer);
  const end = el("button", { class: "secondary", "data-testid": "end-session" }, s.end);
  const actions = el("div", { class: "seam-actions" }, askVoice, askVideo, transfer, end);
  const empty = el("p", { class: "seam-empty", "data-testid": "no-conversation" }, s.pickConversation);
  const logSlot = el("div", { class: "seam-scroll", style: "display:flex;flex-direction:column" }, empty);
  const status = el("div", { class: "seam-status", role: "status", "aria-live": "polite", "data-testid": "console-status" });
  const consent = consentPrompt(s, "agent-");
  const input = el("input", { placeholder: s.reply, "aria-label": s.reply, "data-testid": "agent-input", autocomplete: "off" });
  const send = el("button", { "data-testid": "agent-send" }, s.send);
  const suggestions = el("ul", { class: "seam-canned", "aria-label": s.savedReplies, "data-testid": "canned-suggestions" });
  suggestions.hidden = true;
  const composer = el("div", { class: "seam-row" }, suggestions, input, send);
  const dialogs = el("div", {});
  const main = el(
    "main",
    { class: "seam-col seam-main", id: "seam-conversation" },
    el("div", { class: "seam-head" }, el("div", {}, title, mode), actions),
  );

  // Right: the customer and the notes.
  const context = el("div", { class: "seam-card", "data-testid": "context" }, s.pickConversation);
  const noteInput = el("textarea", { rows: "3", placeholder: s.notePlaceholder, "aria-label": s.notes, "data-testid": "note-input" });
  const addNote = el("button", { class: "secondary", "data-testid": "add-note" }, s.addNote);
  const right = el(
    "aside",
    { class: "seam-col", "aria-label": s.customer },
    el("h2", {}, s.customer),
    context,
    el("h3", {}, s.notes),
    el("div", { class: "seam-notes" }, noteInput, addNote),
  );

  const root = el("div", { class: "seam-console", id: "seam-console" }, left, main, right);
  const call = callArea(root, s, "agent-");
  main.append(call.area, logSlot, status, consent.root, dialogs, composer);
  document.body.append(root);
  for (const b of [askVoice, askVideo, transfer, end, send, addNote]) b.disabled = true;
  input.disabled = true;

  const tokenUrl = params.get("token-url");
  if (!tokenUrl) {
    status.textContent = "open this page with ?token-url=<endpoint answering {token}>";
    return;
  }
  const seam = await Seam.connect({ url: params.get("url") ?? defaultUrl(), token: tokenFrom(tokenUrl) });
  const me = seam.welcome?.principal;
  whoAmI.textContent = me?.name ?? me?.sub ?? s.consoleTitle;
  const guard = guarded(status);
  const held = new Map<string, Held>();
  let active: string | undefined;
  let inCall: string | undefined;
  const calls = new CallManager(seam, () => inCall ?? active, call, s, {
    relayOnly: params.has("relay-only"),
    connectTimeoutMs: Number(params.get("connect-timeout-ms")) || undefined,
    onFailed: () => {
      status.textContent = s.callFailed;
      const sid = inCall ?? active;
      if (sid && held.get(sid)?.mode !== "chat") void seam.setMode(sid, "chat", "the call could not connect").catch(() => {});
    },
  });

  // The status the agent chose, said again after every reconnect: a broker
  // that restarted, or that saw no connection for its grace period, starts
  // the agent `away` while this console still shows the choice.
  let chosen: "available" | "away" | undefined;
  const setStatus = (value: "available" | "away") =>
    guard(async () => {
      await seam.send({ type: "set_status", status: value });
      chosen = value;
      statusLine.textContent = value === "available" ? s.statusAvailable : s.statusAway;
      available.className = value === "available" ? "" : "secondary";
      away.className = value === "away" ? "" : "secondary";
    });
  available.onclick = () => void setStatus("available");
  away.onclick = () => void setStatus("away");
  seam.on("connected", ({ reconnected }) => {
    if (reconnected && chosen) void setStatus(chosen);
  });

  // --- Conversations -------------------------------------------------------

  const customerName = (p: Principal) => p.name ?? p.sub;
  const refreshEmpty = () => {
    inboxEmpty.hidden = held.size > 0;
    noOffers.hidden = offers.childElementCount > 0;
  };
  const showButtons = (h: Held | undefined) => {
    const open = !!h && !h.ended;
    const m = h?.mode ?? "chat";
    mode.textContent = modeLabel(m, s);
    mode.dataset.mode = m;
    askVoice.hidden = m !== "chat";
    askVideo.hidden = m === "video";
    for (const b of [askVoice, askVideo, transfer, end, send, addNote]) b.disabled = !open;
    const attach = composer.querySelector<HTMLButtonElement>("[data-testid=attach]");
    if (attach) attach.disabled = !open;
    input.disabled = !open;
  };
  const itemLabel = (h: Held) =>
    `${customerName(h.snapshot.customer)} · ${h.ended ? s.sessionEnded : modeLabel(h.mode, s)}`;

  /** The recommended mode and what it was learned from, per mode. */
  const recommendationCard = (r: ModeRecommendation) => {
    const rows = el("dl", {});
    for (const c of r.choices) {
      const text = c.sessions > 0 ? `${format(s.evidenceRow, { resolved: c.resolved, sessions: c.sessions })} (${Math.round((100 * c.resolved) / c.sessions)} %)` : s.noEvidence;
      rows.append(el("dt", {}, modeLabel(c.mode, s)), el("dd", { "data-testid": `evidence-${c.mode}` }, text));
    }
    return el(
      "div",
      { class: "seam-recommendation", "data-testid": "recommendation", "data-mode": r.mode },
      el("b", {}, format(s.recommendedMode, { mode: modeLabel(r.mode, s), chance: Math.round(r.probability * 100) })),
      el("p", {}, format(s.recommendationEvidence, { issue: r.issue_type ?? "" })),
      rows,
    );
  };

  const showContext = (snapshot: SessionSnapshot, recommendation?: ModeRecommendation) => {
    const ctx = snapshot.context;
    const rows: [string, string][] = [[s.customer, customerName(snapshot.customer)]];
    if (ctx.issue_type) rows.push([s.issue, ctx.issue_type]);
    if (ctx.page) rows.push([s.page, ctx.page]);
    for (const [k, v] of Object.entries({ ...(ctx.metadata ?? {}), ...(ctx.customer_provided ?? {}) })) {
      rows.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
    }
    const dl = el("dl", {});
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, v));
    context.replaceChildren(
      el(
        "div",
        { style: "display:flex;gap:10px;align-items:center;margin-bottom:8px" },
        el("div", { class: "seam-avatar", "aria-hidden": "true" }, initials(customerName(snapshot.customer))),
        el("b", {}, customerName(snapshot.customer)),
      ),
      dl,
    );
    if (recommendation) context.append(recommendationCard(recommendation));
  };

  const activate = (sid: string | undefined) => {
    const previous = active ? held.get(active) : undefined;
    if (previous?.ended && previous.snapshot.session_id !== sid) forget(previous.snapshot.session_id);
    active = sid;
    const h = sid ? held.get(sid) : undefined;
    root.dataset.session = sid ?? "";
    if (!sid) delete root.dataset.session;
    dialogs.replaceChildren();
    for (const other of held.values()) other.item.setAttribute("aria-current", String(other === h));
    if (!h) {
      title.textContent = "";
      logSlot.replaceChildren(empty);
      context.replaceChildren(s.pickConversation);
      consent.root.hidden = true;
      showButtons(undefined);
      return;
    }
    markRead(h);
    title.textContent = customerName(h.snapshot.customer);
    logSlot.replaceChildren(h.conversation.root);
    h.conversation.root.scrollTop = h.conversation.root.scrollHeight;
    showContext(h.snapshot, h.recommendation);
    consent.root.hidden = !h.asked;
    if (h.asked) consent.text.textContent = h.asked.text;
    status.textContent = h.ended ? s.sessionEnded : "";
    showButtons(h);
  };

  const forget = (sid: string) => {
    const h = held.get(sid);
    if (!h) return;
    h.item.remove();
    held.delete(sid);
    if (active === sid) activate(held.keys().next().value);
    refreshEmpty();
  };

  const hold = (snapshot: SessionSnapshot): Held => {
    const existing = held.get(snapshot.session_id);
    if (existing) return existing;
    const badge = el("span", { class: "seam-unread", "data-testid": "unread", hidden: "" });
    const label = el("span", {});
    const item = el("button", { class: "seam-inbox-item", role: "listitem", "data-testid": "inbox-item" }, label, badge);
    const conversation = new Conversation(
      {
        me: me?.sub,
        audience: "staff",
        strings: s,
        onOpenAttachment: attachmentOpener(seam, () => snapshot.session_id, guard),
        onEdit: (seq, text) => {
          if (active === snapshot.session_id) beginEdit(input, seq, text, s);
        },
        onDelete: (seq) => void guard(async () => seam.deleteMessage(snapshot.session_id, seq)),
        editWindowMs: (seam.welcome?.limits.edit_window_secs ?? 0) * 1000,
      },
      "history",
      customerName(snapshot.customer),
    );
    for (const r of snapshot.receipts ?? []) conversation.receipt(r);
    const h: Held = { snapshot, conversation, item, label, badge, mode: snapshot.mode ?? "chat", ended: false };
    label.textContent = itemLabel(h);
    item.onclick = () => activate(snapshot.session_id);
    held.set(snapshot.session_id, h);
    inbox.append(item);
    refreshEmpty();
    return h;
  };

  // Unread counts and the customer's ticks come from the receipts: what
  // this agent read on any device, what the customer's devices got and read.
  const showUnread = (h: Held) => {
    const unread = h.conversation.unread();
    h.badge.textContent = String(unread);
    h.badge.hidden = unread === 0;
    h.badge.setAttribute("aria-label", format(s.unread, { count: unread }));
  };
  const markRead = (h: Held) => {
    const sid = h.snapshot.session_id;
    const last = h.conversation.last;
    if (sid === active && document.visibilityState === "visible" && last > 0 && me) {
      seam.report(sid, { read: last });
      h.conversation.receipt({ participant: me, delivered_seq: last, read_seq: last });
    }
    showUnread(h);
  };
  document.addEventListener("visibilitychange", () => {
    const h = active ? held.get(active) : undefined;
    if (h) markRead(h);
  });
  seam.on("receipt", (r) => {
    const h = held.get(r.session_id);
    if (!h) return;
    h.conversation.receipt(r);
    showUnread(h);
  });

  seam.on("event", (e: SessionEvent) => {
    const h = held.get(e.session_id);
    if (!h) return;
    h.conversation.add(e);
    const b = e.body;
    const here = e.session_id === active;
    if (e.from.sub !== me?.sub) seam.report(e.session_id, { delivered: e.seq });
    if (b.kind === "message" && e.from.sub !== me?.sub) markRead(h);
    if (b.kind === "mode_requested") {
      if (b.request.requested_by.sub === me?.sub) {
        h.asking = b.request.request_id;
        calls.ringing(format(s.callRinging, { name: customerName(h.snapshot.customer) }));
      } else {
        h.asked = {
          requestId: b.request.request_id,
          text: format(s.theyAskFor, { name: e.from.name ?? e.from.sub, call: callName(b.request.mode, s) }),
        };
        if (here) {
          consent.text.textContent = h.asked.text;
          consent.root.hidden = false;
        }
      }
    }
    if (b.kind === "mode_request_declined" || b.kind === "mode_request_cancelled" || b.kind === "mode_request_expired") {
      h.asked = undefined;
      h.asking = undefined;
      if (here) consent.root.hidden = true;
      calls.stopRinging();
    }
    if (b.kind === "mode_recommended") {
      h.recommendation = b.recommendation;
      if (here) showContext(h.snapshot, h.recommendation);
    }
    if (b.kind === "mode_changed") {
      h.asked = undefined;
      h.asking = undefined;
      h.mode = b.mode;
      if (here) consent.root.hidden = true;
      inCall = b.mode === "chat" ? undefined : e.session_id;
      const askedByMe = b.request_id !== undefined && b.request_id !== null && e.from.sub !== me?.sub;
      calls.modeChanged(b.mode, askedByMe ? h.snapshot.customer.sub : undefined, e.from.sub !== me?.sub);
    }
    if (b.kind === "participant_left" && b.participant.sub === me?.sub) {
      h.ended = true;
      if (inCall === e.session_id) calls.stop();
    }
    if (b.kind === "session_ended") {
      h.ended = true;
      if (inCall === e.session_id) {
        inCall = undefined;
        calls.stop();
      }
    }
    h.label.textContent = itemLabel(h);
    if (here) {
      showButtons(h);
      if (h.ended) status.textContent = s.sessionEnded;
    }
  });
  wireTypingIndicator(seam, () => active, status, s);

  // --- Offers --------------------------------------------------------------

  const ticking = new Map<string, { offer: Offer; received: number; wait: HTMLElement; left: HTMLElement; card: HTMLElement }>();
  const showOffer = (offer: Offer) => {
    const known = ticking.get(offer.offer_id);
    const card = known?.card ?? el("div", { class: "seam-offer", role: "listitem", "data-testid": "offer" });
    card.dataset.offer = offer.offer_id;
    const wait = el("span", { "data-testid": "offer-wait" });
    const timeLeft = el("span", { role: "timer", "data-testid": "offer-countdown" });
    const take = el("button", { "data-testid": "accept-offer" }, s.acceptOffer);
    const pass = el("button", { class: "secondary", "data-testid": "decline-offer" }, s.declineOffer);
    const about = offer.note ?? offer.context.issue_type ?? "";
    card.replaceChildren(
      el("b", {}, customerName(offer.customer), about ? ` · ${about}` : ""),
      ...(offer.first_message ? [el("blockquote", { "data-testid": "offer-message" }, offer.first_message)] : []),
      el("div", { class: "seam-offer-meta" }, wait, " · ", timeLeft),
      el("div", { class: "seam-offer-actions" }, take, pass),
    );
    const received = known?.received ?? Date.now() - (offer.waited_ms ?? 0);
    ticking.set(offer.offer_id, { offer, received, wait, left: timeLeft, card });
    take.onclick = () =>
      void guard(async () => {
        dropOffer(offer.offer_id);
        const ack = await seam.send({ type: "accept_offer", offer_id: offer.offer_id });
        if (ack.session) {
          hold(ack.session);
          activate(ack.session.session_id);
          input.focus();
        }
      });
    pass.onclick = () =>
      void guard(async () => {
        dropOffer(offer.offer_id);
        await seam.send({ type: "decline_offer", offer_id: offer.offer_id });
      });
    if (!known) offers.append(card);
    tick();
    refreshEmpty();
  };
  const dropOffer = (offerId: string) => {
    ticking.get(offerId)?.card.remove();
    ticking.delete(offerId);
    refreshEmpty();
  };
  const tick = () => {
    const now = Date.now();
    for (const [id, t] of ticking) {
      const secondsLeft = Math.ceil((t.offer.expires_at - now) / 1000);
      if (secondsLeft < -2) {
        dropOffer(id);
        continue;
      }
      t.wait.textContent = format(s.waitedFor, { wait: duration(now - t.received) });
      t.left.textContent = format(s.answerWithin, { seconds: Math.max(0, secondsLeft) });
    }
  };
  setInterval(tick, 1000);
  seam.on("offer", showOffer);
  seam.on("offer_revoked", (r) => dropOffer(r.offer_id));

  // --- Actions on the active conversation ----------------------------------

  wireComposer(seam, () => active, input, send, guard);
  send.before(...attachControls(seam, () => active, guard, s));
  showButtons(active ? held.get(active) : undefined);

  // Saved replies: "/" and a shortcut suggests them; Tab (or a click)
  // inserts one, its placeholders filled from the conversation.
  let canned: CannedResponse[] = [];
  seam.cannedResponses().then((list) => (canned = list), () => {});
  const matching = (): CannedResponse[] => {
    const typed = input.value;
    if (!typed.startsWith("/") || /\s/.test(typed)) return [];
    const prefix = typed.slice(1).toLowerCase();
    return canned.filter((c) => c.shortcut.toLowerCase().startsWith(prefix));
  };
  const insert = (reply: CannedResponse) => {
    const h = active ? held.get(active) : undefined;
    input.value = h ? fillCanned(reply.text, h.snapshot, me) : reply.text;
    suggestions.hidden = true;
    input.focus();
  };
  const suggest = () => {
    const found = matching();
    suggestions.hidden = found.length === 0;
    suggestions.replaceChildren(
      ...found.map((c) => {
        const pick = el("button", { type: "button", class: "secondary", "data-testid": "canned-option" }, `/${c.shortcut}${c.title ? ` · ${c.title}` : ""}`);
        pick.onclick = () => insert(c);
        return el("li", {}, pick);
      }),
    );
  };
  input.addEventListener("input", suggest);
  const composerKeys = input.onkeydown;
  input.onkeydown = (e) => {
    const found = matching();
    if (found.length > 0 && (e.key === "Tab" || (e.key === "Enter" && found.length === 1))) {
      e.preventDefault();
      insert(found[0]);
      return;
    }
    if (e.key === "Escape") suggestions.hidden = true;
    composerKeys?.call(input, e);
  };
  const ask = (wanted: Mode) => guard(async () => active && seam.requestMode(active, wanted, "may I?"));
  askVoice.onclick = () => void ask("voice");
  askVideo.onclick = () => void ask("video");
  call.hangup.onclick = () =>
    void guard(async () => {
      const sid = inCall ?? active;
      const h = sid ? held.get(sid) : undefined;
      if (!sid || !h) return;
      if (h.mode !== "chat") await seam.setMode(sid, "chat", "hang up");
      else if (h.asking) await seam.send({ type: "cancel_mode_request", session_id: sid, request_id: h.asking });
      else calls.stopRinging();
    });
  wirePrompt(seam, () => active, () => (active ? held.get(active)?.asked?.requestId : undefined), consent, guard);
  addNote.onclick = () =>
    void guard(async () => {
      const text = noteInput.value.trim();
      if (!active || !text) return;
      await seam.send({ type: "note", session_id: active, text });
      noteInput.value = "";
    });

  end.onclick = () => {
    const h = active ? held.get(active) : undefined;
    if (!h) return;
    const yes = el("button", { class: "seam-danger", "data-testid": "end-confirm" }, s.endYes);
    const no = el("button", { class: "secondary", "data-testid": "end-cancel" }, s.cancel);
    const question = el("p", { id: "seam-end-q", style: "margin:0" }, format(s.endConfirm, { name: customerName(h.snapshot.customer) }));
    const dialog = el("div", { class: "seam-dialog", role: "alertdialog", "aria-labelledby": "seam-end-q", "data-testid": "end-dialog" }, question, el("div", { class: "seam-actions" }, yes, no));
    const sid = h.snapshot.session_id;
    no.onclick = () => {
      dialogs.replaceChildren();
      end.focus();
    };
    yes.onclick = () =>
      void guard(async () => {
        dialogs.replaceChildren();
        await seam.endSession(sid, "resolved");
      });
    dialog.onkeydown = (e) => {
      if (e.key === "Escape") no.click();
    };
    dialogs.replaceChildren(dialog);
    no.focus();
  };

  transfer.onclick = () =>
    void guard(async () => {
      const h = active ? held.get(active) : undefined;
      if (!h) return;
      const sid = h.snapshot.session_id;
      const overview = (await seam.send({ type: "overview" })).overview;
      const fieldset = el("fieldset", {}, el("legend", {}, format(s.transferTitle, { name: customerName(h.snapshot.customer) })));
      const choices: { label: string; to: { queue: string } | { agent: string } }[] = [];
      for (const q of overview?.queues ?? []) choices.push({ label: format(s.transferQueue, { queue: q.name }), to: { queue: q.name } });
      const colleagues = (overview?.agents ?? []).filter(
        (a: AgentOverview) => a.agent.sub !== me?.sub && a.agent.role === "agent" && a.status === "available" && a.sessions < a.capacity,
      );
      for (const a of colleagues) {
        choices.push({
          label: format(s.transferAgent, { name: a.agent.name ?? a.agent.sub, load: a.sessions, capacity: a.capacity }),
          to: { agent: a.agent.sub },
        });
      }
      choices.forEach((c, i) => {
        const id = `seam-transfer-${i}`;
        const radio = el("input", { type: "radio", name: "seam-transfer", id, value: String(i), "data-testid": "transfer-option" });
        if (i === 0) radio.checked = true;
        fieldset.append(el("label", { for: id, style: "display:flex;gap:6px;align-items:center" }, radio, c.label));
      });
      if (choices.length === 0) fieldset.append(el("p", { class: "seam-empty" }, s.transferNone));
      const note = el("textarea", { rows: "2", placeholder: s.transferNote, "aria-label": s.transferNote, "data-testid": "transfer-note" });
      const go = el("button", { "data-testid": "transfer-confirm" }, s.transfer);
      const cancel = el("button", { class: "secondary", "data-testid": "transfer-cancel" }, s.cancel);
      go.disabled = choices.length === 0;
      const dialog = el("div", { class: "seam-dialog", role: "dialog", "aria-label": s.transfer, "data-testid": "transfer-dialog" }, fieldset, note, el("div", { class: "seam-actions" }, go, cancel));
      cancel.onclick = () => {
        dialogs.replaceChildren();
        transfer.focus();
      };
      dialog.onkeydown = (e) => {
        if (e.key === "Escape") cancel.click();
      };
      go.onclick = () =>
        void guard(async () => {
          const picked = fieldset.querySelector<HTMLInputElement>("input:checked");
          const choice = picked ? choices[Number(picked.value)] : undefined;
          if (!choice) return;
          dialogs.replaceChildren();
          await seam.send({ type: "transfer", session_id: sid, to: choice.to, note: note.value.trim() || null });
          // This agent has left it: it goes from the inbox.
          if (inCall === sid) {
            inCall = undefined;
            calls.stop();
          }
          forget(sid);
          status.textContent = `${s.transferred}: ${choice.label}`;
        });
      dialogs.replaceChildren(dialog);
      fieldset.querySelector<HTMLInputElement>("input")?.focus();
    });

  // Messages customers left while nobody could answer, to answer by email
  // (read again every minute).
  const showOfflineMessages = async () => {
    const left = await seam.offlineMessages().catch(() => undefined);
    if (!left) return;
    offlineEmpty.hidden = left.length > 0;
    offlineList.replaceChildren(
      ...left.map((m) =>
        el(
          "div",
          { class: "seam-offer", role: "listitem", "data-testid": "offline-message" },
          el("b", {}, customerName(m.customer)),
          " · ",
          el("time", { datetime: new Date(m.at).toISOString() }, new Date(m.at).toLocaleString()),
          el("blockquote", {}, m.text),
          el("a", { href: `mailto:${m.email}`, "data-testid": "offline-reply" }, format(s.replyByEmail, { email: m.email })),
        ),
      ),
    );
  };
  void showOfflineMessages();
  setInterval(() => void showOfflineMessages(), 60_000);

  // Sessions this agent still serves (the console was closed or reloaded,
  // or is open on another device): rejoined with their whole history.
  const mine = await seam.mySessions().catch(() => []);
  for (const overview of mine) {
    await guard(async () => {
      const snapshot = await seam.join(overview.session_id);
      hold(snapshot);
    });
  }
  activate(held.keys().next().value);
  refreshEmpty();
  root.dataset.ready = "true";
}

void main();

