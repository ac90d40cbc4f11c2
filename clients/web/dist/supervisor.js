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

// src/ui.ts
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

// src/supervisor.ts
var params = new URLSearchParams(location.search);
var MODES = ["chat", "voice", "video"];
var MODE_COLOURS = { chat: "#2b4c7e", voice: "#2e7d4f", video: "#b3541e" };
var HISTORY = 90;
var BUCKETS = [["< 10 s", 10], ["10–30 s", 30], ["30–60 s", 60], ["1–2 min", 120], ["> 2 min", Infinity]];
var SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}
function table(headings, rows, testId) {
  return el(
    "table",
    { "data-testid": testId },
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c)))))
  );
}
function percent(n, d) {
  return d > 0 ? `${Math.round(100 * n / d)} %` : "–";
}
function waitChart(waits, s) {
  const counts = BUCKETS.map(() => 0);
  for (const ms of waits) counts[BUCKETS.findIndex(([, max]) => ms / 1e3 < max)] += 1;
  const top = Math.max(1, ...counts);
  const chart = svg("svg", { viewBox: "0 0 360 140", role: "img", "aria-label": s.waitChartTitle, "data-testid": "wait-chart" });
  BUCKETS.forEach(([label], i) => {
    const h = 90 * counts[i] / top;
    const x = 10 + i * 70;
    chart.append(svg("rect", { x, y: 110 - h, width: 50, height: h, fill: "#2b4c7e", "data-count": counts[i] }));
    const value = svg("text", { x: x + 25, y: 106 - h, "text-anchor": "middle" });
    value.textContent = String(counts[i]);
    const name = svg("text", { x: x + 25, y: 128, "text-anchor": "middle" });
    name.textContent = label;
    chart.append(value, name);
  });
  return chart;
}
function modeChart(history, s) {
  const chart = svg("svg", { viewBox: "0 0 360 140", role: "img", "aria-label": s.modeChartTitle, "data-testid": "mode-chart" });
  const top = Math.max(1, ...history.flatMap((h) => MODES.map((m) => h[m])));
  const step = 340 / Math.max(1, HISTORY - 1);
  MODES.forEach((mode, i) => {
    const points = history.map((h, j) => `${10 + j * step},${110 - 100 * h[mode] / top}`).join(" ");
    chart.append(svg("polyline", { points, fill: "none", stroke: MODE_COLOURS[mode], "stroke-width": 2, "data-mode": mode }));
    const last = history[history.length - 1]?.[mode] ?? 0;
    const key = svg("text", { x: 10 + i * 110, y: 130, fill: MODE_COLOURS[mode], "data-testid": `mode-count-${mode}` });
    key.textContent = `${mode}: ${last}`;
    chart.append(key);
  });
  return chart;
}
async function main() {
  const s = stringsFor(params.get("locale") ?? document.documentElement.lang, params.get("strings"));
  document.head.append(el("style", {}, STYLE));
  const updated = el("span", { role: "status", "data-testid": "updated" }, "");
  const queues = el("section", { "aria-labelledby": "seam-q-h" });
  const agents = el("section", { "aria-labelledby": "seam-a-h" });
  const sessions = el("section", { "aria-labelledby": "seam-s-h" });
  const waits = el("section", { "aria-labelledby": "seam-w-h" });
  const modes = el("section", { "aria-labelledby": "seam-m-h" });
  const root = el(
    "main",
    { class: "seam-dashboard", id: "seam-dashboard" },
    el("header", {}, el("h1", {}, s.dashboardTitle), updated),
    queues,
    agents,
    sessions,
    waits,
    modes
  );
  document.body.append(root);
  const tokenUrl = params.get("token-url");
  if (!tokenUrl) {
    updated.textContent = "open this page with ?token-url=<endpoint answering {token}> (a supervisor token)";
    return;
  }
  const seam = await Seam.connect({ url: params.get("url") ?? defaultUrl(), token: tokenFrom(tokenUrl) });
  const history = [];
  const show = (overview, at) => {
    updated.textContent = format(s.updatedAt, { time: new Date(at).toLocaleTimeString() });
    queues.replaceChildren(
      el("h2", { id: "seam-q-h" }, s.queuesTitle),
      table(
        [s.queueCol, s.waitingCol, s.longestWaitCol, s.availableCol, s.serviceLevelCol, s.abandonedCol],
        overview.queues.map((q) => [
          q.name,
          String(q.waiting),
          q.waiting > 0 ? duration(q.longest_wait_ms ?? 0) : "–",
          String(q.agents_available),
          percent(q.answered_in_target_last_hour ?? 0, (q.answered_last_hour ?? 0) + (q.abandoned_last_hour ?? 0)),
          percent(q.abandoned_last_hour ?? 0, (q.answered_last_hour ?? 0) + (q.abandoned_last_hour ?? 0))
        ]),
        "queues"
      )
    );
    const byStatus = { available: 0, away: 0, offline: 0 };
    for (const a of overview.agents) byStatus[a.status] += 1;
    agents.replaceChildren(
      el("h2", { id: "seam-a-h" }, s.agentsTitle),
      el("p", { "data-testid": "agents-by-status" }, `${s.statusAvailable} ${byStatus.available} · ${s.statusAway} ${byStatus.away} · ${s.statusOffline} ${byStatus.offline}`),
      table(
        [s.agentCol, s.statusCol, s.loadCol],
        overview.agents.map((a) => [a.agent.name ?? a.agent.sub, a.status, `${a.sessions}/${a.capacity}`]),
        "agents"
      )
    );
    sessions.replaceChildren(
      el("h2", { id: "seam-s-h" }, s.liveSessionsTitle),
      table(
        [s.customerCol, s.queueCol, s.modeCol, s.withCol],
        overview.sessions.map((x) => [
          x.customer.name ?? x.customer.sub,
          x.queue ?? "–",
          x.mode,
          x.waiting ? s.waitingForAgent : x.staff.map((p) => p.name ?? p.sub).join(", ")
        ]),
        "live-sessions"
      )
    );
    const allWaits = overview.queues.flatMap((q) => q.waits_last_hour_ms ?? []);
    waits.replaceChildren(el("h2", { id: "seam-w-h" }, s.waitChartTitle), waitChart(allWaits, s));
    const counts = { chat: 0, voice: 0, video: 0 };
    for (const x of overview.sessions) counts[x.mode] += 1;
    history.push(counts);
    if (history.length > HISTORY) history.shift();
    modes.replaceChildren(el("h2", { id: "seam-m-h" }, s.modeChartTitle), modeChart(history, s));
  };
  seam.on("stats", ({ at, overview }) => show(overview, at));
  seam.on("connected", ({ reconnected }) => {
    if (reconnected) void seam.subscribeStats().then((o) => show(o, Date.now()), () => {
    });
  });
  try {
    show(await seam.subscribeStats(), Date.now());
    root.dataset.ready = "true";
  } catch (e) {
    updated.textContent = e instanceof Error ? e.message : String(e);
  }
}
void main();
