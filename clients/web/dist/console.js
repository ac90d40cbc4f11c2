// ../sdk/dist/index.js
var SeamError = class extends Error {
  constructor(code, message, frame) {
    super(`${code}: ${message}`);
    this.code = code;
    this.frame = frame;
  }
};
var REPORT_EVERY_MS = 250;
var FATAL = /* @__PURE__ */ new Set([1e3, 4e3, 4002, 4004]);
var OPEN = 1;
var Seam = class _Seam {
  constructor(options) {
    this.options = options;
    this.pending = /* @__PURE__ */ new Map();
    this.sessions = /* @__PURE__ */ new Map();
    this.listeners = /* @__PURE__ */ new Map();
    this.reports = /* @__PURE__ */ new Map();
    this.counter = 0;
    this.prefix = Math.random().toString(16).slice(2, 10);
    this.attempt = 0;
    this.closed = false;
    this.connectedOnce = false;
    this.iceServers = /* @__PURE__ */ new Map();
  }
  /** Connects and authenticates; rejects if the first attempt fails. */
  static async connect(options) {
    const seam = new _Seam(options);
    await seam.open();
    return seam;
  }
  /** Subscribes to an event; returns the unsubscribe function. */
  on(kind, listener) {
    const set = this.listeners.get(kind) ?? /* @__PURE__ */ new Set();
    set.add(listener);
    this.listeners.set(kind, set);
    return () => set.delete(listener);
  }
  emit(kind, value) {
    for (const listener of this.listeners.get(kind) ?? []) {
      listener(value);
    }
  }
  async token() {
    const source = this.options.token;
    return typeof source === "string" ? source : source();
  }
  open() {
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
        ws.onopen = () => ws.send(JSON.stringify({ type: "hello", versions: [1], token }));
        ws.onmessage = (message) => {
          const frame = JSON.parse(String(message.data));
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
  lost(code, reason) {
    this.ws = void 0;
    const willReconnect = !this.closed && !FATAL.has(code) && !(code === 4003 && typeof this.options.token === "string");
    this.emit("disconnected", { code, reason, willReconnect });
    if (!willReconnect) {
      for (const p of this.pending.values())
        p.reject(new SeamError("closed", reason || `closed (${code})`));
      this.pending.clear();
      return;
    }
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 200, maxMs: 1e4 };
    const cap = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 16));
    this.attempt += 1;
    setTimeout(() => {
      if (!this.closed)
        this.open().catch(() => this.lost(1006, "reconnect failed"));
    }, Math.random() * cap);
  }
  /** Re-attaches every session from its last seq, then resends what was never acknowledged. */
  afterConnect() {
    for (const [id, p] of this.pending) {
      if (p.internal === "resume")
        this.pending.delete(id);
    }
    const resend = [...this.pending.values()];
    for (const [sessionId, tracked] of this.sessions) {
      const id = this.nextId("r");
      const frame = { type: "join", id, session_id: sessionId, after_seq: tracked.lastSeq, epoch: tracked.epoch };
      this.pending.set(id, { id, text: JSON.stringify(frame), resolve: () => {
      }, reject: () => {
      }, internal: "resume" });
      this.ws?.send(JSON.stringify(frame));
    }
    for (const p of resend)
      this.ws?.send(p.text);
  }
  nextId(kind = "c") {
    this.counter += 1;
    return `${this.prefix}-${kind}${this.counter}`;
  }
  handle(frame) {
    switch (frame.type) {
      case "ack": {
        const p = this.pending.get(frame.id);
        if (!p)
          return;
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
        const p = frame.id ? this.pending.get(frame.id) : void 0;
        if (!p) {
          this.emit("error", frame);
          return;
        }
        if (frame.code === "rate_limited" || frame.code === "unavailable") {
          setTimeout(() => this.ws?.send(p.text), frame.retry_after_ms ?? 100);
          return;
        }
        this.pending.delete(p.id);
        if (p.internal)
          this.emit("error", frame);
        p.reject(new SeamError(frame.code, frame.message, frame));
        return;
      }
      case "event": {
        const tracked = this.sessions.get(frame.session_id);
        if (tracked) {
          if (frame.seq <= tracked.lastSeq)
            return;
          tracked.lastSeq = frame.seq;
        }
        const { type: _type, ...event } = frame;
        this.emit("event", event);
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
        this.emit(frame.type, frame);
        return;
      case "token_expiring":
        if (typeof this.options.token !== "string") {
          this.token().then((token) => this.send({ type: "refresh_token", token })).catch(() => {
          });
        }
        return;
      case "welcome":
        return;
    }
  }
  /** Sends a command; resolves with the broker's ack. Resent under the same id after a reconnect. */
  send(command) {
    const id = this.nextId();
    const text = JSON.stringify({ ...command, id });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SeamError("timeout", "no acknowledgement in time"));
      }, this.options.ackTimeoutMs ?? 3e4);
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
        }
      });
      if (this.ws?.readyState === OPEN)
        this.ws.send(text);
    });
  }
  /**
   * Customer: attaches to the open session if there is one (its history
   * follows as events), without ever creating one; `undefined` when there
   * is none.
   */
  async existingSession() {
    try {
      const ack = await this.send({ type: "open_session", existing_only: true });
      return ack.session;
    } catch (e) {
      if (e instanceof SeamError && e.code === "session_not_found")
        return void 0;
      throw e;
    }
  }
  /** Customer: opens (or gets back) the session; its history follows as events. */
  async openSession(context) {
    const ack = await this.send({ type: "open_session", context: context ?? null });
    return ack.session;
  }
  /** Agents, bots, supervisors: the open sessions they take part in now. */
  async mySessions() {
    const ack = await this.send({ type: "my_sessions" });
    return ack.sessions ?? [];
  }
  /**
   * Customers: whether someone can answer now (the queue's opening hours,
   * agents on duty, expected wait). When `offline(availability)`, offer to
   * leave a message instead of waiting.
   */
  async availability(issueType) {
    const ack = await this.send({ type: "availability", issue_type: issueType ?? null });
    return ack.availability;
  }
  /** Supervisors and services: the routing overview now; `stats` events bring it again every few seconds. */
  async subscribeStats() {
    const ack = await this.send({ type: "subscribe_stats" });
    return ack.overview;
  }
  /** Agents and supervisors: the latest messages customers left for an email answer, newest first. */
  async offlineMessages() {
    const ack = await this.send({ type: "offline_messages" });
    return ack.offline_messages ?? [];
  }
  /** Customers: leaves a message to be answered by email; resolves with its ack (`session_id`, `seq`). */
  leaveMessage(text, email, context) {
    return this.send({ type: "leave_message", text, email, context: context ?? null });
  }
  /** The broker's HTTP address, from its WebSocket URL (`ws://h/ws` → `http://h`). */
  httpBase() {
    const url = new URL(this.options.url);
    url.protocol = url.protocol === "wss:" ? "https:" : "http:";
    return `${url.origin}${url.pathname.replace(/\/ws\/?$/, "").replace(/\/$/, "")}`;
  }
  /** An HTTP request to the broker with this connection's token; a refusal rejects with its code. */
  async http(path, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${await this.token()}`);
    const response = await fetch(`${this.httpBase()}${path}`, { ...init, headers });
    if (!response.ok) {
      const body = await response.json().catch(() => void 0);
      throw new SeamError(body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? response.statusText);
    }
    return response;
  }
  /**
   * Attaches a file (a browser `File` or `Blob`, or bytes) to a session,
   * over HTTP with this connection's token. The broker recognises its type
   * from its bytes; the `attachment` event follows on the connection.
   */
  async upload(sessionId, file, name) {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/attachments?name=${encodeURIComponent(name)}`;
    const response = await this.http(path, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "idempotency-key": this.nextId() },
      body: file
    });
    return await response.json();
  }
  /** A short-lived URL to an attachment's bytes (usable as a link or an `<img src>`). */
  async attachmentUrl(sessionId, attachmentId) {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/attachments/${encodeURIComponent(attachmentId)}`;
    const link = await (await this.http(path)).json();
    return `${this.httpBase()}${link.url}`;
  }
  /** Agents, bots, supervisors: the saved replies configured on the broker. */
  async cannedResponses() {
    const ack = await this.send({ type: "canned_responses" });
    return ack.canned_responses ?? [];
  }
  /** Joins a session; its history follows as events. */
  async join(sessionId) {
    const ack = await this.send({ type: "join", session_id: sessionId });
    return ack.session;
  }
  /**
   * Posts a message. Agents and bots may add `quick_replies` (buttons the
   * customer answers with) and a `card`.
   */
  message(sessionId, text, extras = {}) {
    return this.send({ type: "message", session_id: sessionId, text, ...extras });
  }
  /** Customers: answers quick reply `reply` of message `seq` (its label as the text). */
  choose(sessionId, seq, reply) {
    return this.send({ type: "message", session_id: sessionId, text: reply.label, choice: { seq, id: reply.id } });
  }
  /** Edits one of your own messages (within the broker's `limits.edit_window_secs`). */
  editMessage(sessionId, seq, text) {
    return this.send({ type: "edit_message", session_id: sessionId, seq, text });
  }
  /** Deletes one of your own messages (within the broker's `limits.edit_window_secs`). */
  deleteMessage(sessionId, seq) {
    return this.send({ type: "delete_message", session_id: sessionId, seq });
  }
  typing(sessionId, active) {
    return this.send({ type: "typing", session_id: sessionId, active });
  }
  /**
   * Reports delivery and reading at once: every event up to `delivered`
   * reached this device, the person has seen every event up to `read`.
   * See `report` for the batched form clients normally use.
   */
  receipt(sessionId, horizons) {
    return this.send({
      type: "receipt",
      session_id: sessionId,
      delivered_seq: horizons.delivered ?? null,
      read_seq: horizons.read ?? null
    });
  }
  /**
   * Notes delivery and reading, sent as one `receipt` per session at most
   * every `REPORT_EVERY_MS` (only when a horizon moved past what was
   * sent): call it for every event shown, and with `read` when the person
   * can see the conversation.
   */
  report(sessionId, horizons) {
    const r = this.reports.get(sessionId) ?? { delivered: 0, read: 0, sentDelivered: 0, sentRead: 0 };
    this.reports.set(sessionId, r);
    r.read = Math.max(r.read, horizons.read ?? 0);
    r.delivered = Math.max(r.delivered, horizons.delivered ?? 0, r.read);
    const moved = () => r.delivered > r.sentDelivered || r.read > r.sentRead;
    if (r.timer !== void 0 || !moved())
      return;
    r.timer = setTimeout(() => {
      r.timer = void 0;
      if (!moved())
        return;
      r.sentDelivered = r.delivered;
      r.sentRead = r.read;
      this.receipt(sessionId, { delivered: r.delivered, read: r.read }).catch(() => {
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
  async recommendMode(sessionId) {
    const ack = await this.send({ type: "recommend_mode", session_id: sessionId });
    return ack.recommendation;
  }
  async requestMode(sessionId, mode, reason) {
    const ack = await this.send({ type: "request_mode", session_id: sessionId, mode, reason: reason ?? null });
    return ack.request_id;
  }
  answerMode(sessionId, requestId, accept) {
    return this.send({ type: "answer_mode", session_id: sessionId, request_id: requestId, accept });
  }
  /** Downgrades (no consent needed); `chat` hangs up. */
  setMode(sessionId, mode, reason) {
    return this.send({ type: "set_mode", session_id: sessionId, mode, reason: reason ?? null });
  }
  signal(sessionId, to, signal) {
    return this.send({ type: "signal", session_id: sessionId, to, signal });
  }
  endSession(sessionId, reason) {
    return this.send({ type: "end_session", session_id: sessionId, reason: reason ?? null });
  }
  rate(sessionId, score, comment) {
    return this.send({ type: "rate_session", session_id: sessionId, score, comment: comment ?? null });
  }
  /** Closes for good. */
  close() {
    this.closed = true;
    for (const r of this.reports.values())
      clearTimeout(r.timer);
    this.ws?.close(1e3);
  }
};
function fillCanned(text, session, agent) {
  const context = session.context ?? {};
  const values = {
    ...context.customer_provided ?? {},
    ...context.metadata ?? {},
    issue_type: context.issue_type,
    page: context.page,
    name: session.customer.name ?? session.customer.sub,
    agent: agent ? agent.name ?? agent.sub : void 0
  };
  return text.replace(/\{([A-Za-z0-9_.-]+)\}/g, (whole, key) => {
    const value = values[key];
    return value === void 0 || value === null || value === "" ? whole : String(value);
  });
}
var Call = class {
  constructor(seam, sessionId, options) {
    this.seam = seam;
    this.sessionId = sessionId;
    this.options = options;
    this.early = [];
    this.unsubscribe = seam.on("signal", (s) => {
      if (s.session_id === this.sessionId)
        void this.onSignal(s.from.sub, s.from_connection, s.signal);
    });
  }
  /** The local media stream, once started. */
  get localStream() {
    return this.local;
  }
  async connection() {
    if (this.pc)
      return this.pc;
    const iceServers = (this.seam.iceServers.get(this.sessionId) ?? []).map((s) => ({
      urls: s.urls,
      username: s.username ?? void 0,
      credential: s.credential ?? void 0
    }));
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: this.options.relayOnly ? "relay" : "all" });
    this.pc = pc;
    this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: this.options.video });
    for (const track of this.local.getTracks())
      pc.addTrack(track, this.local);
    pc.onicecandidate = (e) => {
      if (e.candidate && this.peer) {
        const c = e.candidate.toJSON();
        void this.seam.signal(this.sessionId, this.peer, {
          kind: "ice_candidate",
          candidate: c.candidate ?? "",
          sdp_mid: c.sdpMid ?? null,
          sdp_m_line_index: c.sdpMLineIndex ?? null
        });
      }
    };
    pc.ontrack = (e) => this.options.onTrack?.(e.streams[0] ?? new MediaStream([e.track]), e.track);
    pc.onconnectionstatechange = () => this.options.onState?.(pc.connectionState);
    let gathered = 0;
    let gatheringErrors = 0;
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate)
        gathered += 1;
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
  async start(peerSub) {
    this.peer = { sub: peerSub };
    const pc = await this.connection();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await this.seam.signal(this.sessionId, this.peer, { kind: "offer", sdp: offer.sdp ?? "" });
  }
  async onSignal(from, connection, signal) {
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
      if (this.pc?.remoteDescription)
        await this.pc.addIceCandidate(candidate);
      else
        this.early.push(candidate);
    } else if (signal.kind === "hangup") {
      this.close();
    }
  }
  async flushCandidates() {
    for (const c of this.early.splice(0))
      await this.pc?.addIceCandidate(c);
  }
  /** Turns the local microphone (`audio`) or camera (`video`) on or off; false if there is none. */
  setEnabled(kind, enabled) {
    const tracks = this.local?.getTracks().filter((t) => t.kind === kind) ?? [];
    for (const t of tracks)
      t.enabled = enabled;
    return tracks.length > 0;
  }
  /** Stops the media and the peer connection. */
  close() {
    this.unsubscribe();
    this.local?.getTracks().forEach((t) => t.stop());
    this.pc?.close();
    this.pc = void 0;
  }
};

// src/strings.ts
var EN = {
  // Widget
  title: "Chat with us",
  openChat: "Open the chat",
  minimise: "Minimise the chat",
  unread: "{count} unread",
  attach: "Attach a file",
  dashboardTitle: "Supervisor dashboard",
  updatedAt: "Updated {time}",
  queuesTitle: "Queues",
  queueCol: "Queue",
  waitingCol: "Waiting",
  longestWaitCol: "Longest wait",
  availableCol: "Agents available",
  serviceLevelCol: "Service level (last hour)",
  abandonedCol: "Abandoned (last hour)",
  agentsTitle: "Agents",
  agentCol: "Agent",
  statusCol: "Status",
  loadCol: "Load",
  liveSessionsTitle: "Live sessions",
  customerCol: "Customer",
  modeCol: "Mode",
  withCol: "With",
  waitingForAgent: "waiting",
  waitChartTitle: "Wait before answer (last hour)",
  modeChartTitle: "Sessions per mode",
  noData: "No data yet",
  offlineMessages: "Messages left",
  noOfflineMessages: "No message waiting for an email answer.",
  replyByEmail: "Reply by email to {email}",
  edit: "Edit",
  delete: "Delete",
  edited: "(edited)",
  messageDeleted: "This message was deleted",
  deletedByAuthor: "deleted by its author",
  originally: "Originally: {text}",
  editing: "Edit your message · Enter saves, Esc cancels",
  statusSent: "Sent",
  statusDelivered: "Delivered",
  statusRead: "Read",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected. Reload the page to try again.",
  writeToUs: "Write to us: we answer here",
  typicalWait: "Write to us: we usually answer within {wait}",
  closedUntil: "We're closed right now. We open again {when}.",
  closed: "We're closed right now.",
  nobodyOnline: "Nobody can chat right now.",
  offlineOffer: "Leave us a message and we'll reply by email.",
  offlineText: "Your message",
  offlineEmail: "Your email address",
  offlineSend: "Send the message",
  offlineThanks: "Thank you! We'll reply to {email}.",
  inputLabel: "Your message",
  inputPlaceholder: "Type a message",
  send: "Send",
  talkVoice: "Call by voice",
  talkVideo: "Call by video",
  talkAgent: "Talk to an agent",
  talkChoices: "How would you like to talk?",
  talkChat: "Chat with an agent",
  recommended: "Recommended",
  queuePosition: "You are number {position} in the queue",
  queueWait: "You are number {position} in the queue, about {wait}",
  youAreQueued: "You're in line: the next available agent will answer here.",
  backInQueue: "You're back in the queue: the next available agent will answer here.",
  agentHere: "{name} is here to help",
  ended: "The conversation has ended",
  rateQuestion: "How did we do?",
  rateLabel: "{score} out of 5",
  thanks: "Thank you!",
  you: "You",
  typing: "{name} is typing…",
  // The conversation, as the customer reads it
  joined: "{name} joined",
  joinedFrom: "{name} from {team} joined",
  left: "{name} left the conversation",
  leftOffline: "{name} is no longer available",
  transferring: "You are being transferred to another agent",
  connectingAgent: "Connecting you to an agent…",
  leftQueue: "You left the queue",
  youRated: "You rated the conversation {score}/5",
  // Calls
  modeChat: "Chat",
  modeVoice: "Voice call",
  modeVideo: "Video call",
  callVoice: "a voice call",
  callVideo: "a video call",
  askedFor: "You asked for {call}",
  theyAskFor: "{name} would like to start {call}",
  accept: "Accept",
  decline: "Decline",
  cancel: "Cancel",
  declinedBy: "{name} declined {call}",
  youDeclined: "You declined {call}",
  requestCancelled: "The request for {call} was cancelled",
  requestExpired: "Nobody answered the request for {call}",
  callStarted: "{call} started",
  callEnded: "Call ended",
  callRinging: "Calling {name}…",
  callWaitingAgent: "Waiting for an agent to take your call…",
  callConnecting: "Connecting…",
  callConnected: "Connected",
  callFailed: "The call could not connect (the network may block it). You are back in the chat.",
  hangUp: "Hang up",
  mute: "Mute",
  unmute: "Unmute",
  cameraOff: "Turn camera off",
  cameraOn: "Turn camera on",
  // Console
  consoleTitle: "Agent console",
  available: "Available",
  away: "Away",
  statusOffline: "Offline",
  statusAvailable: "Available",
  statusAway: "Away",
  offers: "Waiting for you",
  noOffers: "No customer is waiting for you.",
  acceptOffer: "Accept",
  declineOffer: "Decline",
  waitedFor: "waiting {wait}",
  answerWithin: "{seconds} s to answer",
  inbox: "Your conversations",
  inboxEmpty: "No conversations yet. Set yourself Available to receive customers.",
  pickConversation: "Pick a conversation on the left, or wait for a customer.",
  customer: "Customer",
  issue: "Issue",
  recommendedMode: "Recommended: {mode} ({chance} %)",
  recommendationEvidence: "Resolved well in past {issue} sessions, by mode",
  evidenceRow: "{resolved} of {sessions} resolved",
  noEvidence: "no outcome yet",
  staffRecommended: "{mode} recommended to the customer ({chance} %)",
  page: "Page",
  notes: "Notes for the team",
  notePlaceholder: "Add a note the customer does not see",
  addNote: "Add note",
  reply: "Reply",
  savedReplies: "Saved replies: Tab inserts the first",
  startVoice: "Start voice",
  startVideo: "Start video",
  transfer: "Transfer",
  transferTitle: "Transfer {name} to",
  transferQueue: "Queue: {queue}",
  transferAgent: "{name} ({load}/{capacity})",
  transferNote: "A note for the next agent",
  transferNone: "Nobody to transfer to right now.",
  transferred: "Transferred",
  end: "End",
  endConfirm: "End the conversation with {name}? They will be asked to rate it.",
  endYes: "End conversation",
  sessionEnded: "Conversation ended",
  // Staff transcript lines
  staffOpened: "{name} opened the conversation",
  staffQueued: "Waiting in the {queue} queue",
  staffAssigned: "Assigned to {name} after {wait}",
  staffLeftOffline: "{name} went offline and left",
  staffTransferred: "{name} transferred the conversation to {target}",
  staffHandedOff: "{name} handed off to the {queue} queue",
  staffAbandoned: "Left the {queue} queue unanswered",
  staffRated: "Rated {score}/5",
  staffEnded: "{name} ended the conversation",
  staffAccessed: "{name} {access} the conversation (audit)",
  whisper: "Whisper from {name}",
  note: "Note from {name}"
};
var FR = {
  title: "Discutons",
  openChat: "Ouvrir la discussion",
  minimise: "Réduire la discussion",
  unread: "{count} non lus",
  typicalWait: "Écrivez-nous : nous répondons en général en {wait}",
  closedUntil: "Nous sommes fermés pour le moment. Nous rouvrons {when}.",
  closed: "Nous sommes fermés pour le moment.",
  nobodyOnline: "Personne n'est disponible pour discuter en ce moment.",
  offlineOffer: "Laissez-nous un message, nous vous répondrons par e-mail.",
  offlineText: "Votre message",
  offlineEmail: "Votre adresse e-mail",
  offlineSend: "Envoyer le message",
  offlineThanks: "Merci ! Nous répondrons à {email}.",
  attach: "Joindre un fichier",
  dashboardTitle: "Tableau de bord superviseur",
  updatedAt: "Mis à jour à {time}",
  queuesTitle: "Files d'attente",
  queueCol: "File",
  waitingCol: "En attente",
  longestWaitCol: "Plus longue attente",
  availableCol: "Agents disponibles",
  serviceLevelCol: "Niveau de service (dernière heure)",
  abandonedCol: "Abandons (dernière heure)",
  agentsTitle: "Agents",
  agentCol: "Agent",
  statusCol: "Statut",
  loadCol: "Charge",
  liveSessionsTitle: "Conversations en cours",
  customerCol: "Client",
  modeCol: "Mode",
  withCol: "Avec",
  waitingForAgent: "en attente",
  waitChartTitle: "Attente avant réponse (dernière heure)",
  modeChartTitle: "Conversations par mode",
  noData: "Pas encore de données",
  offlineMessages: "Messages laissés",
  noOfflineMessages: "Aucun message n'attend de réponse par e-mail.",
  replyByEmail: "Répondre par e-mail à {email}",
  edit: "Modifier",
  delete: "Supprimer",
  edited: "(modifié)",
  messageDeleted: "Ce message a été supprimé",
  deletedByAuthor: "supprimé par son auteur",
  originally: "À l'origine : {text}",
  editing: "Modifiez votre message · Entrée enregistre, Échap annule",
  statusSent: "Envoyé",
  statusDelivered: "Distribué",
  statusRead: "Lu",
  connecting: "Connexion…",
  reconnecting: "Reconnexion…",
  disconnected: "Déconnecté. Rechargez la page pour réessayer.",
  writeToUs: "Écrivez-nous : nous répondons ici",
  inputLabel: "Votre message",
  inputPlaceholder: "Écrivez un message",
  send: "Envoyer",
  talkVoice: "Appel vocal",
  talkVideo: "Appel vidéo",
  talkAgent: "Parler à un conseiller",
  talkChoices: "Comment souhaitez-vous échanger ?",
  talkChat: "Discuter par écrit",
  recommended: "Recommandé",
  queuePosition: "Vous êtes numéro {position} dans la file",
  queueWait: "Vous êtes numéro {position} dans la file, environ {wait}",
  youAreQueued: "Vous êtes dans la file : le prochain conseiller disponible vous répondra ici.",
  backInQueue: "Vous êtes de nouveau dans la file : le prochain conseiller disponible vous répondra ici.",
  agentHere: "{name} est là pour vous aider",
  ended: "La conversation est terminée",
  rateQuestion: "Comment était notre aide ?",
  rateLabel: "{score} sur 5",
  thanks: "Merci !",
  you: "Vous",
  typing: "{name} écrit…",
  joined: "{name} a rejoint la conversation",
  joinedFrom: "{name} ({team}) a rejoint la conversation",
  left: "{name} a quitté la conversation",
  leftOffline: "{name} n'est plus disponible",
  transferring: "Nous vous transférons à un autre conseiller",
  connectingAgent: "Nous vous mettons en relation avec un conseiller…",
  leftQueue: "Vous avez quitté la file",
  youRated: "Vous avez noté la conversation {score}/5",
  modeChat: "Discussion",
  modeVoice: "Appel vocal",
  modeVideo: "Appel vidéo",
  callVoice: "un appel vocal",
  callVideo: "un appel vidéo",
  askedFor: "Vous avez demandé {call}",
  theyAskFor: "{name} propose {call}",
  accept: "Accepter",
  decline: "Refuser",
  cancel: "Annuler",
  declinedBy: "{name} a refusé {call}",
  youDeclined: "Vous avez refusé {call}",
  requestCancelled: "La demande d'{call} a été annulée",
  requestExpired: "Personne n'a répondu à la demande d'{call}",
  callStarted: "{call} commencé",
  callEnded: "Appel terminé",
  callRinging: "Appel de {name}…",
  callWaitingAgent: "En attente d'un conseiller pour votre appel…",
  callConnecting: "Connexion…",
  callConnected: "Connecté",
  callFailed: "L'appel n'a pas pu aboutir (le réseau le bloque peut-être). Vous êtes de retour dans la discussion.",
  hangUp: "Raccrocher",
  mute: "Couper le micro",
  unmute: "Activer le micro",
  cameraOff: "Couper la caméra",
  cameraOn: "Activer la caméra",
  consoleTitle: "Console conseiller",
  available: "Disponible",
  away: "Absent",
  statusOffline: "Hors ligne",
  statusAvailable: "Disponible",
  statusAway: "Absent",
  offers: "En attente",
  noOffers: "Aucun client ne vous attend.",
  acceptOffer: "Accepter",
  declineOffer: "Refuser",
  waitedFor: "attend depuis {wait}",
  answerWithin: "{seconds} s pour répondre",
  inbox: "Vos conversations",
  inboxEmpty: "Aucune conversation. Passez en Disponible pour recevoir des clients.",
  pickConversation: "Choisissez une conversation à gauche, ou attendez un client.",
  customer: "Client",
  issue: "Motif",
  recommendedMode: "Recommandé : {mode} ({chance} %)",
  recommendationEvidence: "Résolus sans suite lors des échanges {issue} passés, par mode",
  evidenceRow: "{resolved} résolus sur {sessions}",
  noEvidence: "aucun résultat encore",
  staffRecommended: "{mode} recommandé au client ({chance} %)",
  page: "Page",
  notes: "Notes pour l'équipe",
  notePlaceholder: "Une note que le client ne voit pas",
  addNote: "Ajouter",
  reply: "Répondre",
  savedReplies: "Réponses enregistrées : Tab insère la première",
  startVoice: "Appel vocal",
  startVideo: "Appel vidéo",
  transfer: "Transférer",
  transferTitle: "Transférer {name} vers",
  transferQueue: "File : {queue}",
  transferAgent: "{name} ({load}/{capacity})",
  transferNote: "Une note pour le prochain conseiller",
  transferNone: "Personne vers qui transférer pour l'instant.",
  transferred: "Transféré",
  end: "Terminer",
  endConfirm: "Terminer la conversation avec {name} ? Il lui sera proposé de la noter.",
  endYes: "Terminer la conversation",
  sessionEnded: "Conversation terminée",
  staffOpened: "{name} a ouvert la conversation",
  staffQueued: "En attente dans la file {queue}",
  staffAssigned: "Attribuée à {name} après {wait}",
  staffLeftOffline: "{name} s'est déconnecté et a quitté",
  staffTransferred: "{name} a transféré la conversation vers {target}",
  staffHandedOff: "{name} a passé la main à la file {queue}",
  staffAbandoned: "A quitté la file {queue} sans réponse",
  staffRated: "Notée {score}/5",
  staffEnded: "{name} a terminé la conversation",
  staffAccessed: "{name} a {access} la conversation (audit)",
  whisper: "Chuchoté par {name}",
  note: "Note de {name}"
};
var TABLES = { en: EN, fr: FR };
function stringsFor(locale, overrides) {
  const base = TABLES[(locale ?? "en").toLowerCase().split("-")[0]] ?? EN;
  if (!overrides) return base;
  try {
    const extra = JSON.parse(overrides);
    return { ...base, ...extra };
  } catch {
    return base;
  }
}
function format(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (all, key) => key in values ? String(values[key]) : all);
}
function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1e3));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// src/dom.ts
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}
var ICONS = {
  chat: '<path d="M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/>',
  mic: '<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8 21h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  camera: '<rect x="2" y="6" width="13" height="12" rx="2"/><path d="M16 10.5l6-3.5v10l-6-3.5z"/>',
  hangup: '<path d="M2.5 14.5c5.2-5.3 13.8-5.3 19 0l-2.4 2.9-4.1-1.7v-2.4a10 10 0 0 0-6 0v2.4l-4.1 1.7z"/>'
};
function icon(name) {
  const span = el("span", { class: "seam-icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor">${ICONS[name]}</svg>`;
  return span;
}

// src/conversation.ts
function initials(name) {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => p[0].toUpperCase()).join("") || "?";
}
function callName(mode, s) {
  return mode === "video" ? s.callVideo : mode === "voice" ? s.callVoice : s.modeChat;
}
function modeLabel(mode, s) {
  return mode === "video" ? s.modeVideo : mode === "voice" ? s.modeVoice : s.modeChat;
}
var GROUP_GAP_MS = 5 * 6e4;
var Conversation = class {
  constructor(reader, testId, label) {
    this.reader = reader;
    this.requests = /* @__PURE__ */ new Map();
    this.leftOffline = false;
    this.seen = /* @__PURE__ */ new Set();
    /** Quick reply buttons by the seq of the message that offered them. */
    this.choices = /* @__PURE__ */ new Map();
    /** The status tick of each of the reader's own messages, by seq. */
    this.ticks = /* @__PURE__ */ new Map();
    /** The furthest any other participant has got (delivered, read). */
    this.theirs = { delivered: 0, read: 0 };
    /** How far the reader has read (from any of their tabs). */
    this.myRead = 0;
    /** The seqs of messages from others, for the unread count. */
    this.fromOthers = [];
    /** The highest seq shown. */
    this.last = 0;
    /** Each message's text element and text, by seq (to show revisions). */
    this.messages = /* @__PURE__ */ new Map();
    this.root = el("div", {
      class: "seam-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": label,
      tabindex: "0",
      "data-testid": testId
    });
  }
  /** Who is reading (known once connected). */
  setMe(sub) {
    this.reader.me = sub;
  }
  /** How long the reader may revise a message (the broker's welcome says). */
  setEditWindow(ms) {
    this.reader.editWindowMs = ms;
  }
  /** Adds one stored event (a replayed one seen already is ignored). */
  add(e) {
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
    if (line === void 0) return;
    if (line === null) this.bubble(e);
    else this.system(line, e);
    this.root.scrollTop = this.root.scrollHeight;
  }
  /** The system line for `e`; `null` for a bubble, `undefined` for nothing. */
  line(e) {
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
        return staff ? format(s.staffOpened, { name: who }) : void 0;
      case "queued": {
        if (staff) return format(s.staffQueued, { queue: b.queue });
        const back = this.leftOffline;
        this.leftOffline = false;
        return back ? s.backInQueue : s.youAreQueued;
      }
      case "assigned":
        this.team = b.queue ? this.reader.teams?.[b.queue] : void 0;
        return staff ? format(s.staffAssigned, { name: b.agent.name ?? b.agent.sub, wait: duration(b.waited_ms) }) : void 0;
      case "participant_joined": {
        const name = b.participant.name ?? b.participant.sub;
        if (b.participant.role === "customer") return staff ? format(s.joined, { name }) : void 0;
        const team = this.team;
        this.team = void 0;
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
        if (!staff) return void 0;
        const r = b.recommendation;
        return format(s.staffRecommended, { mode: modeLabel(r.mode, s), chance: Math.round(r.probability * 100) });
      }
      case "staff_accessed": {
        if (!staff) return void 0;
        const access = b.access === "monitor" ? "monitored" : b.access === "join" ? "joined" : "read";
        return format(s.staffAccessed, { name: b.by.name ?? b.by.sub, access });
      }
    }
    return void 0;
  }
  /**
   * A participant's horizons: another participant's move the ticks of the
   * reader's messages (sent, delivered, read); the reader's own (from any
   * tab) move the unread count.
   */
  receipt(r) {
    if (r.participant.sub === this.reader.me) {
      this.myRead = Math.max(this.myRead, r.read_seq);
      return;
    }
    this.theirs.delivered = Math.max(this.theirs.delivered, r.delivered_seq);
    this.theirs.read = Math.max(this.theirs.read, r.read_seq);
    for (const [seq, tick] of this.ticks) this.showTick(seq, tick);
  }
  /** Messages from others the reader has not read. */
  unread() {
    return this.fromOthers.filter((seq) => seq > this.myRead).length;
  }
  showTick(seq, tick) {
    const s = this.reader.strings;
    const status = this.theirs.read >= seq ? "read" : this.theirs.delivered >= seq ? "delivered" : "sent";
    if (tick.dataset.status === status) return;
    tick.dataset.status = status;
    tick.textContent = status === "sent" ? "✓" : "✓✓";
    const label = status === "read" ? s.statusRead : status === "delivered" ? s.statusDelivered : s.statusSent;
    tick.setAttribute("aria-label", label);
    tick.title = label;
  }
  system(text, e) {
    this.group = void 0;
    this.root.append(el("div", { class: "seam-sys", "data-kind": e.body.kind }, text));
  }
  bubble(e) {
    const s = this.reader.strings;
    const b = e.body;
    if (b.kind !== "message" && b.kind !== "attachment" && b.kind !== "whisper" && b.kind !== "note") return;
    const mine = e.from.sub === this.reader.me;
    const name = mine ? s.you : e.from.name ?? e.from.sub;
    const kind = b.kind === "whisper" || b.kind === "note" ? b.kind : "";
    const key = `${e.from.sub}/${kind}`;
    if (!this.group || this.group.sender !== key || e.at - this.group.at > GROUP_GAP_MS) {
      const heading = kind === "whisper" ? format(s.whisper, { name }) : kind === "note" ? format(s.note, { name }) : name;
      const body = el("div", { class: "seam-bubbles" });
      const group = el(
        "div",
        { class: `seam-group${mine ? " mine" : ""}${kind ? ` ${kind}` : ""}`, "data-role": e.from.role },
        el("div", { class: "seam-avatar", "aria-hidden": "true" }, initials(e.from.name ?? e.from.sub)),
        el(
          "div",
          { class: "seam-group-main" },
          el("div", { class: "seam-sender" }, heading, " ", el("time", { datetime: new Date(e.at).toISOString() }, clock(e.at))),
          body
        )
      );
      this.root.append(group);
      this.group = { sender: key, at: e.at, body };
    }
    this.group.at = e.at;
    const text = el("span", { class: "seam-text" }, b.kind === "attachment" ? "" : b.text);
    const bubble = b.kind === "attachment" ? this.file(b.attachment) : el("div", { class: "seam-bubble", "data-testid": "message", title: clock(e.at) }, text);
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
        reply.label
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
  revisable(seq, at, bubble) {
    const s = this.reader.strings;
    const window2 = this.reader.editWindowMs ?? 0;
    const left = at + window2 - Date.now();
    if (!this.reader.onEdit || window2 <= 0 || left <= 0) return;
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
  revised(seq, text) {
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
  file(a) {
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
      `${a.name} · ${bytes(a.size)}`
    );
    button.onclick = open;
    root.append(button);
    return root;
  }
  /** A quick reply of message `seq` was chosen: its buttons are spent. */
  answered(seq, id) {
    const row = this.choices.get(seq);
    if (!row) return;
    for (const button of Array.from(row.querySelectorAll("button"))) {
      button.disabled = true;
      if (button.dataset.id === id) button.setAttribute("aria-pressed", "true");
    }
  }
};
function web(url) {
  return url && /^https?:\/\//.test(url) ? url : void 0;
}
function card(c) {
  const root = el("div", { class: "seam-msg-card", "data-testid": "message-card" });
  const image = web(c.image_url);
  if (image) root.append(el("img", { src: image, alt: c.title, loading: "lazy" }));
  root.append(el("b", {}, c.title));
  if (c.text) root.append(el("p", {}, c.text));
  const link = web(c.link_url);
  if (link) root.append(el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, c.link_label ?? c.title));
  return root;
}
function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}
function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// src/style.ts
var STYLE = `
.seam-widget,.seam-console{--seam-accent:#2b4c7e;--seam-accent-text:#fff;--seam-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font:14px/1.45 var(--seam-font);color:#1d2330}
.seam-widget [hidden],.seam-console [hidden]{display:none!important}
.seam-widget *,.seam-console *{box-sizing:border-box}
.seam-widget :focus-visible,.seam-console :focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.seam-widget button,.seam-console button{font:inherit;padding:7px 12px;border:0;border-radius:8px;background:var(--seam-accent);color:var(--seam-accent-text);cursor:pointer}
.seam-widget button.secondary,.seam-console button.secondary{background:#e4e8f0;color:#1d2330}
.seam-widget button.seam-danger,.seam-console button.seam-danger{background:#c5221f;color:#fff}
.seam-widget input,.seam-widget textarea,.seam-console input,.seam-console textarea,.seam-console select{font:inherit;font-size:16px;padding:8px;border:1px solid #b9c0cf;border-radius:8px;min-width:0;background:#fff;color:#1d2330}
.seam-panel{background:#fff;border:1px solid #ccd2de;border-radius:12px;box-shadow:0 6px 24px #0003;display:flex;flex-direction:column;overflow:hidden}
.seam-panel>*{flex-shrink:0}
.seam-head{background:var(--seam-accent);color:var(--seam-accent-text);padding:10px 12px;display:flex;justify-content:space-between;align-items:center;gap:8px}
.seam-head h2{font-size:15px;margin:0;color:inherit;text-transform:none;letter-spacing:0}
.seam-icon{display:inline-flex;line-height:0}
.seam-round{position:relative}
.seam-round[aria-pressed=true]::after{content:"";position:absolute;left:8px;right:8px;top:50%;height:2px;background:#c5221f;transform:rotate(-45deg)}
.seam-mode{font-size:12px;opacity:.9;margin-left:8px}
.seam-widget .seam-head button{background:none;color:inherit;font-size:20px;line-height:1;padding:2px 8px}
.seam-log{flex:1 1 auto;overflow-y:auto;padding:12px;min-height:48px;display:flex;flex-direction:column;gap:8px;background:#f7f8fb}
.seam-sys{align-self:center;font-size:12px;color:#4f5766;text-align:center;max-width:90%}
.seam-group{display:flex;gap:8px;align-items:flex-end;max-width:85%}
.seam-group.mine{align-self:flex-end;flex-direction:row-reverse}
.seam-avatar{flex:0 0 28px;height:28px;border-radius:50%;background:#c9d3e6;color:#1d2330;font-size:11px;font-weight:600;display:flex;align-items:center;justify-content:center}
.seam-group.mine .seam-avatar{display:none}
.seam-sender{font-size:11px;color:#4f5766;margin:0 4px 2px}
.seam-group.mine .seam-sender{text-align:right}
.seam-bubbles{display:flex;flex-direction:column;gap:2px;align-items:flex-start}
.seam-group.mine .seam-bubbles{align-items:flex-end}
.seam-bubble{background:#fff;border:1px solid #dfe3ec;border-radius:14px;padding:6px 10px;white-space:pre-wrap;overflow-wrap:anywhere}
.seam-group.mine .seam-bubble{background:var(--seam-accent);color:var(--seam-accent-text);border-color:transparent}
.seam-group.note .seam-bubble,.seam-group.whisper .seam-bubble{background:#fff6d6;border-color:#eed889;color:#1d2330}
.seam-status{padding:4px 12px;color:#4f5766;font-size:12px;min-height:22px}
.seam-row{display:flex;gap:6px;padding:8px 12px;align-items:center;flex-wrap:wrap}
.seam-row input{flex:1}
.seam-tag{margin-left:6px;padding:1px 6px;border-radius:8px;background:rgba(255,255,255,.25);font-size:11px;font-weight:600}
.seam-recommendation{margin-top:10px;padding-top:8px;border-top:1px solid #e4e8f0}
.seam-recommendation p{margin:4px 0;color:#4a5366;font-size:12px}
.seam-quick{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}
.seam-quick button[aria-pressed=true]{outline:2px solid var(--seam-accent, #2563eb)}
.seam-msg-card{border:1px solid #d0d5dd;border-radius:10px;padding:8px;margin:4px 0;max-width:280px;display:flex;flex-direction:column;gap:4px;background:#fff}
.seam-msg-card img{max-width:100%;border-radius:6px}
.seam-msg-card p{margin:0}
.seam-canned{flex-basis:100%;list-style:none;margin:0;padding:0;display:flex;gap:6px;flex-wrap:wrap}
.seam-prompt{background:#fff6d6;padding:8px 12px;display:flex;gap:8px;align-items:center;flex-wrap:wrap;justify-content:space-between}
.seam-prompt-actions{display:flex;gap:6px}
.seam-call{background:#14171d;color:#fff;display:flex;flex-direction:column}
.seam-stage{position:relative;background:#000;height:min(34vh,260px)}
.seam-call[data-mode=voice] .seam-stage,.seam-call[data-mode=ringing] .seam-stage{height:0;overflow:hidden}
.seam-stage video:not(.seam-self){width:100%;height:100%;object-fit:cover;display:block}
.seam-self{position:absolute;right:8px;bottom:8px;width:28%;max-width:120px;border-radius:6px;border:2px solid #fff;background:#222}
.seam-call-bar{display:flex;align-items:center;justify-content:space-between;padding:6px 10px;gap:8px}
.seam-call-state{font-size:13px}
.seam-call-controls{display:flex;gap:8px}
.seam-widget button.seam-round,.seam-console button.seam-round{width:38px;height:38px;padding:0;border-radius:50%;background:#3a3f4b;color:#fff}
.seam-widget button.seam-round[aria-pressed=true],.seam-console button.seam-round[aria-pressed=true]{background:#fff;color:#14171d}
.seam-widget button.seam-round.seam-danger,.seam-console button.seam-round.seam-danger{background:#c5221f}
.seam-rating{display:flex;gap:6px;align-items:center;padding:8px 12px;background:#eef3ff;flex-wrap:wrap}
.seam-widget{position:fixed;right:16px;bottom:16px;z-index:2147483000}
.seam-widget[data-position=left]{right:auto;left:16px}
.seam-widget .seam-panel{width:370px;height:min(600px,calc(100vh - 32px));max-width:calc(100vw - 32px)}
.seam-widget:not(.seam-open) .seam-panel{display:none}
.seam-widget.seam-open .seam-launcher{display:none}
.seam-widget button.seam-launcher{width:58px;height:58px;border-radius:50%;padding:0;font-size:26px;box-shadow:0 4px 14px #0004;position:relative}
.seam-badge{position:absolute;top:-4px;right:-4px;background:#c5221f;color:#fff;border-radius:10px;min-width:20px;height:20px;padding:0 5px;font-size:12px;line-height:20px;font-weight:600}
@media (max-width:480px){.seam-widget.seam-open{inset:0}.seam-widget.seam-open .seam-panel{width:100vw;height:100vh;height:100dvh;max-width:none;border-radius:0;border:0}}
.seam-console{display:grid;grid-template-columns:minmax(190px,240px) minmax(0,1fr) minmax(190px,260px);height:100vh;background:#eef0f5}
.seam-col{display:flex;flex-direction:column;min-height:0;min-width:0;background:#fff;border-right:1px solid #dde1ea}
.seam-col>*{flex-shrink:0}
.seam-col h2,.seam-col h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#4f5766;margin:12px 12px 6px}
.seam-scroll{overflow-y:auto;flex:1 1 auto;min-height:0}
.seam-empty{color:#4f5766;font-size:13px;padding:8px 12px}
.seam-offer{margin:6px 8px;padding:8px;border:1px solid #b7c8ee;background:#eef3ff;border-radius:10px;display:flex;flex-direction:column;gap:4px}
.seam-offer blockquote{margin:0;padding:4px 8px;border-left:3px solid var(--seam-accent);background:#fff;border-radius:4px;overflow-wrap:anywhere}
.seam-offer-meta{font-size:12px;color:#3d4452}
.seam-offer-actions{display:flex;gap:6px}
.seam-inbox-item{display:flex;width:calc(100% - 16px);margin:2px 8px;text-align:left;align-items:center;gap:8px}
.seam-console button.seam-inbox-item{background:#f4f6fa;color:#1d2330}
.seam-console button.seam-inbox-item[aria-current=true]{background:#dfe7f7;box-shadow:inset 3px 0 0 var(--seam-accent)}
.seam-inbox-item span:first-child{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.seam-offline{display:flex;flex-direction:column;gap:6px;padding:10px;background:#fff;border:1px solid #dfe3ec;border-radius:10px}
.seam-offline p{margin:0}
.seam-offline textarea,.seam-offline input{font:inherit;padding:6px 8px;border:1px solid #c4cad6;border-radius:8px}
.seam-file{display:flex;flex-direction:column;gap:4px;align-items:flex-start}
.seam-file img{max-width:160px;max-height:160px;border-radius:8px;cursor:pointer}
.seam-file-open{background:none;border:0;padding:0;color:inherit;text-decoration:underline;cursor:pointer;font:inherit;text-align:left}
.seam-edited{font-size:11px}
.seam-deleted .seam-text{font-style:italic}
.seam-revise-row{display:inline-flex;gap:6px;margin-left:8px}
.seam-revise{background:none;border:0;padding:0;color:inherit;text-decoration:underline;cursor:pointer;font:inherit;font-size:11px}
.seam-dashboard{--seam-accent:#2b4c7e;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;padding:16px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(380px,1fr))}
.seam-dashboard header{grid-column:1/-1;display:flex;justify-content:space-between;align-items:baseline}
.seam-dashboard section{background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:12px;overflow-x:auto}
.seam-dashboard section:first-of-type{grid-column:1/-1}
.seam-dashboard h1{margin:0;font-size:20px}.seam-dashboard h2{margin:0 0 8px;font-size:15px}
.seam-dashboard table{border-collapse:collapse;width:100%}.seam-dashboard th,.seam-dashboard td{text-align:left;padding:4px 6px;border-bottom:1px solid #eef0f5}
.seam-dashboard svg text{font-size:11px;fill:#1d2330}
.seam-tick{margin-left:6px;font-size:11px;letter-spacing:-2px;padding:0 4px 0 2px;border-radius:6px}
.seam-tick[data-status=read]{background:#fff;color:#1a5fc8;font-weight:700}
.seam-unread{background:#c5221f;color:#fff;border-radius:10px;min-width:20px;padding:0 6px;font-size:12px;text-align:center}
.seam-main{border-right:1px solid #dde1ea}
.seam-console .seam-main .seam-head h2{font-size:15px;margin:0;color:inherit;text-transform:none;letter-spacing:0}
.seam-actions{display:flex;gap:6px;flex-wrap:wrap}
.seam-console .seam-head button{padding:5px 10px}
.seam-dialog{background:#fff;border-top:1px solid #dde1ea;padding:10px 12px;display:flex;flex-direction:column;gap:8px;box-shadow:0 -4px 12px #0001}
.seam-dialog fieldset{border:0;padding:0;margin:0;display:flex;flex-direction:column;gap:4px;max-height:30vh;overflow-y:auto}
.seam-dialog legend{font-weight:600;margin-bottom:4px}
.seam-card{margin:0 12px 8px;padding:10px;border:1px solid #dde1ea;border-radius:10px;background:#f7f8fb}
.seam-card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:4px 10px}
.seam-card dt{color:#4f5766;font-size:12px}
.seam-card dd{margin:0;overflow-wrap:anywhere}
.seam-card .seam-avatar{width:40px;height:40px;flex-basis:40px;font-size:14px}
.seam-notes{display:flex;flex-direction:column;gap:6px;padding:0 12px 12px}
@media (max-width:720px){.seam-console{grid-template-columns:1fr;height:auto}.seam-col{border-right:0;border-bottom:1px solid #dde1ea}.seam-main{height:100vh}}
`;

// src/ui.ts
function callArea(root, s, ids) {
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
    el("div", { class: "seam-call-bar" }, state, el("div", { class: "seam-call-controls" }, mute, camera, hangup))
  );
  return { root, area, remote, local, state, mute, camera, hangup };
}
var CONNECT_TIMEOUT_MS = 15e3;
var CallManager = class {
  constructor(seam, sessionId, view, s, options) {
    this.seam = seam;
    this.sessionId = sessionId;
    this.view = view;
    this.s = s;
    this.options = options;
    this.video = false;
    this.connected = false;
    this.remoteTracks = 0;
    seam.on("ice_servers", (update) => {
      if (update.session_id === this.sessionId() && this.startWhenReady && this.call) {
        const peer = this.startWhenReady;
        this.startWhenReady = void 0;
        void this.call.start(peer).then(() => this.showLocal());
      }
    });
    view.mute.onclick = () => this.toggle("audio", view.mute, s.mute, s.unmute);
    view.camera.onclick = () => this.toggle("video", view.camera, s.cameraOff, s.cameraOn);
  }
  /** Whether a call is under way. */
  get active() {
    return this.call !== void 0;
  }
  /** An upgrade waits for the other side: the area shows `text` and hang-up cancels. */
  ringing(text) {
    if (this.call) return;
    this.view.area.hidden = false;
    this.view.area.dataset.mode = "ringing";
    this.view.state.textContent = text;
    this.view.root.dataset.callState = "ringing";
    this.view.mute.hidden = true;
    this.view.camera.hidden = true;
  }
  /** The upgrade was answered no, cancelled or expired. */
  stopRinging() {
    if (this.call || this.view.root.dataset.callState !== "ringing") return;
    this.view.area.hidden = true;
    this.view.root.dataset.callState = "closed";
  }
  /**
   * The session's mode is now `mode`; `offerTo` is the peer to offer to if
   * this side asked. Back to chat by the other side before the call ever
   * connected counts as a call that could not connect (their side gave up).
   */
  modeChanged(mode, offerTo, byOtherSide = false) {
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
        void this.view.remote.play().catch(() => {
        });
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
      }
    });
    this.view.root.dataset.callState = "new";
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.failed(), this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    if (offerTo) {
      if (this.seam.iceServers.has(sid)) void this.call.start(offerTo).then(() => this.showLocal());
      else this.startWhenReady = offerTo;
    }
  }
  toggle(kind, button, on, off) {
    const turnOff = button.getAttribute("aria-pressed") !== "true";
    if (this.call?.setEnabled(kind, !turnOff)) this.setPressed(button, turnOff, turnOff ? off : on);
  }
  setPressed(button, pressed, label) {
    button.setAttribute("aria-pressed", String(pressed));
    button.setAttribute("aria-label", label);
    button.title = label;
  }
  showLocal() {
    const local = this.call?.localStream;
    if (local && this.view.local.srcObject !== local) {
      this.view.local.srcObject = local;
      void this.view.local.play().catch(() => {
      });
    }
  }
  failed() {
    if (!this.call || this.view.root.dataset.callState === "connected") return;
    this.view.root.dataset.callState = "failed";
    this.view.root.dataset.callResult = "failed";
    this.options.onFailed();
  }
  /** Hangs up locally and hides the call area. */
  stop() {
    clearTimeout(this.watchdog);
    this.call?.close();
    this.call = void 0;
    this.startWhenReady = void 0;
    this.view.remote.srcObject = null;
    this.view.local.srcObject = null;
    this.view.area.hidden = true;
    this.view.root.dataset.callState = "closed";
  }
};
function guarded(status) {
  return async (action) => {
    try {
      await action();
    } catch (e) {
      status.textContent = e instanceof SeamError ? e.message : String(e);
    }
  };
}
var TYPING_REPEAT_MS = 2e3;
var TYPING_SHOWN_MS = 6e3;
var TYPING_IDLE_MS = 4e3;
function wireTypingIndicator(seam, sessionId, status, s) {
  let shown;
  let timer;
  const clear = (sub) => {
    if (!shown || sub !== void 0 && shown.sub !== sub) return;
    if (status.textContent === shown.text) status.textContent = "";
    shown = void 0;
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
  seam.on("event", (e) => {
    if (e.session_id === sessionId() && e.body.kind === "message") clear(e.from.sub);
  });
}
function wireComposer(seam, sessionId, input, send, guard, open) {
  let typingSince = 0;
  let idle;
  const stopTyping = (sid) => {
    clearTimeout(idle);
    if (typingSince === 0) return;
    typingSince = 0;
    void seam.typing(sid, false).catch(() => {
    });
  };
  const post = () => {
    const text = input.value.trim();
    const sid = sessionId();
    if (!text || !sid && !open) return;
    input.value = "";
    const editing = Number(input.dataset.editSeq);
    if (editing && sid) {
      endEdit(input);
      void guard(async () => seam.editMessage(sid, editing, text));
      return;
    }
    clearTimeout(idle);
    typingSince = 0;
    void guard(async () => seam.message(sid ?? await open(), text));
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
      void seam.typing(sid, true).catch(() => {
      });
    }
    clearTimeout(idle);
    idle = setTimeout(() => stopTyping(sid), TYPING_IDLE_MS);
  };
}
function prompt(s, ids) {
  const text = el("span", { "data-testid": `${ids}prompt-text`, id: `${ids}prompt-text` });
  const accept = el("button", { "data-testid": `${ids}accept-upgrade` }, s.accept);
  const decline = el("button", { class: "secondary", "data-testid": `${ids}decline-upgrade` }, s.decline);
  const root = el(
    "div",
    { class: "seam-prompt", role: "alertdialog", "aria-labelledby": `${ids}prompt-text`, "data-testid": `${ids}prompt`, hidden: "" },
    text,
    el("span", { class: "seam-prompt-actions" }, accept, decline)
  );
  return { root, text, accept, decline };
}
function wirePrompt(seam, sessionId, pendingRequest, p, guard) {
  const answer = (yes) => void guard(async () => {
    const sid = sessionId();
    const request = pendingRequest();
    p.root.hidden = true;
    if (sid && request) await seam.answerMode(sid, request, yes);
  });
  p.accept.onclick = () => answer(true);
  p.decline.onclick = () => answer(false);
}
function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws`;
}
function tokenFrom(url) {
  return async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
    return (await response.json()).token;
  };
}
function attachControls(seam, sessionId, guard, s, open) {
  const file = el("input", { type: "file", hidden: "", "data-testid": "file-input", accept: "image/*,application/pdf,text/plain" });
  const button = el("button", { type: "button", class: "secondary", "data-testid": "attach", "aria-label": s.attach, title: s.attach }, "📎");
  button.onclick = () => file.click();
  file.onchange = () => {
    const chosen = file.files?.[0];
    file.value = "";
    if (!chosen) return;
    void guard(async () => {
      const sid = sessionId() ?? (open ? await open() : void 0);
      if (sid) await seam.upload(sid, chosen, chosen.name);
    });
  };
  return [button, file];
}
function attachmentOpener(seam, sessionId, guard) {
  return (a) => {
    const sid = sessionId();
    if (!sid) return;
    const tab = window.open("about:blank", "_blank");
    if (tab) tab.opener = null;
    void guard(async () => {
      const url = await seam.attachmentUrl(sid, a.id);
      if (tab) tab.location.href = url;
      else window.location.assign(url);
    });
  };
}
function beginEdit(input, seq, text, s) {
  if (!input.dataset.editSeq) input.dataset.placeholder = input.placeholder;
  input.dataset.editSeq = String(seq);
  input.placeholder = s.editing;
  input.value = text;
  input.focus();
}
function endEdit(input) {
  delete input.dataset.editSeq;
  input.placeholder = input.dataset.placeholder ?? input.placeholder;
}

// src/console.ts
var params = new URLSearchParams(location.search);
async function main() {
  const s = stringsFor(params.get("locale") ?? document.documentElement.lang, params.get("strings"));
  document.head.append(el("style", {}, STYLE));
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
      offlineList
    )
  );
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
  const consent = prompt(s, "agent-");
  const input = el("input", { placeholder: s.reply, "aria-label": s.reply, "data-testid": "agent-input", autocomplete: "off" });
  const send = el("button", { "data-testid": "agent-send" }, s.send);
  const suggestions = el("ul", { class: "seam-canned", "aria-label": s.savedReplies, "data-testid": "canned-suggestions" });
  suggestions.hidden = true;
  const composer = el("div", { class: "seam-row" }, suggestions, input, send);
  const dialogs = el("div", {});
  const main2 = el(
    "main",
    { class: "seam-col seam-main", id: "seam-conversation" },
    el("div", { class: "seam-head" }, el("div", {}, title, mode), actions)
  );
  const context = el("div", { class: "seam-card", "data-testid": "context" }, s.pickConversation);
  const noteInput = el("textarea", { rows: "3", placeholder: s.notePlaceholder, "aria-label": s.notes, "data-testid": "note-input" });
  const addNote = el("button", { class: "secondary", "data-testid": "add-note" }, s.addNote);
  const right = el(
    "aside",
    { class: "seam-col", "aria-label": s.customer },
    el("h2", {}, s.customer),
    context,
    el("h3", {}, s.notes),
    el("div", { class: "seam-notes" }, noteInput, addNote)
  );
  const root = el("div", { class: "seam-console", id: "seam-console" }, left, main2, right);
  const call = callArea(root, s, "agent-");
  main2.append(call.area, logSlot, status, consent.root, dialogs, composer);
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
  const held = /* @__PURE__ */ new Map();
  let active;
  let inCall;
  const calls = new CallManager(seam, () => inCall ?? active, call, s, {
    relayOnly: params.has("relay-only"),
    connectTimeoutMs: Number(params.get("connect-timeout-ms")) || void 0,
    onFailed: () => {
      status.textContent = s.callFailed;
      const sid = inCall ?? active;
      if (sid && held.get(sid)?.mode !== "chat") void seam.setMode(sid, "chat", "the call could not connect").catch(() => {
      });
    }
  });
  let chosen;
  const setStatus = (value) => guard(async () => {
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
  const customerName = (p) => p.name ?? p.sub;
  const refreshEmpty = () => {
    inboxEmpty.hidden = held.size > 0;
    noOffers.hidden = offers.childElementCount > 0;
  };
  const showButtons = (h) => {
    const open = !!h && !h.ended;
    const m = h?.mode ?? "chat";
    mode.textContent = modeLabel(m, s);
    mode.dataset.mode = m;
    askVoice.hidden = m !== "chat";
    askVideo.hidden = m === "video";
    for (const b of [askVoice, askVideo, transfer, end, send, addNote]) b.disabled = !open;
    const attach = composer.querySelector("[data-testid=attach]");
    if (attach) attach.disabled = !open;
    input.disabled = !open;
  };
  const itemLabel = (h) => `${customerName(h.snapshot.customer)} · ${h.ended ? s.sessionEnded : modeLabel(h.mode, s)}`;
  const recommendationCard = (r) => {
    const rows = el("dl", {});
    for (const c of r.choices) {
      const text = c.sessions > 0 ? `${format(s.evidenceRow, { resolved: c.resolved, sessions: c.sessions })} (${Math.round(100 * c.resolved / c.sessions)} %)` : s.noEvidence;
      rows.append(el("dt", {}, modeLabel(c.mode, s)), el("dd", { "data-testid": `evidence-${c.mode}` }, text));
    }
    return el(
      "div",
      { class: "seam-recommendation", "data-testid": "recommendation", "data-mode": r.mode },
      el("b", {}, format(s.recommendedMode, { mode: modeLabel(r.mode, s), chance: Math.round(r.probability * 100) })),
      el("p", {}, format(s.recommendationEvidence, { issue: r.issue_type ?? "" })),
      rows
    );
  };
  const showContext = (snapshot, recommendation) => {
    const ctx = snapshot.context;
    const rows = [[s.customer, customerName(snapshot.customer)]];
    if (ctx.issue_type) rows.push([s.issue, ctx.issue_type]);
    if (ctx.page) rows.push([s.page, ctx.page]);
    for (const [k, v] of Object.entries({ ...ctx.metadata ?? {}, ...ctx.customer_provided ?? {} })) {
      rows.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
    }
    const dl = el("dl", {});
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, v));
    context.replaceChildren(
      el(
        "div",
        { style: "display:flex;gap:10px;align-items:center;margin-bottom:8px" },
        el("div", { class: "seam-avatar", "aria-hidden": "true" }, initials(customerName(snapshot.customer))),
        el("b", {}, customerName(snapshot.customer))
      ),
      dl
    );
    if (recommendation) context.append(recommendationCard(recommendation));
  };
  const activate = (sid) => {
    const previous = active ? held.get(active) : void 0;
    if (previous?.ended && previous.snapshot.session_id !== sid) forget(previous.snapshot.session_id);
    active = sid;
    const h = sid ? held.get(sid) : void 0;
    root.dataset.session = sid ?? "";
    if (!sid) delete root.dataset.session;
    dialogs.replaceChildren();
    for (const other of held.values()) other.item.setAttribute("aria-current", String(other === h));
    if (!h) {
      title.textContent = "";
      logSlot.replaceChildren(empty);
      context.replaceChildren(s.pickConversation);
      consent.root.hidden = true;
      showButtons(void 0);
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
  const forget = (sid) => {
    const h = held.get(sid);
    if (!h) return;
    h.item.remove();
    held.delete(sid);
    if (active === sid) activate(held.keys().next().value);
    refreshEmpty();
  };
  const hold = (snapshot) => {
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
        editWindowMs: (seam.welcome?.limits.edit_window_secs ?? 0) * 1e3
      },
      "history",
      customerName(snapshot.customer)
    );
    for (const r of snapshot.receipts ?? []) conversation.receipt(r);
    const h = { snapshot, conversation, item, label, badge, mode: snapshot.mode ?? "chat", ended: false };
    label.textContent = itemLabel(h);
    item.onclick = () => activate(snapshot.session_id);
    held.set(snapshot.session_id, h);
    inbox.append(item);
    refreshEmpty();
    return h;
  };
  const showUnread = (h) => {
    const unread = h.conversation.unread();
    h.badge.textContent = String(unread);
    h.badge.hidden = unread === 0;
    h.badge.setAttribute("aria-label", format(s.unread, { count: unread }));
  };
  const markRead = (h) => {
    const sid = h.snapshot.session_id;
    const last = h.conversation.last;
    if (sid === active && document.visibilityState === "visible" && last > 0 && me) {
      seam.report(sid, { read: last });
      h.conversation.receipt({ participant: me, delivered_seq: last, read_seq: last });
    }
    showUnread(h);
  };
  document.addEventListener("visibilitychange", () => {
    const h = active ? held.get(active) : void 0;
    if (h) markRead(h);
  });
  seam.on("receipt", (r) => {
    const h = held.get(r.session_id);
    if (!h) return;
    h.conversation.receipt(r);
    showUnread(h);
  });
  seam.on("event", (e) => {
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
          text: format(s.theyAskFor, { name: e.from.name ?? e.from.sub, call: callName(b.request.mode, s) })
        };
        if (here) {
          consent.text.textContent = h.asked.text;
          consent.root.hidden = false;
        }
      }
    }
    if (b.kind === "mode_request_declined" || b.kind === "mode_request_cancelled" || b.kind === "mode_request_expired") {
      h.asked = void 0;
      h.asking = void 0;
      if (here) consent.root.hidden = true;
      calls.stopRinging();
    }
    if (b.kind === "mode_recommended") {
      h.recommendation = b.recommendation;
      if (here) showContext(h.snapshot, h.recommendation);
    }
    if (b.kind === "mode_changed") {
      h.asked = void 0;
      h.asking = void 0;
      h.mode = b.mode;
      if (here) consent.root.hidden = true;
      inCall = b.mode === "chat" ? void 0 : e.session_id;
      const askedByMe = b.request_id !== void 0 && b.request_id !== null && e.from.sub !== me?.sub;
      calls.modeChanged(b.mode, askedByMe ? h.snapshot.customer.sub : void 0, e.from.sub !== me?.sub);
    }
    if (b.kind === "participant_left" && b.participant.sub === me?.sub) {
      h.ended = true;
      if (inCall === e.session_id) calls.stop();
    }
    if (b.kind === "session_ended") {
      h.ended = true;
      if (inCall === e.session_id) {
        inCall = void 0;
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
  const ticking = /* @__PURE__ */ new Map();
  const showOffer = (offer) => {
    const known = ticking.get(offer.offer_id);
    const card2 = known?.card ?? el("div", { class: "seam-offer", role: "listitem", "data-testid": "offer" });
    card2.dataset.offer = offer.offer_id;
    const wait = el("span", { "data-testid": "offer-wait" });
    const timeLeft = el("span", { role: "timer", "data-testid": "offer-countdown" });
    const take = el("button", { "data-testid": "accept-offer" }, s.acceptOffer);
    const pass = el("button", { class: "secondary", "data-testid": "decline-offer" }, s.declineOffer);
    const about = offer.note ?? offer.context.issue_type ?? "";
    card2.replaceChildren(
      el("b", {}, customerName(offer.customer), about ? ` · ${about}` : ""),
      ...offer.first_message ? [el("blockquote", { "data-testid": "offer-message" }, offer.first_message)] : [],
      el("div", { class: "seam-offer-meta" }, wait, " · ", timeLeft),
      el("div", { class: "seam-offer-actions" }, take, pass)
    );
    const received = known?.received ?? Date.now() - (offer.waited_ms ?? 0);
    ticking.set(offer.offer_id, { offer, received, wait, left: timeLeft, card: card2 });
    take.onclick = () => void guard(async () => {
      dropOffer(offer.offer_id);
      const ack = await seam.send({ type: "accept_offer", offer_id: offer.offer_id });
      if (ack.session) {
        hold(ack.session);
        activate(ack.session.session_id);
        input.focus();
      }
    });
    pass.onclick = () => void guard(async () => {
      dropOffer(offer.offer_id);
      await seam.send({ type: "decline_offer", offer_id: offer.offer_id });
    });
    if (!known) offers.append(card2);
    tick();
    refreshEmpty();
  };
  const dropOffer = (offerId) => {
    ticking.get(offerId)?.card.remove();
    ticking.delete(offerId);
    refreshEmpty();
  };
  const tick = () => {
    const now = Date.now();
    for (const [id, t] of ticking) {
      const secondsLeft = Math.ceil((t.offer.expires_at - now) / 1e3);
      if (secondsLeft < -2) {
        dropOffer(id);
        continue;
      }
      t.wait.textContent = format(s.waitedFor, { wait: duration(now - t.received) });
      t.left.textContent = format(s.answerWithin, { seconds: Math.max(0, secondsLeft) });
    }
  };
  setInterval(tick, 1e3);
  seam.on("offer", showOffer);
  seam.on("offer_revoked", (r) => dropOffer(r.offer_id));
  wireComposer(seam, () => active, input, send, guard);
  send.before(...attachControls(seam, () => active, guard, s));
  showButtons(active ? held.get(active) : void 0);
  let canned = [];
  seam.cannedResponses().then((list) => canned = list, () => {
  });
  const matching = () => {
    const typed = input.value;
    if (!typed.startsWith("/") || /\s/.test(typed)) return [];
    const prefix = typed.slice(1).toLowerCase();
    return canned.filter((c) => c.shortcut.toLowerCase().startsWith(prefix));
  };
  const insert = (reply) => {
    const h = active ? held.get(active) : void 0;
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
      })
    );
  };
  input.addEventListener("input", suggest);
  const composerKeys = input.onkeydown;
  input.onkeydown = (e) => {
    const found = matching();
    if (found.length > 0 && (e.key === "Tab" || e.key === "Enter" && found.length === 1)) {
      e.preventDefault();
      insert(found[0]);
      return;
    }
    if (e.key === "Escape") suggestions.hidden = true;
    composerKeys?.call(input, e);
  };
  const ask = (wanted) => guard(async () => active && seam.requestMode(active, wanted, "may I?"));
  askVoice.onclick = () => void ask("voice");
  askVideo.onclick = () => void ask("video");
  call.hangup.onclick = () => void guard(async () => {
    const sid = inCall ?? active;
    const h = sid ? held.get(sid) : void 0;
    if (!sid || !h) return;
    if (h.mode !== "chat") await seam.setMode(sid, "chat", "hang up");
    else if (h.asking) await seam.send({ type: "cancel_mode_request", session_id: sid, request_id: h.asking });
    else calls.stopRinging();
  });
  wirePrompt(seam, () => active, () => active ? held.get(active)?.asked?.requestId : void 0, consent, guard);
  addNote.onclick = () => void guard(async () => {
    const text = noteInput.value.trim();
    if (!active || !text) return;
    await seam.send({ type: "note", session_id: active, text });
    noteInput.value = "";
  });
  end.onclick = () => {
    const h = active ? held.get(active) : void 0;
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
    yes.onclick = () => void guard(async () => {
      dialogs.replaceChildren();
      await seam.endSession(sid, "resolved");
    });
    dialog.onkeydown = (e) => {
      if (e.key === "Escape") no.click();
    };
    dialogs.replaceChildren(dialog);
    no.focus();
  };
  transfer.onclick = () => void guard(async () => {
    const h = active ? held.get(active) : void 0;
    if (!h) return;
    const sid = h.snapshot.session_id;
    const overview = (await seam.send({ type: "overview" })).overview;
    const fieldset = el("fieldset", {}, el("legend", {}, format(s.transferTitle, { name: customerName(h.snapshot.customer) })));
    const choices = [];
    for (const q of overview?.queues ?? []) choices.push({ label: format(s.transferQueue, { queue: q.name }), to: { queue: q.name } });
    const colleagues = (overview?.agents ?? []).filter(
      (a) => a.agent.sub !== me?.sub && a.agent.role === "agent" && a.status === "available" && a.sessions < a.capacity
    );
    for (const a of colleagues) {
      choices.push({
        label: format(s.transferAgent, { name: a.agent.name ?? a.agent.sub, load: a.sessions, capacity: a.capacity }),
        to: { agent: a.agent.sub }
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
    go.onclick = () => void guard(async () => {
      const picked = fieldset.querySelector("input:checked");
      const choice = picked ? choices[Number(picked.value)] : void 0;
      if (!choice) return;
      dialogs.replaceChildren();
      await seam.send({ type: "transfer", session_id: sid, to: choice.to, note: note.value.trim() || null });
      if (inCall === sid) {
        inCall = void 0;
        calls.stop();
      }
      forget(sid);
      status.textContent = `${s.transferred}: ${choice.label}`;
    });
    dialogs.replaceChildren(dialog);
    fieldset.querySelector("input")?.focus();
  });
  const showOfflineMessages = async () => {
    const left2 = await seam.offlineMessages().catch(() => void 0);
    if (!left2) return;
    offlineEmpty.hidden = left2.length > 0;
    offlineList.replaceChildren(
      ...left2.map(
        (m) => el(
          "div",
          { class: "seam-offer", role: "listitem", "data-testid": "offline-message" },
          el("b", {}, customerName(m.customer)),
          " · ",
          el("time", { datetime: new Date(m.at).toISOString() }, new Date(m.at).toLocaleString()),
          el("blockquote", {}, m.text),
          el("a", { href: `mailto:${m.email}`, "data-testid": "offline-reply" }, format(s.replyByEmail, { email: m.email }))
        )
      )
    );
  };
  void showOfflineMessages();
  setInterval(() => void showOfflineMessages(), 6e4);
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
