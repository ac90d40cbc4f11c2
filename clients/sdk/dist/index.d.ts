import type { AttachmentUploaded, Availability, CannedResponse, Card, ClientFrame, IceServer, Mode, ModeRecommendation, OfflineMessage, Overview, Principal, QuickReply, Receipt, ServerFrame, SessionOverview, SessionSnapshot, Signal } from "./generated/protocol.js";
export type * from "./generated/protocol.js";
/** A command's success answer. */
export type Ack = Extract<ServerFrame, {
    type: "ack";
}>;
/** A command's failure answer. */
export type ErrorFrame = Extract<ServerFrame, {
    type: "error";
}>;
/** The answer to `hello`. */
export type Welcome = Extract<ServerFrame, {
    type: "welcome";
}>;
/** A stored session event. */
export type SessionEvent = Omit<Extract<ServerFrame, {
    type: "event";
}>, "type">;
/** A command without its id (the SDK assigns one). */
type WithoutId<T> = T extends {
    id: string;
} ? Omit<T, "id"> : never;
export type Command = WithoutId<Exclude<ClientFrame, {
    type: "hello";
}>>;
/** Where tokens come from: a fixed token, or a function fetching a fresh one. */
export type TokenSource = string | (() => Promise<string>);
/** What the SDK needs of a WebSocket class: the browser's, Node 22's, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => WebSocket;
export interface SeamOptions {
    /** The broker's WebSocket URL, e.g. `ws://localhost:8080/ws`. */
    url: string;
    token: TokenSource;
    /** First reconnect delay bound and cap, milliseconds. */
    backoff?: {
        initialMs: number;
        maxMs: number;
    };
    /** How long a command waits for its ack before rejecting. */
    ackTimeoutMs?: number;
    /** The WebSocket class to use; default: the runtime's global `WebSocket`. */
    webSocket?: WebSocketConstructor;
}
/** A command the broker refused (or that could not be sent). */
export declare class SeamError extends Error {
    code: string;
    frame?: ErrorFrame | undefined;
    constructor(code: string, message: string, frame?: ErrorFrame | undefined);
}
/** Everything a connection reports, by name. */
export interface SeamEvents {
    connected: {
        welcome: Welcome;
        reconnected: boolean;
    };
    event: SessionEvent;
    typing: {
        session_id: string;
        from: Principal;
        active: boolean;
    };
    /** Live routing stats, every few seconds after `subscribeStats`. */
    stats: {
        at: number;
        overview: Overview;
    };
    /** A participant's delivery and read horizons moved (yours too, from another tab). */
    receipt: {
        session_id: string;
    } & Receipt;
    signal: {
        session_id: string;
        from: Principal;
        from_connection: string;
        signal: Signal;
    };
    ice_servers: {
        session_id: string;
        ice_servers: IceServer[];
        expires_at?: number | null;
    };
    offer: Extract<ServerFrame, {
        type: "offer";
    }>;
    offer_revoked: {
        offer_id: string;
        reason: string;
    };
    queue_status: {
        session_id: string;
        queue: string;
        position: number;
        estimated_wait_ms: number;
    };
    invitation: Extract<ServerFrame, {
        type: "invitation";
    }>;
    rating_requested: {
        session_id: string;
    };
    resumed: {
        session_id: string;
        status: string;
    };
    disconnected: {
        code?: number;
        reason: string;
        willReconnect: boolean;
    };
    error: ErrorFrame;
}
/** How often `report` sends a session's receipt at most, milliseconds. */
export declare const REPORT_EVERY_MS = 250;
/** A connection to seam. */
export declare class Seam {
    private options;
    private ws?;
    private pending;
    private sessions;
    private listeners;
    private reports;
    private counter;
    private readonly prefix;
    private attempt;
    private closed;
    private connectedOnce;
    /** The broker's welcome on the current connection. */
    welcome?: Welcome;
    /** The latest ICE servers per session. */
    readonly iceServers: Map<string, IceServer[]>;
    private constructor();
    /** Connects and authenticates; rejects if the first attempt fails. */
    static connect(options: SeamOptions): Promise<Seam>;
    /** Subscribes to an event; returns the unsubscribe function. */
    on<K extends keyof SeamEvents>(kind: K, listener: (value: SeamEvents[K]) => void): () => void;
    private emit;
    private token;
    private open;
    private lost;
    /** Re-attaches every session from its last seq, then resends what was never acknowledged. */
    private afterConnect;
    private nextId;
    private handle;
    /** Sends a command; resolves with the broker's ack. Resent under the same id after a reconnect. */
    send(command: Command): Promise<Ack>;
    /**
     * Customer: attaches to the open session if there is one (its history
     * follows as events), without ever creating one; `undefined` when there
     * is none.
     */
    existingSession(): Promise<SessionSnapshot | undefined>;
    /** Customer: opens (or gets back) the session; its history follows as events. */
    openSession(context?: Record<string, unknown>): Promise<SessionSnapshot>;
    /** Agents, bots, supervisors: the open sessions they take part in now. */
    mySessions(): Promise<SessionOverview[]>;
    /**
     * Customers: whether someone can answer now (the queue's opening hours,
     * agents on duty, expected wait). When `offline(availability)`, offer to
     * leave a message instead of waiting.
     */
    availability(issueType?: string): Promise<Availability>;
    /** Supervisors and services: the routing overview now; `stats` events bring it again every few seconds. */
    subscribeStats(): Promise<Overview>;
    /** Agents and supervisors: the latest messages customers left for an email answer, newest first. */
    offlineMessages(): Promise<OfflineMessage[]>;
    /** Customers: leaves a message to be answered by email; resolves with its ack (`session_id`, `seq`). */
    leaveMessage(text: string, email: string, context?: Record<string, unknown>): Promise<Ack>;
    /** The broker's HTTP address, from its WebSocket URL (`ws://h/ws` → `http://h`). */
    httpBase(): string;
    /** An HTTP request to the broker with this connection's token; a refusal rejects with its code. */
    private http;
    /**
     * Attaches a file (a browser `File` or `Blob`, or bytes) to a session,
     * over HTTP with this connection's token. The broker recognises its type
     * from its bytes; the `attachment` event follows on the connection.
     */
    upload(sessionId: string, file: Blob | ArrayBuffer | Uint8Array, name: string): Promise<AttachmentUploaded>;
    /** A short-lived URL to an attachment's bytes (usable as a link or an `<img src>`). */
    attachmentUrl(sessionId: string, attachmentId: string): Promise<string>;
    /** Agents, bots, supervisors: the saved replies configured on the broker. */
    cannedResponses(): Promise<CannedResponse[]>;
    /** Joins a session; its history follows as events. */
    join(sessionId: string): Promise<SessionSnapshot>;
    /**
     * Posts a message. Agents and bots may add `quick_replies` (buttons the
     * customer answers with) and a `card`.
     */
    message(sessionId: string, text: string, extras?: {
        quick_replies?: QuickReply[];
        card?: Card;
    }): Promise<Ack>;
    /** Customers: answers quick reply `reply` of message `seq` (its label as the text). */
    choose(sessionId: string, seq: number, reply: QuickReply): Promise<Ack>;
    /** Edits one of your own messages (within the broker's `limits.edit_window_secs`). */
    editMessage(sessionId: string, seq: number, text: string): Promise<Ack>;
    /** Deletes one of your own messages (within the broker's `limits.edit_window_secs`). */
    deleteMessage(sessionId: string, seq: number): Promise<Ack>;
    typing(sessionId: string, active: boolean): Promise<Ack>;
    /**
     * Reports delivery and reading at once: every event up to `delivered`
     * reached this device, the person has seen every event up to `read`.
     * See `report` for the batched form clients normally use.
     */
    receipt(sessionId: string, horizons: {
        delivered?: number;
        read?: number;
    }): Promise<Ack>;
    /**
     * Notes delivery and reading, sent as one `receipt` per session at most
     * every `REPORT_EVERY_MS` (only when a horizon moved past what was
     * sent): call it for every event shown, and with `read` when the person
     * can see the conversation.
     */
    report(sessionId: string, horizons: {
        delivered?: number;
        read?: number;
    }): void;
    /** Asks the other side for voice or video; resolves with the request id. */
    /**
     * The mode to offer first for the session ("talk to an agent"), learned from how sessions about
     * the same issue type ended: `mode`, its `probability`, and every available mode in `choices`,
     * most likely first, with its evidence. Asking again while nothing changed answers the same.
     */
    recommendMode(sessionId: string): Promise<ModeRecommendation>;
    requestMode(sessionId: string, mode: Mode, reason?: string): Promise<string>;
    answerMode(sessionId: string, requestId: string, accept: boolean): Promise<Ack>;
    /** Downgrades (no consent needed); `chat` hangs up. */
    setMode(sessionId: string, mode: Mode, reason?: string): Promise<Ack>;
    signal(sessionId: string, to: {
        sub: string;
        connection_id?: string;
    }, signal: Signal): Promise<Ack>;
    endSession(sessionId: string, reason?: string): Promise<Ack>;
    rate(sessionId: string, score: number, comment?: string): Promise<Ack>;
    /** Closes for good. */
    close(): void;
}
/**
 * Whether nobody can answer now: the queue is closed, or nobody is on duty
 * for it. Without routing (no `queue`) duty is not known: never offline.
 */
export declare function offline(availability: Availability): boolean;
/**
 * A saved reply's text with its placeholders filled from the session:
 * `{name}` (the customer's name, else their sub), `{agent}` (the agent's
 * name), `{issue_type}`, `{page}`, and any context metadata key (signed
 * `metadata` first, then `customer_provided`). Placeholders without a value
 * are left as written, for the agent to fill in.
 */
export declare function fillCanned(text: string, session: SessionSnapshot, agent?: Principal): string;
export interface CallOptions {
    /** Send video as well as audio. */
    video: boolean;
    /** Only relay candidates (through TURN). */
    relayOnly?: boolean;
    /** Called with every remote track. */
    onTrack?: (stream: MediaStream, track: MediaStreamTrack) => void;
    /**
     * Called as the peer connection's state changes; also with `failed` when
     * ICE gathering ends without a single local candidate after errors (a
     * TURN server refusing the credentials with relay-only ICE).
     */
    onState?: (state: RTCPeerConnectionState) => void;
}
/**
 * One WebRTC call between this client and one peer of a session, with its
 * signaling going through seam. The side that asked for the upgrade calls
 * `start(peer)`; the other side answers automatically when the offer comes.
 */
export declare class Call {
    private seam;
    private sessionId;
    private options;
    private pc?;
    private local?;
    private peer?;
    private early;
    private unsubscribe;
    constructor(seam: Seam, sessionId: string, options: CallOptions);
    /** The local media stream, once started. */
    get localStream(): MediaStream | undefined;
    private connection;
    /** Offers to `peerSub` (all of its connections until one answers). */
    start(peerSub: string): Promise<void>;
    private onSignal;
    private flushCandidates;
    /** Turns the local microphone (`audio`) or camera (`video`) on or off; false if there is none. */
    setEnabled(kind: "audio" | "video", enabled: boolean): boolean;
    /** Stops the media and the peer connection. */
    close(): void;
}
