// Small DOM helpers and the call handling shared by the widget and the
// agent console.
import { Call, SeamError } from "./sdk.js";
/** Creates an element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs))
        node.setAttribute(k, v);
    for (const child of children)
        node.append(child);
    return node;
}
/** A one-line description of a stored event for a transcript. */
export function describe(e) {
    const who = e.from.name ?? e.from.sub;
    const b = e.body;
    switch (b.kind) {
        case "message":
            return `${who}: ${b.text}`;
        case "session_opened":
            return `${who} opened the session${b.context.issue_type ? ` about ${b.context.issue_type}` : ""}`;
        case "participant_joined":
            return `${b.participant.name ?? b.participant.sub} joined`;
        case "participant_left":
            return `${b.participant.name ?? b.participant.sub} left`;
        case "queued":
            return `Waiting in the ${b.queue} queue`;
        case "assigned":
            return `${b.agent.name ?? b.agent.sub} is taking care of you`;
        case "mode_requested":
            return `${who} asked for ${b.request.mode}`;
        case "mode_request_declined":
            return `${who} declined`;
        case "mode_request_cancelled":
            return `${who} cancelled the request`;
        case "mode_request_expired":
            return "The request expired";
        case "mode_changed":
            return `${who} switched from ${b.previous} to ${b.mode}`;
        case "session_ended":
            return `${who} ended the session`;
        case "rated":
            return `${who} rated the session ${b.score}/5`;
        case "whisper":
            return `${who} (whisper): ${b.text}`;
        case "note":
            return `${who} (note): ${b.text}`;
        case "transferred":
            return `${who} transferred the session`;
        case "handed_off":
            return `${who} asked for an agent`;
        case "queue_abandoned":
            return `Left the ${b.queue} queue`;
        case "staff_accessed":
            return `${b.by.name ?? b.by.sub} ${b.access === "monitor" ? "monitored" : b.access === "join" ? "joined" : "read"} the session (audit)`;
    }
}
/**
 * Shows only the call buttons that make sense in `mode`: hang up during a
 * call, and an upgrade only to a mode the session is not in.
 */
export function showCallButtons(mode, buttons) {
    buttons.voice.hidden = mode === "voice";
    buttons.video.hidden = mode === "video";
    buttons.hangup.hidden = mode === "chat";
}
/** What a participant sees when their call cannot connect. */
export const CALL_FAILED = "The call could not connect (the network may block it). Hang up to go back to chat.";
/**
 * Starts and stops the WebRTC call as the session's mode changes. The side
 * that asked for the upgrade offers once it has ICE servers; the other side
 * answers the offer. State and remote tracks are shown on `root`'s data
 * attributes (`data-call-state`, `data-remote-tracks`). A call that does not
 * connect within `connectTimeoutMs` (or whose connection fails) is shown as
 * `failed`, with a sentence in `status`.
 */
export class CallManager {
    constructor(seam, sessionId, root, remoteVideo, localVideo, relayOnly, status, connectTimeoutMs = 15000) {
        this.seam = seam;
        this.sessionId = sessionId;
        this.root = root;
        this.remoteVideo = remoteVideo;
        this.localVideo = localVideo;
        this.relayOnly = relayOnly;
        this.status = status;
        this.connectTimeoutMs = connectTimeoutMs;
        this.remoteTracks = 0;
        seam.on("ice_servers", (s) => {
            if (s.session_id === this.sessionId() && this.startWhenReady && this.call) {
                const peer = this.startWhenReady;
                this.startWhenReady = undefined;
                void this.call.start(peer).then(() => this.showLocal());
            }
        });
    }
    /** The session's mode is now `mode`; `offerTo` is the peer to offer to if this side asked. */
    modeChanged(mode, offerTo) {
        const sid = this.sessionId();
        if (!sid)
            return;
        if (mode === "chat") {
            this.stop();
            return;
        }
        if (this.call)
            return;
        this.remoteTracks = 0;
        this.call = new Call(this.seam, sid, {
            video: mode === "video",
            relayOnly: this.relayOnly,
            onTrack: (stream) => {
                this.remoteTracks += 1;
                this.remoteVideo.srcObject = stream;
                this.root.dataset.remoteTracks = String(this.remoteTracks);
                void this.remoteVideo.play().catch(() => { });
                this.showLocal();
            },
            onState: (state) => {
                if (this.root.dataset.callState === "failed" && state !== "connected")
                    return;
                this.root.dataset.callState = state;
                if (state === "connected") {
                    clearTimeout(this.watchdog);
                    if (this.status?.textContent === CALL_FAILED)
                        this.status.textContent = "";
                }
                if (state === "failed")
                    this.failed();
            },
        });
        this.root.dataset.callState = "new";
        clearTimeout(this.watchdog);
        this.watchdog = setTimeout(() => this.failed(), this.connectTimeoutMs);
        if (offerTo) {
            if (this.seam.iceServers.has(sid))
                void this.call.start(offerTo).then(() => this.showLocal());
            else
                this.startWhenReady = offerTo;
        }
    }
    showLocal() {
        const local = this.call?.localStream;
        if (local && this.localVideo.srcObject !== local) {
            this.localVideo.srcObject = local;
            void this.localVideo.play().catch(() => { });
        }
    }
    failed() {
        if (!this.call || this.root.dataset.callState === "connected")
            return;
        this.root.dataset.callState = "failed";
        if (this.status)
            this.status.textContent = CALL_FAILED;
    }
    /** Hangs up locally. */
    stop() {
        clearTimeout(this.watchdog);
        if (this.status?.textContent === CALL_FAILED)
            this.status.textContent = "";
        this.call?.close();
        this.call = undefined;
        this.startWhenReady = undefined;
        this.remoteVideo.srcObject = null;
        this.localVideo.srcObject = null;
        this.root.dataset.callState = "closed";
    }
}
/** Runs an action, showing any failure in `status` instead of throwing. */
export function guarded(status) {
    return async (action) => {
        try {
            await action();
        }
        catch (e) {
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
export function wireTypingIndicator(seam, sessionId, status) {
    let shown;
    let timer;
    const clear = (sub) => {
        if (!shown || (sub !== undefined && shown.sub !== sub))
            return;
        if (status.textContent === shown.text)
            status.textContent = "";
        shown = undefined;
        clearTimeout(timer);
    };
    seam.on("typing", (t) => {
        if (t.session_id !== sessionId())
            return;
        if (!t.active)
            return clear(t.from.sub);
        const text = `${t.from.name ?? t.from.sub} is typing…`;
        status.textContent = text;
        shown = { sub: t.from.sub, text };
        clearTimeout(timer);
        timer = setTimeout(() => clear(), TYPING_SHOWN_MS);
    });
    seam.on("event", (e) => {
        if (e.session_id === sessionId() && e.body.kind === "message")
            clear(e.from.sub);
    });
}
/**
 * Wires a message box: Enter or the send button posts to the current
 * session; typing sends a typing indicator at most every two seconds, and
 * "stopped" after four idle seconds or with the message.
 */
export function wireComposer(seam, sessionId, input, send, guard, open) {
    let typingSince = 0;
    let idle;
    const stopTyping = (sid) => {
        clearTimeout(idle);
        if (typingSince === 0)
            return;
        typingSince = 0;
        void seam.typing(sid, false).catch(() => { });
    };
    const post = () => {
        const text = input.value.trim();
        const sid = sessionId();
        if (!text || (!sid && !open))
            return;
        input.value = "";
        // The message itself clears the indicator on the other side.
        clearTimeout(idle);
        typingSince = 0;
        void guard(async () => seam.message(sid ?? (await open()), text));
    };
    send.onclick = post;
    input.onkeydown = (e) => {
        if (e.key === "Enter")
            post();
    };
    input.oninput = () => {
        const sid = sessionId();
        if (!sid)
            return;
        if (Date.now() - typingSince > TYPING_REPEAT_MS) {
            typingSince = Date.now();
            void seam.typing(sid, true).catch(() => { });
        }
        clearTimeout(idle);
        idle = setTimeout(() => stopTyping(sid), TYPING_IDLE_MS);
    };
}
/**
 * Wires a consent prompt: accept or decline the pending mode request, then
 * hide the prompt.
 */
export function wirePrompt(seam, sessionId, pendingRequest, prompt, accept, decline, guard) {
    const answer = (yes) => void guard(async () => {
        const sid = sessionId();
        const request = pendingRequest();
        if (sid && request)
            await seam.answerMode(sid, request, yes);
        prompt.classList.remove("show");
    });
    accept.onclick = () => answer(true);
    decline.onclick = () => answer(false);
}
/** The page's WebSocket URL for seam (same host, `/ws`). */
export function defaultUrl() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws`;
}
/** A token source that asks `url` for a fresh `{ "token": "..." }` each time. */
export function tokenFrom(url) {
    return async () => {
        const response = await fetch(url);
        if (!response.ok)
            throw new Error(`token endpoint answered ${response.status}`);
        return (await response.json()).token;
    };
}
export const STYLE = `
.seam-panel{font:14px/1.4 system-ui,sans-serif;background:#fff;border:1px solid #ccd;border-radius:10px;box-shadow:0 4px 18px #0002;display:flex;flex-direction:column;overflow:hidden}
.seam-head{background:#2b4c7e;color:#fff;padding:8px 12px;display:flex;justify-content:space-between;align-items:center}
.seam-log{flex:1;overflow-y:auto;padding:8px 12px;min-height:120px}
.seam-log div{margin:2px 0}
.seam-log .mine{color:#2b4c7e}
.seam-row{display:flex;gap:6px;padding:6px 12px;flex-wrap:wrap;align-items:center}
.seam-row input{flex:1;min-width:0;padding:6px;border:1px solid #ccd;border-radius:6px;font-size:16px}
.seam-row button,.seam-prompt button{padding:6px 10px;border:0;border-radius:6px;background:#2b4c7e;color:#fff;cursor:pointer}
.seam-row button.secondary{background:#e4e8f0;color:#223}
.seam-status{padding:4px 12px;color:#556;font-size:12px;min-height:16px}
.seam-prompt{background:#fff6d6;padding:8px 12px;display:none;gap:6px;align-items:center}
.seam-prompt.show{display:flex}
.seam-videos{display:none;gap:6px;padding:6px 12px;background:#111}
.seam-videos.show{display:flex}
.seam-videos video{width:50%;max-height:28vh;object-fit:cover;border-radius:6px;background:#000}
.seam-panel>*{flex-shrink:0}
.seam-panel>.seam-log{flex:1 1 auto;min-height:48px}
.seam-head button{background:none;border:0;color:#fff;font-size:18px;line-height:1;cursor:pointer;padding:0 4px}
.seam-widget{position:fixed;right:16px;bottom:16px;width:360px;height:560px;max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);z-index:2147483000}
.seam-widget.seam-min{height:auto}
.seam-widget.seam-min>:not(.seam-head){display:none}
@media (max-width:480px){.seam-widget{left:0;right:0;bottom:0;width:auto;max-width:none;height:70vh;border-radius:10px 10px 0 0}}
`;
