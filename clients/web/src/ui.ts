// What the widget and the agent console share: the call area and its
// states, the message box with typing indicators, the consent prompt,
// error display, and how a page finds the broker and its token.

import { Call, SeamError, type AttachmentInfo, type Mode, type Seam, type SessionEvent } from "@seam/sdk";
import { el, icon } from "./dom.js";
import { format, type Strings } from "./strings.js";

export { el, icon } from "./dom.js";

/** The elements of a call area (see [`callArea`]). */
export interface CallView {
  /** Carries `data-call-state` and `data-remote-tracks`. */
  root: HTMLElement;
  /** Shown while a call is ringing or under way. */
  area: HTMLElement;
  remote: HTMLVideoElement;
  local: HTMLVideoElement;
  /** The call's state in words. */
  state: HTMLElement;
  mute: HTMLButtonElement;
  camera: HTMLButtonElement;
  hangup: HTMLButtonElement;
}

/**
 * Builds a call area: the other side large, the self-view small in a
 * corner, the state in words, and mute, camera and hang-up buttons.
 * `ids` prefixes the test ids (`""` for the widget, `"agent-"` for the console).
 */
export function callArea(root: HTMLElement, s: Strings, ids: string): CallView {
  const remote = el("video", { autoplay: "", playsinline: "", "data-testid": `${ids}remote-video`, "aria-label": "" });
  const local = el("video", { autoplay: "", playsinline: "", muted: "", class: "seam-self", "aria-hidden": "true" });
  local.muted = true;
  const state = el("div", { class: "seam-call-state", role: "status", "data-testid": `${ids}call-status` });
  const mute = el("button", { class: "seam-round", "aria-pressed": "false", "data-testid": `${ids}mute`, "aria-label": s.mute, title: s.mute }, icon("mic"));
  const camera = el("button", { class: "seam-round", "aria-pressed": "false", "data-testid": `${ids}camera`, "aria-label": s.cameraOff, title: s.cameraOff }, icon("camera"));
  const hangup = el("button", { class: "seam-round seam-danger", "data-testid": `${ids}hang-up`, "aria-label": s.hangUp, title: s.hangUp }, icon("hangup"));
  const area = el(
    "div",
    { class: "seam-call", "data-testid": `${ids}call`, hidden: "" },
    el("div", { class: "seam-stage" }, remote, local),
    el("div", { class: "seam-call-bar" }, state, el("div", { class: "seam-call-controls" }, mute, camera, hangup)),
  );
  return { root, area, remote, local, state, mute, camera, hangup };
}

/** How long a call may take to connect before it counts as failed. */
const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Runs the call area as the session's mode changes: rings while an upgrade
 * waits for an answer, starts and stops the WebRTC call (the side that
 * asked offers once it has ICE servers; the other side answers), shows its
 * state in words and on `data-call-state` (`ringing`, `new`, `connecting`,
 * `connected`, `failed`, `closed`), and toggles microphone and camera.
 * A call that does not connect (connection failed, ICE gathering failed,
 * or `connectTimeoutMs` passed) is reported with `onFailed`, which goes
 * back to chat; `data-call-result` stays `failed` until the next call.
 */
export class CallManager {
  private call?: Call;
  private startWhenReady?: string;
  private watchdog?: ReturnType<typeof setTimeout>;
  private video = false;
  private connected = false;
  remoteTracks = 0;

  constructor(
    private seam: Seam,
    private sessionId: () => string | undefined,
    private view: CallView,
    private s: Strings,
    private options: { relayOnly: boolean; connectTimeoutMs?: number; onFailed: () => void },
  ) {
    seam.on("ice_servers", (update) => {
      if (update.session_id === this.sessionId() && this.startWhenReady && this.call) {
        const peer = this.startWhenReady;
        this.startWhenReady = undefined;
        void this.call.start(peer).then(() => this.showLocal());
      }
    });
    view.mute.onclick = () => this.toggle("audio", view.mute, s.mute, s.unmute);
    view.camera.onclick = () => this.toggle("video", view.camera, s.cameraOff, s.cameraOn);
  }

  /** Whether a call is under way. */
  get active(): boolean {
    return this.call !== undefined;
  }

  /** An upgrade waits for the other side: the area shows `text` and hang-up cancels. */
  ringing(text: string): void {
    if (this.call) return;
    this.view.area.hidden = false;
    this.view.area.dataset.mode = "ringing";
    this.view.state.textContent = text;
    this.view.root.dataset.callState = "ringing";
    this.view.mute.hidden = true;
    this.view.camera.hidden = true;
  }

  /** The upgrade was answered no, cancelled or expired. */
  stopRinging(): void {
    if (this.call || this.view.root.dataset.callState !== "ringing") return;
    this.view.area.hidden = true;
    this.view.root.dataset.callState = "closed";
  }

  /**
   * The session's mode is now `mode`; `offerTo` is the peer to offer to if
   * this side asked. Back to chat by the other side before the call ever
   * connected counts as a call that could not connect (their side gave up).
   */
  modeChanged(mode: Mode, offerTo?: string, byOtherSide = false): void {
    const sid = this.sessionId();
    if (!sid) return;
    if (mode === "chat") {
      const neverConnected = this.call && !this.connected;
      if (neverConnected && byOtherSide) this.failed();
      this.stop();
      return;
    }
    if (this.call) return;
    this.remoteTracks = 0;
    this.connected = false;
    this.video = mode === "video";
    delete this.view.root.dataset.callResult;
    this.view.area.hidden = false;
    this.view.area.dataset.mode = mode;
    this.view.mute.hidden = false;
    this.view.camera.hidden = !this.video;
    this.setPressed(this.view.mute, false, this.s.mute);
    this.setPressed(this.view.camera, false, this.s.cameraOff);
    this.view.state.textContent = this.s.callConnecting;
    this.call = new Call(this.seam, sid, {
      video: this.video,
      relayOnly: this.options.relayOnly,
      onTrack: (stream) => {
        this.remoteTracks += 1;
        this.view.remote.srcObject = stream;
        this.view.root.dataset.remoteTracks = String(this.remoteTracks);
        void this.view.remote.play().catch(() => {});
        this.showLocal();
      },
      onState: (state) => {
        if (!this.call) return;
        this.view.root.dataset.callState = state;
        if (state === "connected") {
          this.connected = true;
          clearTimeout(this.watchdog);
          this.view.state.textContent = this.s.callConnected;
        } else if (state === "connecting" || state === "new") {
          this.view.state.textContent = this.s.callConnecting;
        } else if (state === "failed") {
          this.failed();
        }
      },
    });
    this.view.root.dataset.callState = "new";
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.failed(), this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    if (offerTo) {
      if (this.seam.iceServers.has(sid)) void this.call.start(offerTo).then(() => this.showLocal());
      else this.startWhenReady = offerTo;
    }
  }

  private toggle(kind: "audio" | "video", button: HTMLButtonElement, on: string, off: string): void {
    const turnOff = button.getAttribute("aria-pressed") !== "true";
    if (this.call?.setEnabled(kind, !turnOff)) this.setPressed(button, turnOff, turnOff ? off : on);
  }

  private setPressed(button: HTMLButtonElement, pressed: boolean, label: string): void {
    button.setAttribute("aria-pressed", String(pressed));
    button.setAttribute("aria-label", label);
    button.title = label;
  }

  private showLocal(): void {
    const local = this.call?.localStream;
    if (local && this.view.local.srcObject !== local) {
      this.view.local.srcObject = local;
      void this.view.local.play().catch(() => {});
    }
  }

  private failed(): void {
    if (!this.call || this.view.root.dataset.callState === "connected") return;
    this.view.root.dataset.callState = "failed";
    this.view.root.dataset.callResult = "failed";
    this.options.onFailed();
  }

  /** Hangs up locally and hides the call area. */
  stop(): void {
    clearTimeout(this.watchdog);
    this.call?.close();
    this.call = undefined;
    this.startWhenReady = undefined;
    this.view.remote.srcObject = null;
    this.view.local.srcObject = null;
    this.view.area.hidden = true;
    this.view.root.dataset.callState = "closed";
  }
}

/** Runs an action, showing any failure in `status` instead of throwing. */
export function guarded(status: HTMLElement): (action: () => Promise<unknown>) => Promise<void> {
  return async (action) => {
    try {
      await action();
    } catch (e) {
      status.textContent = e instanceof SeamError ? e.message : String(e);
    }
  };
}

/** How often a typist repeats "typing", and how long a silent one stays shown. */
const TYPING_REPEAT_MS = 2000;
const TYPING_SHOWN_MS = 6000;
/** A typist who stops for this long says so. */
const TYPING_IDLE_MS = 4000;

/**
 * Shows "… is typing" in `status` for the current session, and clears it
 * when they say they stopped, when their message arrives, or when nothing
 * has been heard from them for a few seconds. Other status texts are left
 * alone.
 */
export function wireTypingIndicator(
  seam: Seam,
  sessionId: () => string | undefined,
  status: HTMLElement,
  s: { typing: string },
): void {
  let shown: { sub: string; text: string } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = (sub?: string) => {
    if (!shown || (sub !== undefined && shown.sub !== sub)) return;
    if (status.textContent === shown.text) status.textContent = "";
    shown = undefined;
    clearTimeout(timer);
  };
  seam.on("typing", (t) => {
    if (t.session_id !== sessionId()) return;
    if (!t.active) return clear(t.from.sub);
    const text = format(s.typing, { name: t.from.name ?? t.from.sub });
    status.textContent = text;
    shown = { sub: t.from.sub, text };
    clearTimeout(timer);
    timer = setTimeout(() => clear(), TYPING_SHOWN_MS);
  });
  seam.on("event", (e: SessionEvent) => {
    if (e.session_id === sessionId() && e.body.kind === "message") clear(e.from.sub);
  });
}

/**
 * Wires a message box: Enter or the send button posts to the current
 * session; typing sends a typing indicator at most every two seconds, and
 * "stopped" after four idle seconds or with the message.
 */
export function wireComposer(
  seam: Seam,
  sessionId: () => string | undefined,
  input: HTMLInputElement,
  send: HTMLButtonElement,
  guard: (action: () => Promise<unknown>) => Promise<void>,
  open?: () => Promise<string>,
): void {
  let typingSince = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stopTyping = (sid: string) => {
    clearTimeout(idle);
    if (typingSince === 0) return;
    typingSince = 0;
    void seam.typing(sid, false).catch(() => {});
  };
  const post = () => {
    const text = input.value.trim();
    const sid = sessionId();
    if (!text || (!sid && !open)) return;
    input.value = "";
    const editing = Number(input.dataset.editSeq);
    if (editing && sid) {
      endEdit(input);
      void guard(async () => seam.editMessage(sid, editing, text));
      return;
    }
    // The message itself clears the indicator on the other side.
    clearTimeout(idle);
    typingSince = 0;
    void guard(async () => seam.message(sid ?? (await open!()), text));
  };
  send.onclick = post;
  input.onkeydown = (e) => {
    if (e.key === "Enter") post();
    if (e.key === "Escape" && input.dataset.editSeq) {
      endEdit(input);
      input.value = "";
    }
  };
  input.oninput = () => {
    const sid = sessionId();
    if (!sid) return;
    if (Date.now() - typingSince > TYPING_REPEAT_MS) {
      typingSince = Date.now();
      void seam.typing(sid, true).catch(() => {});
    }
    clearTimeout(idle);
    idle = setTimeout(() => stopTyping(sid), TYPING_IDLE_MS);
  };
}

/** A consent prompt: a question with accept and decline buttons. */
export interface Prompt {
  root: HTMLElement;
  text: HTMLElement;
  accept: HTMLButtonElement;
  decline: HTMLButtonElement;
}

/** Builds a consent prompt (hidden until asked), test ids prefixed with `ids`. */
export function prompt(s: Strings, ids: string): Prompt {
  const text = el("span", { "data-testid": `${ids}prompt-text`, id: `${ids}prompt-text` });
  const accept = el("button", { "data-testid": `${ids}accept-upgrade` }, s.accept);
  const decline = el("button", { class: "secondary", "data-testid": `${ids}decline-upgrade` }, s.decline);
  const root = el(
    "div",
    { class: "seam-prompt", role: "alertdialog", "aria-labelledby": `${ids}prompt-text`, "data-testid": `${ids}prompt`, hidden: "" },
    text,
    el("span", { class: "seam-prompt-actions" }, accept, decline),
  );
  return { root, text, accept, decline };
}

/**
 * Wires a consent prompt: accept or decline the pending mode request, then
 * hide the prompt.
 */
export function wirePrompt(
  seam: Seam,
  sessionId: () => string | undefined,
  pendingRequest: () => string | undefined,
  p: Prompt,
  guard: (action: () => Promise<unknown>) => Promise<void>,
): void {
  const answer = (yes: boolean) =>
    void guard(async () => {
      const sid = sessionId();
      const request = pendingRequest();
      p.root.hidden = true;
      if (sid && request) await seam.answerMode(sid, request, yes);
    });
  p.accept.onclick = () => answer(true);
  p.decline.onclick = () => answer(false);
}

/** The page's WebSocket URL for seam (same host, `/ws`). */
export function defaultUrl(): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws`;
}

/** A token source that asks `url` for a fresh `{ "token": "..." }` each time. */
export function tokenFrom(url: string): () => Promise<string> {
  return async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  };
}

/**
 * A paperclip button and its hidden file input: the chosen file is
 * uploaded into the session (opened first, for a customer who has not
 * written yet). Returns the elements to place beside the message box.
 */
export function attachControls(
  seam: Seam,
  sessionId: () => string | undefined,
  guard: (action: () => Promise<unknown>) => Promise<void>,
  s: Strings,
  open?: () => Promise<string>,
): HTMLElement[] {
  const file = el("input", { type: "file", hidden: "", "data-testid": "file-input", accept: "image/*,application/pdf,text/plain" });
  const button = el("button", { type: "button", class: "secondary", "data-testid": "attach", "aria-label": s.attach, title: s.attach }, "📎");
  button.onclick = () => file.click();
  file.onchange = () => {
    const chosen = file.files?.[0];
    file.value = "";
    if (!chosen) return;
    void guard(async () => {
      const sid = sessionId() ?? (open ? await open() : undefined);
      if (sid) await seam.upload(sid, chosen, chosen.name);
    });
  };
  return [button, file];
}

/** Opens an attached file in a new tab, through a fresh signed link. */
export function attachmentOpener(
  seam: Seam,
  sessionId: () => string | undefined,
  guard: (action: () => Promise<unknown>) => Promise<void>,
): (a: AttachmentInfo) => void {
  return (a) => {
    const sid = sessionId();
    if (!sid) return;
    // Opened before the link is known, so the browser does not block it as a pop-up.
    const tab = window.open("about:blank", "_blank");
    if (tab) tab.opener = null;
    void guard(async () => {
      const url = await seam.attachmentUrl(sid, a.id);
      if (tab) tab.location.href = url;
      else window.location.assign(url);
    });
  };
}

/**
 * Puts one of the writer's own messages in the message box to edit it:
 * Enter saves it (`edit_message`), Escape cancels.
 */
export function beginEdit(input: HTMLInputElement, seq: number, text: string, s: Strings): void {
  if (!input.dataset.editSeq) input.dataset.placeholder = input.placeholder;
  input.dataset.editSeq = String(seq);
  input.placeholder = s.editing;
  input.value = text;
  input.focus();
}

function endEdit(input: HTMLInputElement): void {
  delete input.dataset.editSeq;
  input.placeholder = input.dataset.placeholder ?? input.placeholder;
}
