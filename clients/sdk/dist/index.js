// @seam/sdk: one connection to a seam broker, typed events, commands that
// resolve on the broker's ack, reconnect with backoff and resume from the
// last sequence number (nothing missed, nothing twice), and a WebRTC helper
// wired to seam's signaling and ICE servers. Browsers, and Node 22+ (or any
// runtime with a WebSocket, given as `webSocket`).
/** A command the broker refused (or that could not be sent). */
export class SeamError extends Error {
    constructor(code, message, frame) {
        super(`${code}: ${message}`);
        this.code = code;
        this.frame = frame;
    }
}
/** How often `report` sends a session's receipt at most, milliseconds. */
export const REPORT_EVERY_MS = 250;
/** Codes after which reconnecting cannot help. */
const FATAL = new Set([1000, 4000, 4002, 4004]);
/** `WebSocket.OPEN`, without needing a global `WebSocket`. */
const OPEN = 1;
/** A connection to seam. */
export class Seam {
    constructor(options) {
        this.options = options;
        this.pending = new Map();
        this.sessions = new Map();
        this.listeners = new Map();
        this.reports = new Map();
        this.counter = 0;
        this.prefix = Math.random().toString(16).slice(2, 10);
        this.attempt = 0;
        this.closed = false;
        this.connectedOnce = false;
        /** The latest ICE servers per session. */
        this.iceServers = new Map();
    }
    /** Connects and authenticates; rejects if the first attempt fails. */
    static async connect(options) {
        const seam = new Seam(options);
        await seam.open();
        return seam;
    }
    /** Subscribes to an event; returns the unsubscribe function. */
    on(kind, listener) {
        const set = this.listeners.get(kind) ?? new Set();
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
        this.ws = undefined;
        const willReconnect = !this.closed && !FATAL.has(code) && !(code === 4003 && typeof this.options.token === "string");
        this.emit("disconnected", { code, reason, willReconnect });
        if (!willReconnect) {
            for (const p of this.pending.values())
                p.reject(new SeamError("closed", reason || `closed (${code})`));
            this.pending.clear();
            return;
        }
        const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 200, maxMs: 10000 };
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
            this.pending.set(id, { id, text: JSON.stringify(frame), resolve: () => { }, reject: () => { }, internal: "resume" });
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
                    this.token().then((token) => this.send({ type: "refresh_token", token })).catch(() => { });
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
            }, this.options.ackTimeoutMs ?? 30000);
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
        }
        catch (e) {
            if (e instanceof SeamError && e.code === "session_not_found")
                return undefined;
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
        return (ack.sessions ?? []);
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
        return (ack.offline_messages ?? []);
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
            const body = (await response.json().catch(() => undefined));
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
            body: file,
        });
        return (await response.json());
    }
    /** A short-lived URL to an attachment's bytes (usable as a link or an `<img src>`). */
    async attachmentUrl(sessionId, attachmentId) {
        const path = `/v1/sessions/${encodeURIComponent(sessionId)}/attachments/${encodeURIComponent(attachmentId)}`;
        const link = (await (await this.http(path)).json());
        return `${this.httpBase()}${link.url}`;
    }
    /** Agents, bots, supervisors: the saved replies configured on the broker. */
    async cannedResponses() {
        const ack = await this.send({ type: "canned_responses" });
        return (ack.canned_responses ?? []);
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
            read_seq: horizons.read ?? null,
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
        if (r.timer !== undefined || !moved())
            return;
        r.timer = setTimeout(() => {
            r.timer = undefined;
            if (!moved())
                return;
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
        this.ws?.close(1000);
    }
}
/**
 * Whether nobody can answer now: the queue is closed, or nobody is on duty
 * for it. Without routing (no `queue`) duty is not known: never offline.
 */
export function offline(availability) {
    return !availability.open || (availability.queue != null && availability.agents_online === 0);
}
/**
 * A saved reply's text with its placeholders filled from the session:
 * `{name}` (the customer's name, else their sub), `{agent}` (the agent's
 * name), `{issue_type}`, `{page}`, and any context metadata key (signed
 * `metadata` first, then `customer_provided`). Placeholders without a value
 * are left as written, for the agent to fill in.
 */
export function fillCanned(text, session, agent) {
    const context = (session.context ?? {});
    const values = {
        ...(context.customer_provided ?? {}),
        ...(context.metadata ?? {}),
        issue_type: context.issue_type,
        page: context.page,
        name: session.customer.name ?? session.customer.sub,
        agent: agent ? agent.name ?? agent.sub : undefined,
    };
    return text.replace(/\{([A-Za-z0-9_.-]+)\}/g, (whole, key) => {
        const value = values[key];
        return value === undefined || value === null || value === "" ? whole : String(value);
    });
}
/**
 * One WebRTC call between this client and one peer of a session, with its
 * signaling going through seam. The side that asked for the upgrade calls
 * `start(peer)`; the other side answers automatically when the offer comes.
 */
export class Call {
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
            username: s.username ?? undefined,
            credential: s.credential ?? undefined,
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
                    sdp_m_line_index: c.sdpMLineIndex ?? null,
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
        }
        else if (signal.kind === "answer") {
            await this.pc?.setRemoteDescription({ type: "answer", sdp: signal.sdp });
            await this.flushCandidates();
        }
        else if (signal.kind === "ice_candidate") {
            const candidate = { candidate: signal.candidate, sdpMid: signal.sdp_mid ?? null, sdpMLineIndex: signal.sdp_m_line_index ?? null };
            if (this.pc?.remoteDescription)
                await this.pc.addIceCandidate(candidate);
            else
                this.early.push(candidate);
        }
        else if (signal.kind === "hangup") {
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
        this.pc = undefined;
    }
}
