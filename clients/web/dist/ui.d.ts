import { type Seam, type SessionEvent } from "./sdk.js";
import type { Mode } from "./generated/protocol.js";
/** Creates an element with attributes and children. */
export declare function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string>, ...children: (Node | string)[]): HTMLElementTagNameMap[K];
/** A one-line description of a stored event for a transcript. */
export declare function describe(e: SessionEvent): string;
/**
 * Shows only the call buttons that make sense in `mode`: hang up during a
 * call, and an upgrade only to a mode the session is not in.
 */
export declare function showCallButtons(mode: Mode, buttons: {
    voice: HTMLElement;
    video: HTMLElement;
    hangup: HTMLElement;
}): void;
/** What a participant sees when their call cannot connect. */
export declare const CALL_FAILED = "The call could not connect (the network may block it). Hang up to go back to chat.";
/**
 * Starts and stops the WebRTC call as the session's mode changes. The side
 * that asked for the upgrade offers once it has ICE servers; the other side
 * answers the offer. State and remote tracks are shown on `root`'s data
 * attributes (`data-call-state`, `data-remote-tracks`). A call that does not
 * connect within `connectTimeoutMs` (or whose connection fails) is shown as
 * `failed`, with a sentence in `status`.
 */
export declare class CallManager {
    private seam;
    private sessionId;
    private root;
    private remoteVideo;
    private localVideo;
    private relayOnly;
    private status?;
    private connectTimeoutMs;
    private call?;
    private startWhenReady?;
    private watchdog?;
    remoteTracks: number;
    constructor(seam: Seam, sessionId: () => string | undefined, root: HTMLElement, remoteVideo: HTMLVideoElement, localVideo: HTMLVideoElement, relayOnly: boolean, status?: HTMLElement | undefined, connectTimeoutMs?: number);
    /** The session's mode is now `mode`; `offerTo` is the peer to offer to if this side asked. */
    modeChanged(mode: Mode, offerTo?: string): void;
    private showLocal;
    private failed;
    /** Hangs up locally. */
    stop(): void;
}
/** Runs an action, showing any failure in `status` instead of throwing. */
export declare function guarded(status: HTMLElement): (action: () => Promise<unknown>) => Promise<void>;
/**
 * Shows "… is typing" in `status` for the current session, and clears it
 * when they say they stopped, when their message arrives, or when nothing
 * has been heard from them for a few seconds. Other status texts are left
 * alone.
 */
export declare function wireTypingIndicator(seam: Seam, sessionId: () => string | undefined, status: HTMLElement): void;
/**
 * Wires a message box: Enter or the send button posts to the current
 * session; typing sends a typing indicator at most every two seconds, and
 * "stopped" after four idle seconds or with the message.
 */
export declare function wireComposer(seam: Seam, sessionId: () => string | undefined, input: HTMLInputElement, send: HTMLButtonElement, guard: (action: () => Promise<unknown>) => Promise<void>, open?: () => Promise<string>): void;
/**
 * Wires a consent prompt: accept or decline the pending mode request, then
 * hide the prompt.
 */
export declare function wirePrompt(seam: Seam, sessionId: () => string | undefined, pendingRequest: () => string | undefined, prompt: HTMLElement, accept: HTMLButtonElement, decline: HTMLButtonElement, guard: (action: () => Promise<unknown>) => Promise<void>): void;
/** The page's WebSocket URL for seam (same host, `/ws`). */
export declare function defaultUrl(): string;
/** A token source that asks `url` for a fresh `{ "token": "..." }` each time. */
export declare function tokenFrom(url: string): () => Promise<string>;
export declare const STYLE = "\n.seam-panel{font:14px/1.4 system-ui,sans-serif;background:#fff;border:1px solid #ccd;border-radius:10px;box-shadow:0 4px 18px #0002;display:flex;flex-direction:column;overflow:hidden}\n.seam-head{background:#2b4c7e;color:#fff;padding:8px 12px;display:flex;justify-content:space-between;align-items:center}\n.seam-log{flex:1;overflow-y:auto;padding:8px 12px;min-height:120px}\n.seam-log div{margin:2px 0}\n.seam-log .mine{color:#2b4c7e}\n.seam-row{display:flex;gap:6px;padding:6px 12px;flex-wrap:wrap;align-items:center}\n.seam-row input{flex:1;min-width:0;padding:6px;border:1px solid #ccd;border-radius:6px;font-size:16px}\n.seam-row button,.seam-prompt button{padding:6px 10px;border:0;border-radius:6px;background:#2b4c7e;color:#fff;cursor:pointer}\n.seam-row button.secondary{background:#e4e8f0;color:#223}\n.seam-status{padding:4px 12px;color:#556;font-size:12px;min-height:16px}\n.seam-prompt{background:#fff6d6;padding:8px 12px;display:none;gap:6px;align-items:center}\n.seam-prompt.show{display:flex}\n.seam-videos{display:none;gap:6px;padding:6px 12px;background:#111}\n.seam-videos.show{display:flex}\n.seam-videos video{width:50%;max-height:28vh;object-fit:cover;border-radius:6px;background:#000}\n.seam-panel>*{flex-shrink:0}\n.seam-panel>.seam-log{flex:1 1 auto;min-height:48px}\n.seam-head button{background:none;border:0;color:#fff;font-size:18px;line-height:1;cursor:pointer;padding:0 4px}\n.seam-widget{position:fixed;right:16px;bottom:16px;width:360px;height:560px;max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);z-index:2147483000}\n.seam-widget.seam-min{height:auto}\n.seam-widget.seam-min>:not(.seam-head){display:none}\n@media (max-width:480px){.seam-widget{left:0;right:0;bottom:0;width:auto;max-width:none;height:70vh;border-radius:10px 10px 0 0}}\n";
