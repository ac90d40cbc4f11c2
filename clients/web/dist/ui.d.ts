import { type Mode, type Seam } from "./sdk.js";
import { type Strings } from "./strings.js";
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
export declare function callArea(root: HTMLElement, s: Strings, ids: string): CallView;
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
export declare class CallManager {
    private seam;
    private sessionId;
    private view;
    private s;
    private options;
    private call?;
    private startWhenReady?;
    private watchdog?;
    private video;
    private connected;
    remoteTracks: number;
    constructor(seam: Seam, sessionId: () => string | undefined, view: CallView, s: Strings, options: {
        relayOnly: boolean;
        connectTimeoutMs?: number;
        onFailed: () => void;
    });
    /** Whether a call is under way. */
    get active(): boolean;
    /** An upgrade waits for the other side: the area shows `text` and hang-up cancels. */
    ringing(text: string): void;
    /** The upgrade was answered no, cancelled or expired. */
    stopRinging(): void;
    /**
     * The session's mode is now `mode`; `offerTo` is the peer to offer to if
     * this side asked. Back to chat by the other side before the call ever
     * connected counts as a call that could not connect (their side gave up).
     */
    modeChanged(mode: Mode, offerTo?: string, byOtherSide?: boolean): void;
    private toggle;
    private setPressed;
    private showLocal;
    private failed;
    /** Hangs up locally and hides the call area. */
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
export declare function wireTypingIndicator(seam: Seam, sessionId: () => string | undefined, status: HTMLElement, s: {
    typing: string;
}): void;
/**
 * Wires a message box: Enter or the send button posts to the current
 * session; typing sends a typing indicator at most every two seconds, and
 * "stopped" after four idle seconds or with the message.
 */
export declare function wireComposer(seam: Seam, sessionId: () => string | undefined, input: HTMLInputElement, send: HTMLButtonElement, guard: (action: () => Promise<unknown>) => Promise<void>, open?: () => Promise<string>): void;
/** A consent prompt: a question with accept and decline buttons. */
export interface Prompt {
    root: HTMLElement;
    text: HTMLElement;
    accept: HTMLButtonElement;
    decline: HTMLButtonElement;
}
/** Builds a consent prompt (hidden until asked), test ids prefixed with `ids`. */
export declare function prompt(s: Strings, ids: string): Prompt;
/**
 * Wires a consent prompt: accept or decline the pending mode request, then
 * hide the prompt.
 */
export declare function wirePrompt(seam: Seam, sessionId: () => string | undefined, pendingRequest: () => string | undefined, p: Prompt, guard: (action: () => Promise<unknown>) => Promise<void>): void;
/** The page's WebSocket URL for seam (same host, `/ws`). */
export declare function defaultUrl(): string;
/** A token source that asks `url` for a fresh `{ "token": "..." }` each time. */
export declare function tokenFrom(url: string): () => Promise<string>;
