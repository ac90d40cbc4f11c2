// @seam/sdk: one connection to a seam broker, typed events, commands that
// resolve on the broker's ack, reconnect with backoff and resume from the
// last sequence number (nothing missed, nothing twice), and a WebRTC helper
// wired to seam's signaling and ICE servers. Browsers, and Node 22+ (or any
// runtime with a WebSocket, given as `webSocket`).

import type {
  AttachmentUploaded,
  AttachmentLink,
  Availability,
  CannedResponse,
  Card,
  ClientFrame,
  IceServer,
  Mode,
  ModeRecommendation,
  OfflineMessage,
  Overview,
  Principal,
  QuickReply,
  Receipt,
  ServerFrame,
  SessionOverview,
  SessionSnapshot,
  Signal,
} from "./generated/protocol.js";

export type * from "./generated/protocol.js";

/** A command's success answer. */
export type Ack = Extract<ServerFrame, { type: "ack" }>;
/** A command's failure answer. */
export type ErrorFrame = Extract<ServerFrame, { type: "error" }>;
/** The answer to `hello`. */
export type Welcome = Extract<ServerFrame, { type: "welcome" }>;
/** A stored session event. */
export type SessionEvent = Omit<Extract<ServerFrame, { type: "event" }>, "type">;

/** A command without its id (the SDK assigns one). */
type WithoutId<T> = T extends { id: string } ? Omit<T, "id"> : never;
export type Command = WithoutId<Exclude<ClientFrame, { type: "hello" }>>;

/** Where tokens come from: a fixed token, or a function fetching a fresh one. */
export type TokenSource = string | (() => Promise<string>);

/** What the SDK needs of a WebSocket class: the browser's, Node 22's, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface SeamOptions {
  /** The broker's WebSocket URL, e.g. `ws://localhost:8080/ws`. */
  url: string;
  token: TokenSource;
  /** First reconnect delay bound and cap, milliseconds. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a command waits for its ack before rejecting. */
  ackTimeoutMs?: number;
  /** The WebSocket class to use; default: the runtime's global `WebSocket`. */
  webSocket?: WebSocketConstructor;
}

/** A command the broker refused (or that could not be sent). */
export class SeamError extends Error {
  constructor(public code: string, message: string, public frame?: ErrorFrame) {
    super(`${code}: ${message}`);
  }
}

/** Everything a connection reports, by name. */
export interface SeamEvents {
  connected: { welcome: Welcome; reconnected: boolean };
  event: SessionEvent;
  typing: { session_id: string; from: Principal; active: boolean };
  /** Live routing stats, every few seconds after `subscribeStats`. */
  stats: { at: number; overview: Overview };
  /** A participant's delivery and read horizons moved (yours too, from another tab). */
  receipt: { session_id: string } & Receipt;
  signal: { session_id: string; from: Principal; from_connection: string; signal: Signal };
  ice_servers: { session_id: string; ice_servers: IceServer[]; expires_at?: number | null };
  offer: Extract<ServerFrame, { type: "offer" }>;
  offer_revoked: { offer_id: string; reason: string };
  queue_status: { session_id: string; queue: string; position: number; estimated_wait_ms: number };
  invitation: Extract<ServerFrame, { type: "invitation" }>;
  rating_requested: { session_id: string };
  resumed: { session_id: string; status: string };
  disconnected: { code?: number; reason: string; willReconnect: boolean };
  error: ErrorFrame;
}

interface Pending {
  id: string;
  text: string;
  resolve: (ack: Ack) => void;
  reject: (e: Error) => void;
  internal?: "resume";
}

/** How often `report` sends a session's receipt at most, milliseconds. */
export const REPORT_EVERY_MS = 250;

/** What `report` has noted and sent for one session. */
interface Report {
  delivered: number;
  read: number;
  sentDelivered: number;
  sentRead: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Codes after which reconnecting cannot help. */
const FATAL = new Set([1000, 4000, 4002, 4004]);

/** `WebSocket.OPEN`, without needing a global `WebSocket`. */
const OPEN = 1;

/** A connection to seam. */
export class Seam {
  private ws?: WebSocket;
  private pending = new Map<string, Pending>();
  private sessions = new Map<string, { epoch: string; lastSeq: number }>();
  private listeners = new Map<string, Set<(value: never) => void>>();
  private reports = new Map<string, Report>();
  private counter = 0;
  private readonly prefix = Math.random().toString(16).slice(2, 10);
  private attempt = 0;
  private closed = false;
  private connectedOnce = false;
  /** The broker's welcome on the current connection. */
  welcome?: Welcome;
  /** The latest ICE servers per session. */
  readonly iceServers = new Map<string, IceServer[]>();

  private constructor(private options: SeamOptions) {}

  /** Connects and authenticates; rejects if the first attempt fails. */
  static async connect(options: SeamOptions): Promise<Seam> {
    const seam = new Seam(options);
    await seam.open();
    return seam;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof SeamEvents>(kind: K, listener: (value: SeamEvents[K]) => void): () => void {
    const set = this.listeners.get(kind) ?? new Set();
    set.add(listener as (value: never) => void);
    this.listeners.set(kind, set);
    return () => set.delete(listener as (value: never) => void);
  }

  private emit<K extends keyof SeamEvents>(kind: K, value: SeamEvents[K]): void {
    for (const listener of this.listeners.get(kind) ?? []) {
      (listener as (value: SeamEvents[K]) => void)(value);
    }
  }

  private async token(): Promise<string> {
    const source = this.options.token;
    return typeof source === "string" ? source : source();
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.token().then((token) => {
        const WebSocketClass = this.options.webSocket ?? globalThis.WebSocket;
        if (!WebSocketClass) {
          reject(new SeamError("no_websocket", "this runtime has no WebSocket: pass options.webSocket (e.g. the ws package)"));
          return;
        }
        const ws = new WebSocketClass(this.options.url);
        this.ws = ws;
        let welcomed = false;
        ws.onopen = () => ws.send(JSON.stringify({ type: "hello", versions: [1], token } satisfies ClientFrame));
        ws.onmessage = (message) => {
          const frame = JSON.parse(String(message.data)) as ServerFrame;
          if (!welcomed) {
            if (frame.type === "welcome") {
              welcomed = true;
              this.welcome = frame;
              this.attempt = 0;
              this.emit("connected", { welcome: frame, reconnected: this.connectedOnce });
              this.connectedOnce = true;
              this.afterConnect();
              resolve();
            }
            return;
          }
          this.handle(frame);
        };
        ws.onclose = (event) => {
          if (!welcomed) {
            reject(new SeamError(`close_${event.code}`, event.reason || "connection failed"));
          }
          if (welcomed || this.connectedOnce) {
            this.lost(event.code, event.reason);
          }
        };
      }, reject);
    });
  }

  private lost(code: number, reason: string): void {
    this.ws = undefined;
    const willReconnect = !this.closed && !FATAL.has(code) && !(code === 4003 && typeof this.options.token === "string");
    this.emit("disconnected", { code, reason, willReconnect });
    if (!willReconnect) {
      for (const p of this.pending.values()) p.reject(new SeamError("closed", reason || `closed (${code})`));
      this.pending.clear();
      return;
    }
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    const cap = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 16));
    this.attempt += 1;
    setTimeout(() => {
      if (!this.closed) this.open().catch(() => this.lost(1006, "reconnect failed"));
    }, Math.random() * cap);
  }

  /** Re-attaches every session from its last seq, then resends what was never acknowledged. */
  private afterConnect(): void {
    for (const [id, p] of this.pending) {
      if (p.internal === "resume") this.pending.delete(id);
    }
    const resend = [...this.pending.values()];
    for (const [sessionId, tracked] of this.sessions) {
      const id = this.nextId("r");
      const frame: ClientFrame = { type: "join", id, session_id: sessionId, after_seq: tracked.lastSeq, epoch: tracked.epoch };
      this.pending.set(id, { id, text: JSON.stringify(frame), resolve: () => {}, reject: () => {}, internal: "resume" });
      this.ws?.send(JSON.stringify(frame));
    }
    for (const p of resend) this.ws?.send(p.text);
  }

  private nextId(kind = "c"): string {
    this.counter += 1;
    return `${this.prefix}-${kind}${this.counter}`;
  }

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case "ack": {
        const p = this.pending.get(frame.id);
        if (!p) return;
        this.pending.delete(frame.id);
        if (frame.session) {
          const tracked = this.sessions.get(frame.session.session_id);
          const reset = frame.resume?.status === "reset";
          if (!tracked || reset || tracked.epoch !== frame.session.epoch) {
            this.sessions.set(frame.session.session_id, { epoch: frame.session.epoch, lastSeq: 0 });
          }
        }
        if (p.internal === "resume" && frame.session_id && frame.resume) {
          this.emit("resumed", { session_id: frame.session_id, status: frame.resume.status });
        }
        p.resolve(frame);
        return;
      }
      case "error": {
        const p = frame.id ? this.pending.get(frame.id) : undefined;
        if (!p) {
          this.emit("error", frame);
          return;
        }
        if (frame.code === "rate_limited" || frame.code === "unavailable") {
          setTimeout(() => this.ws?.send(p.text), frame.retry_after_ms ?? 100);
          return;
        }
        this.pending.delete(p.id);
        if (p.internal) this.emit("error", frame);
        p.reject(new SeamError(frame.code, frame.message, frame));
        return;
      }
      case "event": {
        const tracked = this.sessions.get(frame.session_id);
        if (tracked) {
          if (frame.seq <= tracked.lastSeq) return;
          tracked.lastSeq = frame.seq;
        }
        const { type: _type, ...event } = frame;
        this.emit("event", event as SessionEvent);
        return;
      }
      case "ice_servers":
        this.iceServers.set(frame.session_id, frame.ice_servers);
        this.emit("ice_servers", frame);
        return;
      case "typing":
      case "receipt":
      case "stats":
      case "signal":
      case "offer":
      case "offer_revoked":
      case "queue_status":
      case "invitation":
      case "rating_requested":
        this.emit(frame.type, frame as never);
        return;
      case "token_expiring":
        if (typeof this.options.token !== "string") {
          this.token().then((token) => this.send({ type: "refresh_token", token })).catch(() => {});
        }
        return;
      case "welcome":
        return;
    }
  }

  /** Sends a command; resolves with the broker's ack. Resent under the same id after a reconnect. */
  send(command: Command): Promise<Ack> {
    const id = this.nextId();
    const text = JSON.stringify({ ...command, id });
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SeamError("timeout", "no acknowledgement in time"));
      }, this.options.ackTimeoutMs ?? 30_000);
      this.pending.set(id, {
        id,
        text,
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (this.ws?.readyState === OPEN) this.ws.send(text);
    });
  }

  /**
   * Customer: attaches to the open session if there is one (its history
   * follows as events), without ever creating one; `undefined` when there
   * is none.
   */
  async existingSession(): Promise<SessionSnapshot | undefined> {
    try {
      const ack = await this.send({ type: "open_session", existing_only: true });
      return ack.session as SessionSnapshot;
    } catch (e) {
      if (e instanceof SeamError && e.code === "session_not_found") return undefined;
      throw e;
    }
  }

  /** Customer: opens (or gets back) the session; its history follows as events. */
  async openSession(context?: Record<string, unknown>): Promise<SessionSnapshot> {
    const ack = await this.send({ type: "open_session", context: context ?? null });
    return ack.session as SessionSnapshot;
  }

  /** Agents, bots, supervisors: the open sessions they take part in now. */
  async mySessions(): Promise<SessionOverview[]> {
    const ack = await this.send({ type: "my_sessions" });
    return (ack.sessions ?? []) as SessionOverview[];
  }

  /**
   * Customers: whether someone can answer now (the queue's opening hours,
   * agents on duty, expected wait). When `offline(availability)`, offer to
   * leave a message instead of waiting.
   */
  async availability(issueType?: string): Promise<Availability> {
    const ack = await this.send({ type: "availability", issue_type: issueType ?? null });
    return ack.availability as Availability;
  }

  /** Supervisors and services: the routing overview now; `stats` events bring it again every few seconds. */
  async subscribeStats(): Promise<Overview> {
    const ack = await this.send({ type: "subscribe_stats" });
    return ack.overview as Overview;
  }

  /** Agents and supervisors: the latest messages customers left for an email answer, newest first. */
  async offlineMessages(): Promise<OfflineMessage[]> {
    const ack = await this.send({ type: "offline_messages" });
    return (ack.offline_messages ?? []) as OfflineMessage[];
  }

  /** Customers: leaves a message to be answered by email; resolves with its ack (`session_id`, `seq`). */
  leaveMessage(text: string, email: string, context?: Record<string, unknown>): Promise<Ack> {
    return this.send({ type: "leave_message", text, email, context: context ?? null });
  }

  /** The broker's HTTP address, from its WebSocket URL (`ws://h/ws` → `http://h`). */
  httpBase(): string {
    const url = new URL(this.options.url);
    url.protocol = url.protocol === "wss:" ? "https:" : "http:";
    return `${url.origin}${url.pathname.replace(/\/ws\/?$/, "").replace(/\/$/, "")}`;
  }

  /** An HTTP request to the broker with this connection's token; a refusal rejects with its code. */
  private async http(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${await this.token()}`);
    const response = await fetch(`${this.httpBase()}${path}`, { ...init, headers });
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      throw new SeamError(body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? response.statusText);
    }
    return response;
  }

  /**
   * Attaches a file (a browser `File` or `Blob`, or bytes) to a session,
   * over HTTP with this connection's token. The broker recognises its type
   * from its bytes; the `attachment` event follows on the connection.
   */
  async upload(sessionId: string, file: Blob | ArrayBuffer | Uint8Array, name: string): Promise<AttachmentUploaded> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/attachments?name=${encodeURIComponent(name)}`;
    const response = await this.http(path, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "idempotency-key": this.nextId() },
      body: file as BodyInit,
    });
    return (await response.json()) as AttachmentUploaded;
  }

  /** A short-lived URL to an attachment's bytes (usable as a link or an `<img src>`). */
  async attachmentUrl(sessionId: string, attachmentId: string): Promise<string> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/attachments/${encodeURIComponent(attachmentId)}`;
    const link = (await (await this.http(path)).json()) as AttachmentLink;
    return `${this.httpBase()}${link.url}`;
  }

  /** Agents, bots, supervisors: the saved replies configured on the broker. */
  async cannedResponses(): Promise<CannedResponse[]> {
    const ack = await this.send({ type: "canned_responses" });
    return (ack.canned_responses ?? []) as CannedResponse[];
  }

  /** Joins a session; its history follows as events. */
  async join(sessionId: string): Promise<SessionSnapshot> {
    const ack = await this.send({ type: "join", session_id: sessionId });
    return ack.session as SessionSnapshot;
  }

  /**
   * Posts a message. Agents and bots may add `quick_replies` (buttons the
   * customer answers with) and a `card`.
   */
  message(
    sessionId: string,
    text: string,
    extras: { quick_replies?: QuickReply[]; card?: Card } = {},
  ): Promise<Ack> {
    return this.send({ type: "message", session_id: sessionId, text, ...extras });
  }

  /** Customers: answers quick reply `reply` of message `seq` (its label as the text). */
  choose(sessionId: string, seq: number, reply: QuickReply): Promise<Ack> {
    return this.send({ type: "message", session_id: sessionId, text: reply.label, choice: { seq, id: reply.id } });
  }

  /** Edits one of your own messages (within the broker's `limits.edit_window_secs`). */
  editMessage(sessionId: string, seq: number, text: string): Promise<Ack> {
    return this.send({ type: "edit_message", session_id: sessionId, seq, text });
  }

  /** Deletes one of your own messages (within the broker's `limits.edit_window_secs`). */
  deleteMessage(sessionId: string, seq: number): Promise<Ack> {
    return this.send({ type: "delete_message", session_id: sessionId, seq });
  }

  typing(sessionId: string, active: boolean): Promise<Ack> {
    return this.send({ type: "typing", session_id: sessionId, active });
  }

  /**
   * Reports delivery and reading at once: every event up to `delivered`
   * reached this device, the person has seen every event up to `read`.
   * See `report` for the batched form clients normally use.
   */
  receipt(sessionId: string, horizons: { delivered?: number; read?: number }): Promise<Ack> {
    return this.send({
      type: "receipt",
      session_id: sessionId,
      delivered_seq: horizons.delivered ?? null,
      read_seq: horizons.read ?? null,
    });
  }

  /**
   * Notes delivery and reading, sent as one `receipt` per session at most
   * every `REPORT_EVERY_MS` (only when a horizon moved past what was
   * sent): call it for every event shown, and with `read` when the person
   * can see the conversation.
   */
  report(sessionId: string, horizons: { delivered?: number; read?: number }): void {
    const r = this.reports.get(sessionId) ?? { delivered: 0, read: 0, sentDelivered: 0, sentRead: 0 };
    this.reports.set(sessionId, r);
    r.read = Math.max(r.read, horizons.read ?? 0);
    r.delivered = Math.max(r.delivered, horizons.delivered ?? 0, r.read);
    const moved = () => r.delivered > r.sentDelivered || r.read > r.sentRead;
    if (r.timer !== undefined || !moved()) return;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (!moved()) return;
      r.sentDelivered = r.delivered;
      r.sentRead = r.read;
      this.receipt(sessionId, { delivered: r.delivered, read: r.read }).catch(() => {
        // Sent again with the next report.
        r.sentDelivered = 0;
        r.sentRead = 0;
      });
    }, REPORT_EVERY_MS);
  }

  /** Asks the other side for voice or video; resolves with the request id. */
  /**
   * The mode to offer first for the session ("talk to an agent"), learned from how sessions about
   * the same issue type ended: `mode`, its `probability`, and every available mode in `choices`,
   * most likely first, with its evidence. Asking again while nothing changed answers the same.
   */
  async recommendMode(sessionId: string): Promise<ModeRecommendation> {
    const ack = await this.send({ type: "recommend_mode", session_id: sessionId });
    return ack.recommendation as ModeRecommendation;
  }

  async requestMode(sessionId: string, mode: Mode, reason?: string): Promise<string> {
    const ack = await this.send({ type: "request_mode", session_id: sessionId, mode, reason: reason ?? null });
    return ack.request_id as string;
  }

  answerMode(sessionId: string, requestId: string, accept: boolean): Promise<Ack> {
    return this.send({ type: "answer_mode", session_id: sessionId, request_id: requestId, accept });
  }

  /** Downgrades (no consent needed); `chat` hangs up. */
  setMode(sessionId: string, mode: Mode, reason?: string): Promise<Ack> {
    return this.send({ type: "set_mode", session_id: sessionId, mode, reason: reason ?? null });
  }

  signal(sessionId: string, to: { sub: string; connection_id?: string }, signal: Signal): Promise<Ack> {
    return this.send({ type: "signal", session_id: sessionId, to, signal });
  }

  endSession(sessionId: string, reason?: string): Promise<Ack> {
    return this.send({ type: "end_session", session_id: sessionId, reason: reason ?? null });
  }

  rate(sessionId: string, score: number, comment?: string): Promise<Ack> {
    return this.send({ type: "rate_session", session_id: sessionId, score, comment: comment ?? null });
  }

  /** Closes for good. */
  close(): void {
    this.closed = true;
    for (const r of this.reports.values()) clearTimeout(r.timer);
    this.ws?.close(1000);
  }
}

/**
 * Whether nobody can answer now: the queue is closed, or nobody is on duty
 * for it. Without routing (no `queue`) duty is not known: never offline.
 */
export function offline(availability: Availability): boolean {
  return !availability.open || (availability.queue != null && availability.agents_online === 0);
}

/**
 * A saved reply's text with its placeholders filled from the session:
 * `{name}` (the customer's name, else their sub), `{agent}` (the agent's
 * name), `{issue_type}`, `{page}`, and any context metadata key (signed
 * `metadata` first, then `customer_provided`). Placeholders without a value
 * are left as written, for the agent to fill in.
 */
export function fillCanned(text: string, session: SessionSnapshot, agent?: Principal): string {
  const context = (session.context ?? {}) as {
    issue_type?: string | null;
    page?: string | null;
    metadata?: Record<string, unknown>;
    customer_provided?: Record<string, unknown>;
  };
  const values: Record<string, unknown> = {
    ...(context.customer_provided ?? {}),
    ...(context.metadata ?? {}),
    issue_type: context.issue_type,
    page: context.page,
    name: session.customer.name ?? session.customer.sub,
    agent: agent ? agent.name ?? agent.sub : undefined,
  };
  return text.replace(/\{([A-Za-z0-9_.-]+)\}/g, (whole, key: string) => {
    const value = values[key];
    return value === undefined || value === null || value === "" ? whole : String(value);
  });
}

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
export class Call {
  private pc?: RTCPeerConnection;
  private local?: MediaStream;
  private peer?: { sub: string; connection_id?: string };
  private early: RTCIceCandidateInit[] = [];
  private unsubscribe: () => void;

  constructor(private seam: Seam, private sessionId: string, private options: CallOptions) {
    this.unsubscribe = seam.on("signal", (s) => {
      if (s.session_id === this.sessionId) void this.onSignal(s.from.sub, s.from_connection, s.signal);
    });
  }

  /** The local media stream, once started. */
  get localStream(): MediaStream | undefined {
    return this.local;
  }

  private async connection(): Promise<RTCPeerConnection> {
    if (this.pc) return this.pc;
    const iceServers = (this.seam.iceServers.get(this.sessionId) ?? []).map((s) => ({
      urls: s.urls,
      username: s.username ?? undefined,
      credential: s.credential ?? undefined,
    }));
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: this.options.relayOnly ? "relay" : "all" });
    this.pc = pc;
    this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: this.options.video });
    for (const track of this.local.getTracks()) pc.addTrack(track, this.local);
    pc.onicecandidate = (e) => {
      if (e.candidate && this.peer) {
        const c = e.candidate.toJSON();
        void this.seam.signal(this.sessionId, this.peer, {
          kind: "ice_candidate",
          candidate: c.candidate ?? "",
          sdp_mid: c.sdpMid ?? null,
          sdp_m_line_index: c.sdpMLineIndex ?? null,
        });
      }
    };
    pc.ontrack = (e) => this.options.onTrack?.(e.streams[0] ?? new MediaStream([e.track]), e.track);
    pc.onconnectionstatechange = () => this.options.onState?.(pc.connectionState);
    let gathered = 0;
    let gatheringErrors = 0;
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate) gathered += 1;
    });
    pc.onicecandidateerror = () => {
      gatheringErrors += 1;
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === "complete" && gathered === 0 && gatheringErrors > 0) {
        this.options.onState?.("failed");
      }
    };
    return pc;
  }

  /** Offers to `peerSub` (all of its connections until one answers). */
  async start(peerSub: string): Promise<void> {
    this.peer = { sub: peerSub };
    const pc = await this.connection();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await this.seam.signal(this.sessionId, this.peer, { kind: "offer", sdp: offer.sdp ?? "" });
  }

  private async onSignal(from: string, connection: string, signal: Signal): Promise<void> {
    this.peer = { sub: from, connection_id: connection };
    if (signal.kind === "offer") {
      const pc = await this.connection();
      await pc.setRemoteDescription({ type: "offer", sdp: signal.sdp });
      await this.flushCandidates();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await this.seam.signal(this.sessionId, this.peer, { kind: "answer", sdp: answer.sdp ?? "" });
    } else if (signal.kind === "answer") {
      await this.pc?.setRemoteDescription({ type: "answer", sdp: signal.sdp });
      await this.flushCandidates();
    } else if (signal.kind === "ice_candidate") {
      const candidate = { candidate: signal.candidate, sdpMid: signal.sdp_mid ?? null, sdpMLineIndex: signal.sdp_m_line_index ?? null };
      if (this.pc?.remoteDescription) await this.pc.addIceCandidate(candidate);
      else this.early.push(candidate);
    } else if (signal.kind === "hangup") {
      this.close();
    }
  }

  private async flushCandidates(): Promise<void> {
    for (const c of this.early.splice(0)) await this.pc?.addIceCandidate(c);
  }

  /** Turns the local microphone (`audio`) or camera (`video`) on or off; false if there is none. */
  setEnabled(kind: "audio" | "video", enabled: boolean): boolean {
    const tracks = this.local?.getTracks().filter((t) => t.kind === kind) ?? [];
    for (const t of tracks) t.enabled = enabled;
    return tracks.length > 0;
  }

  /** Stops the media and the peer connection. */
  close(): void {
    this.unsubscribe();
    this.local?.getTracks().forEach((t) => t.stop());
    this.pc?.close();
    this.pc = undefined;
  }
}
