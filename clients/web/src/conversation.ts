// A session's transcript as a conversation: messages as bubbles grouped by
// sender (name, avatar initials, time), and the stored events in between
// as short lines written for whoever reads them: a customer never sees
// internal queue names, their own "opened" event or the routing steps;
// staff see what happened, queue names and audit lines included.

import type { AttachmentInfo, Mode, QuickReply, Receipt, SessionEvent } from "@seam/sdk";
import { duration, format, type Strings } from "./strings.js";
import { el } from "./dom.js";

/** Who reads the transcript. */
export interface Reader {
  /** Their `sub` (their own messages show on the right). */
  me?: string;
  /** A customer reads the customer's version. */
  audience: "customer" | "staff";
  strings: Strings;
  /** Queue name -> team name shown to customers ("Bob from Billing joined"). */
  teams?: Record<string, string>;
  /** The customer clicked a quick reply of message `seq`. */
  onChoose?: (seq: number, reply: QuickReply) => void;
  /** The reader asked to open an attached file. */
  onOpenAttachment?: (attachment: AttachmentInfo) => void;
  /** The reader wants to edit (`text` set) one of their messages. */
  onEdit?: (seq: number, text: string) => void;
  /** The reader wants to delete one of their messages. */
  onDelete?: (seq: number) => void;
  /** How long after sending a message may be revised, ms (0: never). */
  editWindowMs?: number;
}

/** Two or fewer initials of a name, for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => p[0]!.toUpperCase()).join("") || "?";
}

/** What a mode is called in a sentence ("a video call"). */
export function callName(mode: Mode, s: Strings): string {
  return mode === "video" ? s.callVideo : mode === "voice" ? s.callVoice : s.modeChat;
}

/** What a mode is called as a label ("Video call"). */
export function modeLabel(mode: Mode, s: Strings): string {
  return mode === "video" ? s.modeVideo : mode === "voice" ? s.modeVoice : s.modeChat;
}

const GROUP_GAP_MS = 5 * 60_000;

/** The rendered transcript of one session. */
export class Conversation {
  /** The element to place on the page (a live region). */
  readonly root: HTMLElement;
  private group?: { sender: string; at: number; body: HTMLElement };
  private requests = new Map<string, Mode>();
  private team?: string;
  private leftOffline = false;
  private seen = new Set<number>();
  /** Quick reply buttons by the seq of the message that offered them. */
  private choices = new Map<number, HTMLElement>();
  /** The status tick of each of the reader's own messages, by seq. */
  private ticks = new Map<number, HTMLElement>();
  /** The furthest any other participant has got (delivered, read). */
  private theirs = { delivered: 0, read: 0 };
  /** How far the reader has read (from any of their tabs). */
  private myRead = 0;
  /** The seqs of messages from others, for the unread count. */
  private fromOthers: number[] = [];
  /** The highest seq shown. */
  last = 0;
  /** Each message's text element and text, by seq (to show revisions). */
  private messages = new Map<number, { bubble: HTMLElement; text: HTMLElement; original: string }>();

  constructor(private reader: Reader, testId: string, label: string) {
    this.root = el("div", {
      class: "seam-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": label,
      tabindex: "0",
      "data-testid": testId,
    });
  }

  /** Who is reading (known once connected). */
  setMe(sub: string | undefined): void {
    this.reader.me = sub;
  }

  /** How long the reader may revise a message (the broker's welcome says). */
  setEditWindow(ms: number): void {
    this.reader.editWindowMs = ms;
  }

  /** Adds one stored event (a replayed one seen already is ignored). */
  add(e: SessionEvent): void {
    if (this.seen.has(e.seq)) return;
    this.seen.add(e.seq);
    this.last = Math.max(this.last, e.seq);
    if (e.body.kind === "message_edited" || e.body.kind === "message_deleted") {
      this.revised(e.body.seq, e.body.kind === "message_edited" ? e.body.text : null);
      return;
    }
    const said = e.body.kind === "message" || e.body.kind === "attachment";
    if (said && e.from.sub !== this.reader.me) this.fromOthers.push(e.seq);
    const line = this.line(e);
    if (line === undefined) return;
    if (line === null) this.bubble(e);
    else this.system(line, e);
    this.root.scrollTop = this.root.scrollHeight;
  }

  /** The system line for `e`; `null` for a bubble, `undefined` for nothing. */
  private line(e: SessionEvent): string | null | undefined {
    const s = this.reader.strings;
    const staff = this.reader.audience === "staff";
    const mine = e.from.sub === this.reader.me;
    const who = e.from.name ?? e.from.sub;
    const b = e.body;
    switch (b.kind) {
      case "message":
      case "attachment":
      case "whisper":
      case "note":
        return null;
      case "session_opened":
        return staff ? format(s.staffOpened, { name: who }) : undefined;
      case "queued": {
        if (staff) return format(s.staffQueued, { queue: b.queue });
        const back = this.leftOffline;
        this.leftOffline = false;
        return back ? s.backInQueue : s.youAreQueued;
      }
      case "assigned":
        this.team = b.queue ? this.reader.teams?.[b.queue] : undefined;
        return staff ? format(s.staffAssigned, { name: b.agent.name ?? b.agent.sub, wait: duration(b.waited_ms) }) : undefined;
      case "participant_joined": {
        const name = b.participant.name ?? b.participant.sub;
        if (b.participant.role === "customer") return staff ? format(s.joined, { name }) : undefined;
        const team = this.team;
        this.team = undefined;
        return team ? format(s.joinedFrom, { name, team }) : format(s.joined, { name });
      }
      case "participant_left": {
        const name = b.participant.name ?? b.participant.sub;
        if (b.reason === "offline") {
          this.leftOffline = true;
          return format(staff ? s.staffLeftOffline : s.leftOffline, { name });
        }
        return format(s.left, { name });
      }
      case "mode_requested": {
        this.requests.set(b.request.request_id, b.request.mode);
        const call = callName(b.request.mode, s);
        return mine ? format(s.askedFor, { call }) : format(s.theyAskFor, { name: who, call });
      }
      case "mode_request_declined": {
        const call = callName(this.requests.get(b.request_id) ?? "video", s);
        return mine ? format(s.youDeclined, { call }) : format(s.declinedBy, { name: who, call });
      }
      case "mode_request_cancelled":
        return format(s.requestCancelled, { call: callName(this.requests.get(b.request_id) ?? "video", s) });
      case "mode_request_expired":
        return format(s.requestExpired, { call: callName(this.requests.get(b.request_id) ?? "video", s) });
      case "mode_changed":
        return b.mode === "chat" ? s.callEnded : format(s.callStarted, { call: modeLabel(b.mode, s) });
      case "session_ended":
        return staff ? format(s.staffEnded, { name: who }) : s.ended;
      case "rated":
        return staff ? format(s.staffRated, { score: b.score }) : format(s.youRated, { score: b.score });
      case "transferred": {
        if (!staff) return s.transferring;
        const target = "queue" in b.to ? b.to.queue : b.to.agent;
        return format(s.staffTransferred, { name: who, target });
      }
      case "handed_off":
        return staff ? format(s.staffHandedOff, { name: who, queue: b.queue }) : s.connectingAgent;
      case "queue_abandoned":
        return staff ? format(s.staffAbandoned, { queue: b.queue }) : s.leftQueue;
      case "mode_recommended": {
        if (!staff) return undefined;
        const r = b.recommendation;
        return format(s.staffRecommended, { mode: modeLabel(r.mode, s), chance: Math.round(r.probability * 100) });
      }
      case "staff_accessed": {
        if (!staff) return undefined;
        const access = b.access === "monitor" ? "monitored" : b.access === "join" ? "joined" : "read";
        return format(s.staffAccessed, { name: b.by.name ?? b.by.sub, access });
      }
    }
    return undefined;
  }

  /**
   * A participant's horizons: another participant's move the ticks of the
   * reader's messages (sent, delivered, read); the reader's own (from any
   * tab) move the unread count.
   */
  receipt(r: Receipt): void {
    if (r.participant.sub === this.reader.me) {
      this.myRead = Math.max(this.myRead, r.read_seq);
      return;
    }
    this.theirs.delivered = Math.max(this.theirs.delivered, r.delivered_seq);
    this.theirs.read = Math.max(this.theirs.read, r.read_seq);
    for (const [seq, tick] of this.ticks) this.showTick(seq, tick);
  }

  /** Messages from others the reader has not read. */
  unread(): number {
    return this.fromOthers.filter((seq) => seq > this.myRead).length;
  }

  private showTick(seq: number, tick: HTMLElement): void {
    const s = this.reader.strings;
    const status = this.theirs.read >= seq ? "read" : this.theirs.delivered >= seq ? "delivered" : "sent";
    if (tick.dataset.status === status) return;
    tick.dataset.status = status;
    tick.textContent = status === "sent" ? "✓" : "✓✓";
    const label = status === "read" ? s.statusRead : status === "delivered" ? s.statusDelivered : s.statusSent;
    tick.setAttribute("aria-label", label);
    tick.title = label;
  }

  private system(text: string, e: SessionEvent): void {
    this.group = undefined;
    this.root.append(el("div", { class: "seam-sys", "data-kind": e.body.kind }, text));
  }

  private bubble(e: SessionEvent): void {
    const s = this.reader.strings;
    const b = e.body;
    if (b.kind !== "message" && b.kind !== "attachment" && b.kind !== "whisper" && b.kind !== "note") return;
    const mine = e.from.sub === this.reader.me;
    const name = mine ? s.you : (e.from.name ?? e.from.sub);
    const kind = b.kind === "whisper" || b.kind === "note" ? b.kind : "";
    const key = `${e.from.sub}/${kind}`;
    if (!this.group || this.group.sender !== key || e.at - this.group.at > GROUP_GAP_MS) {
      const heading =
        kind === "whisper" ? format(s.whisper, { name }) : kind === "note" ? format(s.note, { name }) : name;
      const body = el("div", { class: "seam-bubbles" });
      const group = el(
        "div",
        { class: `seam-group${mine ? " mine" : ""}${kind ? ` ${kind}` : ""}`, "data-role": e.from.role },
        el("div", { class: "seam-avatar", "aria-hidden": "true" }, initials(e.from.name ?? e.from.sub)),
        el(
          "div",
          { class: "seam-group-main" },
          el("div", { class: "seam-sender" }, heading, " ", el("time", { datetime: new Date(e.at).toISOString() }, clock(e.at))),
          body,
        ),
      );
      this.root.append(group);
      this.group = { sender: key, at: e.at, body };
    }
    this.group.at = e.at;
    const text = el("span", { class: "seam-text" }, b.kind === "attachment" ? "" : b.text);
    const bubble =
      b.kind === "attachment"
        ? this.file(b.attachment)
        : el("div", { class: "seam-bubble", "data-testid": "message", title: clock(e.at) }, text);
    if (b.kind === "message") {
      this.messages.set(e.seq, { bubble, text, original: b.text });
      if (b.deleted) this.revised(e.seq, null);
      else if (b.edited) bubble.append(el("span", { class: "seam-edited", "data-testid": "message-edited" }, ` ${s.edited}`));
      if (mine && !b.deleted) this.revisable(e.seq, e.at, bubble);
    }
    this.group.body.append(bubble);
    if (b.kind !== "message" && b.kind !== "attachment") return;
    if (mine) {
      const tick = el("span", { class: "seam-tick", role: "img", "data-testid": "message-status" });
      bubble.append(tick);
      this.ticks.set(e.seq, tick);
      this.showTick(e.seq, tick);
    }
    if (b.kind !== "message") return;
    if (b.card) this.group.body.append(card(b.card));
    if (b.choice) this.answered(b.choice.seq, b.choice.id);
    const replies = b.quick_replies ?? [];
    if (replies.length === 0) return;
    const customer = this.reader.audience === "customer" && !mine && this.reader.onChoose;
    const row = el("div", { class: "seam-quick", "data-testid": "quick-replies" });
    for (const reply of replies) {
      const button = el(
        "button",
        { type: "button", class: "secondary", "data-testid": "quick-reply", "data-id": reply.id },
        reply.label,
      );
      if (customer) {
        button.onclick = () => {
          this.answered(e.seq, reply.id);
          this.reader.onChoose?.(e.seq, reply);
        };
      } else {
        button.disabled = true;
      }
      row.append(button);
    }
    this.choices.set(e.seq, row);
    this.group.body.append(row);
  }

  /** Edit and delete buttons on one of the reader's messages, while its window lasts. */
  private revisable(seq: number, at: number, bubble: HTMLElement): void {
    const s = this.reader.strings;
    const window = this.reader.editWindowMs ?? 0;
    const left = at + window - Date.now();
    if (!this.reader.onEdit || window <= 0 || left <= 0) return;
    const edit = el("button", { type: "button", class: "seam-revise", "data-testid": "message-edit" }, s.edit);
    const remove = el("button", { type: "button", class: "seam-revise", "data-testid": "message-delete" }, s.delete);
    edit.onclick = () => this.reader.onEdit?.(seq, this.messages.get(seq)?.text.textContent ?? "");
    remove.onclick = () => this.reader.onDelete?.(seq);
    const actions = el("span", { class: "seam-revise-row" }, edit, remove);
    bubble.append(actions);
    setTimeout(() => actions.remove(), left);
  }

  /**
   * A message was edited (`text`) or deleted (`null`). Staff keep what was
   * first written in view (the broker only sends it to them when it keeps
   * an audit trail); customers never get it.
   */
  private revised(seq: number, text: string | null): void {
    const s = this.reader.strings;
    const m = this.messages.get(seq);
    if (!m) return;
    const staff = this.reader.audience === "staff";
    m.bubble.querySelector(".seam-edited")?.remove();
    if (text === null) {
      m.bubble.querySelector(".seam-revise-row")?.remove();
      m.bubble.classList.add("seam-deleted");
      m.bubble.dataset.deleted = "true";
      if (staff && m.original) {
        m.text.replaceChildren(el("s", {}, m.original), ` (${s.deletedByAuthor})`);
      } else {
        m.text.textContent = s.messageDeleted;
      }
      return;
    }
    m.text.textContent = text;
    m.bubble.append(el("span", { class: "seam-edited", "data-testid": "message-edited" }, ` ${s.edited}`));
    if (staff) m.bubble.title = format(s.originally, { text: m.original });
  }

  /** An attached file: its preview (images) and a button that opens it. */
  private file(a: AttachmentInfo): HTMLElement {
    const open = () => this.reader.onOpenAttachment?.(a);
    const root = el("div", { class: "seam-bubble seam-file", "data-testid": "attachment" });
    if (a.thumbnail && a.thumbnail.startsWith("data:image/")) {
      const preview = el("img", { src: a.thumbnail, alt: a.name, "data-testid": "attachment-thumbnail" });
      preview.onclick = open;
      root.append(preview);
    }
    const button = el(
      "button",
      { type: "button", class: "seam-file-open", "data-testid": "attachment-open" },
      `${a.name} · ${bytes(a.size)}`,
    );
    button.onclick = open;
    root.append(button);
    return root;
  }

  /** A quick reply of message `seq` was chosen: its buttons are spent. */
  private answered(seq: number, id: string): void {
    const row = this.choices.get(seq);
    if (!row) return;
    for (const button of Array.from(row.querySelectorAll("button"))) {
      button.disabled = true;
      if (button.dataset.id === id) button.setAttribute("aria-pressed", "true");
    }
  }
}

/** Only web links become links or images. */
function web(url: string | null | undefined): string | undefined {
  return url && /^https?:\/\//.test(url) ? url : undefined;
}

/** A message's card: title, text, image, link. */
function card(c: { title: string; text?: string | null; image_url?: string | null; link_url?: string | null; link_label?: string | null }): HTMLElement {
  const root = el("div", { class: "seam-msg-card", "data-testid": "message-card" });
  const image = web(c.image_url);
  if (image) root.append(el("img", { src: image, alt: c.title, loading: "lazy" }));
  root.append(el("b", {}, c.title));
  if (c.text) root.append(el("p", {}, c.text));
  const link = web(c.link_url);
  if (link) root.append(el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, c.link_label ?? c.title));
  return root;
}

/** "48 KB", "1.2 MB". */
function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/** "14:05" in the reader's locale. */
function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
