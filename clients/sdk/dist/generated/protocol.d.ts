/**
 * A frame sent by a client.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ClientFrame".
 */
export type ClientFrame = {
    /**
     * The JWT, when not sent as a header.
     */
    token?: string | null;
    type: "hello";
    /**
     * Protocol versions the client supports.
     */
    versions: number[];
} | {
    /**
     * Context to add to the token's context (fields here win).
     */
    context?: CustomerContext | null;
    /**
     * Only attach to the customer's open session, never create one (answered `session_not_found` when there is none): a page can show an ongoing conversation without queueing a visitor who has not written yet.
     */
    existing_only?: boolean;
    /**
     * Command id.
     */
    id: string;
    type: "open_session";
} | {
    /**
     * The last sequence number this client has seen; omit for full history.
     */
    after_seq?: number | null;
    /**
     * The epoch `after_seq` was seen in.
     */
    epoch?: string | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "join";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "leave";
} | {
    /**
     * Agents and bots: a card shown with the text.
     */
    card?: Card | null;
    /**
     * Customers: the quick reply this message answers.
     */
    choice?: Choice | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * Agents and bots: buttons the customer may answer with.
     */
    quick_replies?: QuickReply[];
    /**
     * The session.
     */
    session_id: string;
    /**
     * The text.
     */
    text: string;
    type: "message";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The message's seq.
     */
    seq: number;
    /**
     * The session.
     */
    session_id: string;
    /**
     * The new text.
     */
    text: string;
    type: "edit_message";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The message's seq.
     */
    seq: number;
    /**
     * The session.
     */
    session_id: string;
    type: "delete_message";
} | {
    /**
     * Delivered up to this seq.
     */
    delivered_seq?: number | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * Read up to this seq.
     */
    read_seq?: number | null;
    /**
     * The session.
     */
    session_id: string;
    type: "receipt";
} | {
    /**
     * Typing now or stopped.
     */
    active: boolean;
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "typing";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * Optional reason shown in the transcript.
     */
    reason?: string | null;
    /**
     * The session.
     */
    session_id: string;
    type: "end_session";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The wanted mode (higher than the current one, or the same with screen sharing added).
     */
    mode: Mode;
    /**
     * Why, shown to the other side and in the transcript.
     */
    reason?: string | null;
    /**
     * Also share a screen.
     */
    screen_share?: boolean;
    /**
     * The session.
     */
    session_id: string;
    type: "request_mode";
} | {
    /**
     * Accept (the mode changes) or decline.
     */
    accept: boolean;
    /**
     * Command id.
     */
    id: string;
    /**
     * Why, if declining.
     */
    reason?: string | null;
    /**
     * The request being answered.
     */
    request_id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "answer_mode";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The request.
     */
    request_id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "cancel_mode_request";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The new, lower mode.
     */
    mode: Mode;
    /**
     * Why, for the transcript.
     */
    reason?: string | null;
    /**
     * Keep screen sharing on (only if it is on and the mode stays media).
     */
    screen_share?: boolean;
    /**
     * The session.
     */
    session_id: string;
    type: "set_mode";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    /**
     * The message.
     */
    signal: Signal;
    /**
     * The recipient.
     */
    to: SignalTarget;
    type: "signal";
} | {
    /**
     * Maximum concurrent sessions.
     */
    capacity?: number | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * Replace the token's skills.
     */
    skills?: string[] | null;
    /**
     * The new status.
     */
    status: AgentStatus;
    type: "set_status";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The offer.
     */
    offer_id: string;
    type: "accept_offer";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The offer.
     */
    offer_id: string;
    type: "decline_offer";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * A note only agents see.
     */
    note?: string | null;
    /**
     * The session.
     */
    session_id: string;
    /**
     * Where to.
     */
    to: TransferTarget;
    type: "transfer";
} | {
    /**
     * The agent's `sub`.
     */
    agent: string;
    /**
     * Command id.
     */
    id: string;
    /**
     * A note for them.
     */
    note?: string | null;
    /**
     * The session.
     */
    session_id: string;
    type: "invite_agent";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "monitor";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    /**
     * The text.
     */
    text: string;
    type: "whisper";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    /**
     * The text.
     */
    text: string;
    type: "note";
} | {
    /**
     * Command id.
     */
    id: string;
    type: "overview";
} | {
    /**
     * Command id.
     */
    id: string;
    type: "subscribe_stats";
} | {
    /**
     * Command id.
     */
    id: string;
    type: "my_sessions";
} | {
    /**
     * Command id.
     */
    id: string;
    type: "canned_responses";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * Ask for this issue type's queue instead of the token's.
     */
    issue_type?: string | null;
    type: "availability";
} | {
    /**
     * Context to add to the token's (as for `open_session`).
     */
    context?: CustomerContext | null;
    /**
     * Where to reply.
     */
    email: string;
    /**
     * Command id.
     */
    id: string;
    /**
     * The message.
     */
    text: string;
    type: "leave_message";
} | {
    /**
     * Command id.
     */
    id: string;
    type: "offline_messages";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * Ask the agent for voice or video on arrival.
     */
    mode?: Mode | null;
    /**
     * The session.
     */
    session_id: string;
    /**
     * What the agent should know.
     */
    summary?: string | null;
    type: "handoff";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The session.
     */
    session_id: string;
    type: "recommend_mode";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * Ask the agent for voice or video on arrival.
     */
    mode?: Mode | null;
    /**
     * The session.
     */
    session_id: string;
    type: "request_agent";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The issue type the page suggests.
     */
    issue_type?: string | null;
    /**
     * The page.
     */
    page: string;
    type: "page_view";
} | {
    /**
     * Context the session opens with.
     */
    context?: CustomerContext | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * The mode offered.
     */
    mode: Mode;
    /**
     * The visitor's `sub`.
     */
    sub: string;
    /**
     * What about.
     */
    topic: string;
    type: "invite_visitor";
} | {
    /**
     * Accept or decline.
     */
    accept: boolean;
    /**
     * Command id.
     */
    id: string;
    /**
     * The invitation.
     */
    invitation_id: string;
    type: "answer_invitation";
} | {
    /**
     * Free text.
     */
    comment?: string | null;
    /**
     * Command id.
     */
    id: string;
    /**
     * 1 (bad) to 5 (great).
     */
    score: number;
    /**
     * The session.
     */
    session_id: string;
    type: "rate_session";
} | {
    /**
     * Command id.
     */
    id: string;
    /**
     * The fresh JWT, for the same principal.
     */
    token: string;
    type: "refresh_token";
};
/**
 * How a session's participants talk. Ordered: chat < voice < video.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Mode".
 */
export type Mode = "chat" | "voice" | "video";
/**
 * A WebRTC signaling message, relayed as is and never stored.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Signal".
 */
export type Signal = {
    kind: "offer";
    /**
     * The SDP.
     */
    sdp: string;
} | {
    kind: "answer";
    /**
     * The SDP.
     */
    sdp: string;
} | {
    /**
     * The candidate line.
     */
    candidate: string;
    kind: "ice_candidate";
    /**
     * The media line index.
     */
    sdp_m_line_index?: number | null;
    /**
     * The media stream id.
     */
    sdp_mid?: string | null;
} | {
    kind: "hangup";
};
/**
 * Whether an agent (or bot) takes new sessions.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "AgentStatus".
 */
export type AgentStatus = "available" | "away" | "offline";
/**
 * Where a transfer sends a session.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "TransferTarget".
 */
export type TransferTarget = {
    agent: string;
} | {
    queue: string;
};
/**
 * A frame sent by the broker.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ServerFrame".
 */
export type ServerFrame = {
    /**
     * This connection's id (for logs and support).
     */
    connection_id: string;
    /**
     * When the token expires, Unix seconds.
     */
    expires_at: number;
    /**
     * How often the broker pings; answer pongs promptly.
     */
    heartbeat_interval_ms: number;
    /**
     * The limits this broker enforces.
     */
    limits: Limits;
    /**
     * Who the token says the client is.
     */
    principal: Principal;
    type: "welcome";
    /**
     * The negotiated protocol version.
     */
    version: number;
} | {
    /**
     * For `availability`: whether someone can answer now.
     */
    availability?: Availability | null;
    /**
     * For `canned_responses`: the saved replies, by shortcut.
     */
    canned_responses?: CannedResponse[] | null;
    /**
     * True when this command id was already applied: nothing new was stored, `seq` is the original event's.
     */
    duplicate?: boolean;
    /**
     * The new token expiry, Unix seconds, for `refresh_token`.
     */
    expires_at?: number | null;
    /**
     * The command's id.
     */
    id: string;
    /**
     * The invitation's id, for `invite_visitor`.
     */
    invitation_id?: string | null;
    /**
     * For `offline_messages`: messages customers left, newest first.
     */
    offline_messages?: OfflineMessage[] | null;
    /**
     * Routing state, for `overview`.
     */
    overview?: Overview | null;
    /**
     * For `recommend_mode`: the mode to offer first, and why.
     */
    recommendation?: ModeRecommendation | null;
    /**
     * The new request's id, for `request_mode`.
     */
    request_id?: string | null;
    /**
     * What `join` replayed; the replayed events follow this ack.
     */
    resume?: ResumeOutcome | null;
    /**
     * The sequence number of the event the command stored, if it stored one.
     */
    seq?: number | null;
    /**
     * The session's state, for `open_session` and `join`.
     */
    session?: SessionSnapshot | null;
    /**
     * The session the command acted on.
     */
    session_id?: string | null;
    /**
     * For `my_sessions`: the open sessions the principal takes part in.
     */
    sessions?: SessionOverview[] | null;
    type: "ack";
} | {
    /**
     * Stable machine-readable code.
     */
    code: ErrorCode;
    /**
     * The failed command's id, when it could be read.
     */
    id?: string | null;
    /**
     * What went wrong, for a human.
     */
    message: string;
    /**
     * For `rate_limited`: when a retry may succeed.
     */
    retry_after_ms?: number | null;
    /**
     * The session concerned, if any.
     */
    session_id?: string | null;
    type: "error";
} | {
    /**
     * When the broker stored it, Unix milliseconds.
     */
    at: number;
    /**
     * What happened.
     */
    body: EventBody;
    /**
     * The id of the client command that produced it, if any.
     */
    client_id?: string | null;
    /**
     * Who caused it.
     */
    from: Principal;
    /**
     * Position in the session's log: 1, 2, 3, ... without gaps.
     */
    seq: number;
    /**
     * The session the event belongs to.
     */
    session_id: string;
    type: "event";
} | {
    /**
     * Typing now or stopped.
     */
    active: boolean;
    /**
     * Who is typing.
     */
    from: Principal;
    /**
     * The session.
     */
    session_id: string;
    type: "typing";
} | {
    /**
     * Every event up to this seq reached one of their devices (0: none).
     */
    delivered_seq: number;
    /**
     * The participant.
     */
    participant: Principal;
    /**
     * They have seen every event up to this seq (0: none); never above `delivered_seq`.
     */
    read_seq: number;
    /**
     * The session.
     */
    session_id: string;
    type: "receipt";
} | {
    /**
     * Who sent it.
     */
    from: Principal;
    /**
     * The sender's connection: address replies to it.
     */
    from_connection: string;
    /**
     * The session.
     */
    session_id: string;
    /**
     * The message.
     */
    signal: Signal;
    type: "signal";
} | {
    /**
     * When time-limited credentials expire, Unix seconds.
     */
    expires_at?: number | null;
    /**
     * Servers in `RTCIceServer` shape.
     */
    ice_servers: IceServer[];
    /**
     * The session.
     */
    session_id: string;
    type: "ice_servers";
} | {
    /**
     * What the customer came for.
     */
    context: CustomerContext;
    /**
     * The customer.
     */
    customer: Principal;
    /**
     * When the offer lapses and goes to someone else, Unix milliseconds.
     */
    expires_at: number;
    /**
     * The first message the customer wrote while waiting, shortened to 280 characters; the offer is sent again, same `offer_id`, when it arrives after the offer.
     */
    first_message?: string | null;
    /**
     * Why this offer.
     */
    kind: OfferKind;
    /**
     * A note from the transferring or inviting agent, or a bot's summary.
     */
    note?: string | null;
    /**
     * Identifies the offer in `accept_offer` / `decline_offer`.
     */
    offer_id: string;
    /**
     * The queue it waits in, if any.
     */
    queue?: string | null;
    /**
     * The session.
     */
    session_id: string;
    type: "offer";
    /**
     * How long the session had waited in its queue when offered, milliseconds (0 for a conference invitation).
     */
    waited_ms?: number;
} | {
    /**
     * The offer.
     */
    offer_id: string;
    /**
     * `expired`, `ended`, `taken`.
     */
    reason: string;
    type: "offer_revoked";
} | {
    /**
     * Estimated wait from recent waits in this queue, milliseconds.
     */
    estimated_wait_ms: number;
    /**
     * 1 = next.
     */
    position: number;
    /**
     * The queue.
     */
    queue: string;
    /**
     * The session.
     */
    session_id: string;
    type: "queue_status";
} | {
    /**
     * Context the session opens with.
     */
    context?: CustomerContext;
    /**
     * Who invites (a service, or the broker's rule engine as a service).
     */
    from: Principal;
    /**
     * Identifies it in `answer_invitation`.
     */
    invitation_id: string;
    /**
     * The mode offered.
     */
    mode: Mode;
    /**
     * What about, shown to the visitor.
     */
    topic: string;
    type: "invitation";
} | {
    /**
     * When it was taken, Unix milliseconds.
     */
    at: number;
    /**
     * Queues, agents and open sessions.
     */
    overview: Overview;
    type: "stats";
} | {
    /**
     * The session.
     */
    session_id: string;
    type: "rating_requested";
} | {
    /**
     * The token's expiry, Unix seconds.
     */
    expires_at: number;
    type: "token_expiring";
};
/**
 * The kind of principal a token authenticates.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Role".
 */
export type Role = "customer" | "agent" | "supervisor" | "bot" | "service";
/**
 * Whether a session still accepts events.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "SessionState".
 */
export type SessionState = "open" | "ended";
/**
 * How a `join` with `after_seq` went.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ResumeOutcome".
 */
export type ResumeOutcome = {
    /**
     * How many events follow.
     */
    replayed: number;
    status: "complete";
} | {
    /**
     * The oldest event the broker still holds.
     */
    first_available_seq: number;
    /**
     * How many events follow.
     */
    replayed: number;
    status: "truncated";
} | {
    /**
     * How many events follow.
     */
    replayed: number;
    status: "reset";
};
/**
 * The stable code of an `error` frame. The connection stays open after an error frame; the command it answers had no effect.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ErrorCode".
 */
export type ErrorCode = "bad_json" | "unknown_type" | "invalid_message" | "frame_too_large" | "message_too_large" | "rate_limited" | "already_authenticated" | "forbidden" | "not_your_session" | "session_not_found" | "session_ended" | "not_a_participant" | "invalid_token" | "mode_disabled" | "invalid_mode_change" | "consent_required" | "request_pending" | "request_not_found" | "not_your_request" | "not_in_call" | "target_not_found" | "offer_not_found" | "queue_not_found" | "agent_not_found" | "invitation_not_found" | "visitor_not_found" | "session_not_ended" | "already_rated" | "unavailable" | "internal";
/**
 * What a stored event says happened.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "EventBody".
 */
export type EventBody = {
    /**
     * The customer's context at opening.
     */
    context: CustomerContext;
    kind: "session_opened";
} | {
    kind: "participant_joined";
    /**
     * Who joined.
     */
    participant: Principal;
} | {
    kind: "participant_left";
    /**
     * Who left.
     */
    participant: Principal;
    /**
     * Why, when they did not leave by themselves (absent: they left).
     */
    reason?: LeaveReason | null;
} | {
    /**
     * A card shown with the text (agents and bots).
     */
    card?: Card | null;
    /**
     * The quick reply this message answers (customers).
     */
    choice?: Choice | null;
    /**
     * In a replay: the author deleted it; `text` is empty.
     */
    deleted?: boolean;
    /**
     * In a replay: the author edited it since; `text` is the latest.
     */
    edited?: boolean;
    kind: "message";
    /**
     * Buttons the customer may answer with (agents and bots).
     */
    quick_replies?: QuickReply[];
    /**
     * The message text.
     */
    text: string;
} | {
    kind: "message_edited";
    /**
     * The message.
     */
    seq: number;
    /**
     * Its new text.
     */
    text: string;
} | {
    kind: "message_deleted";
    /**
     * The message.
     */
    seq: number;
} | {
    /**
     * The file.
     */
    attachment: AttachmentInfo;
    kind: "attachment";
} | {
    kind: "mode_requested";
    /**
     * Why, as the requester put it.
     */
    reason?: string | null;
    /**
     * The request.
     */
    request: ModeRequest;
} | {
    kind: "mode_request_declined";
    /**
     * Why, if they said.
     */
    reason?: string | null;
    /**
     * The request.
     */
    request_id: string;
} | {
    kind: "mode_request_cancelled";
    /**
     * The request.
     */
    request_id: string;
} | {
    kind: "mode_request_expired";
    /**
     * The request.
     */
    request_id: string;
} | {
    kind: "mode_changed";
    /**
     * The mode now.
     */
    mode: Mode;
    /**
     * The mode before.
     */
    previous: Mode;
    /**
     * Why, if the actor said.
     */
    reason?: string | null;
    /**
     * The accepted request, for upgrades.
     */
    request_id?: string | null;
    /**
     * Screen sharing now on or off.
     */
    screen_share?: boolean;
} | {
    kind: "mode_recommended";
    /**
     * The recommendation.
     */
    recommendation: ModeRecommendation;
} | {
    kind: "queued";
    /**
     * The queue.
     */
    queue: string;
} | {
    /**
     * The agent.
     */
    agent: Principal;
    kind: "assigned";
    /**
     * The queue it came from, if any.
     */
    queue?: string | null;
    /**
     * How long the customer waited, milliseconds.
     */
    waited_ms: number;
} | {
    kind: "transferred";
    /**
     * Where to.
     */
    to: TransferTarget;
} | {
    kind: "handed_off";
    /**
     * The queue the session now waits in.
     */
    queue: string;
    /**
     * The mode the customer asked for (voice or video), if any.
     */
    requested_mode?: Mode | null;
    /**
     * The bot's summary for the agent.
     */
    summary?: string | null;
} | {
    kind: "queue_abandoned";
    /**
     * The queue.
     */
    queue: string;
    /**
     * How long they waited, milliseconds.
     */
    waited_ms: number;
} | {
    kind: "whisper";
    /**
     * The text.
     */
    text: string;
} | {
    kind: "note";
    /**
     * The text.
     */
    text: string;
} | {
    /**
     * Where to reply.
     */
    email: string;
    kind: "offline_message";
    /**
     * The queue that would have served it.
     */
    queue?: string | null;
    /**
     * The message.
     */
    text: string;
} | {
    /**
     * What they said.
     */
    comment?: string | null;
    kind: "rated";
    /**
     * 1 (bad) to 5 (great).
     */
    score: number;
} | {
    /**
     * How.
     */
    access: Access;
    /**
     * Who.
     */
    by: Principal;
    kind: "staff_accessed";
} | {
    kind: "session_ended";
    /**
     * Why, if the ender said.
     */
    reason?: string | null;
};
/**
 * Why a participant left without saying so.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "LeaveReason".
 */
export type LeaveReason = "offline";
/**
 * How a supervisor opened a session they were not assigned to.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Access".
 */
export type Access = "monitor" | "join" | "read";
/**
 * Why a session is being offered to an agent.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "OfferKind".
 */
export type OfferKind = "queue" | "transfer" | "conference";
/**
 * Both directions of the protocol, so one schema names every type.
 */
export interface Protocol {
    /**
     * A signed link to an attachment's bytes (HTTP).
     */
    attachment_link: AttachmentLink;
    /**
     * The answer to an attachment upload (HTTP).
     */
    attachment_uploaded: AttachmentUploaded;
    /**
     * Frames a client sends.
     */
    client: ClientFrame;
    /**
     * Frames the broker sends.
     */
    server: ServerFrame;
}
/**
 * `GET /v1/sessions/{id}/attachments/{attachment}`: a link to the bytes.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "AttachmentLink".
 */
export interface AttachmentLink {
    /**
     * When the link stops working, Unix milliseconds.
     */
    expires_at: number;
    /**
     * The signed path (relative to the broker's HTTP address), valid until `expires_at`, needing no token: usable as an `<img src>`.
     */
    url: string;
}
/**
 * `POST /v1/sessions/{id}/attachments`: the stored file and its event.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "AttachmentUploaded".
 */
export interface AttachmentUploaded {
    /**
     * The file.
     */
    attachment: AttachmentInfo;
    /**
     * True when this `Idempotency-Key` was already used: nothing new was stored.
     */
    duplicate?: boolean;
    /**
     * The `seq` of the `attachment` event.
     */
    seq: number;
    /**
     * The session.
     */
    session_id: string;
}
/**
 * A file or image attached to a session (uploaded over HTTP; the bytes are fetched through a short-lived signed link, never inline).
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "AttachmentInfo".
 */
export interface AttachmentInfo {
    /**
     * Its type, recognised from its first bytes (e.g. `image/png`).
     */
    content_type: string;
    /**
     * Its id within the session.
     */
    id: string;
    /**
     * The file name, as uploaded (for display and download).
     */
    name: string;
    /**
     * Its size in bytes.
     */
    size: number;
    /**
     * For images: a small preview (at most 160 px a side) as a `data:image/jpeg;base64,...` URL.
     */
    thumbnail?: string | null;
}
/**
 * What a customer came for: carried by the customer's token and/or the `open_session` command, shown to every agent who joins.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "CustomerContext".
 */
export interface CustomerContext {
    /**
     * Keys the customer's own client added in `open_session`: unverified, never overriding `metadata`; show them to agents as such.
     */
    customer_provided?: {
        [k: string]: unknown;
    };
    /**
     * The kind of problem, e.g. `"billing"`; later used for routing.
     */
    issue_type?: string | null;
    /**
     * Free metadata from the company's site (plan, order id, ...), as the company signed it into the customer's token (or sent it with an invitation).
     */
    metadata?: {
        [k: string]: unknown;
    };
    /**
     * The page the customer was on.
     */
    page?: string | null;
}
/**
 * A simple card shown with a message: a title, text, an image, a link.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Card".
 */
export interface Card {
    /**
     * An image (`https://` or `http://`).
     */
    image_url?: string | null;
    /**
     * The link's words (default: the title).
     */
    link_label?: string | null;
    /**
     * Where the card leads (`https://` or `http://`).
     */
    link_url?: string | null;
    /**
     * A few lines under it.
     */
    text?: string | null;
    /**
     * The card's title.
     */
    title: string;
}
/**
 * The quick reply a customer's message answers.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Choice".
 */
export interface Choice {
    /**
     * The quick reply's `id`.
     */
    id: string;
    /**
     * The message that offered it.
     */
    seq: number;
}
/**
 * A button under a message (from an agent or a bot). The customer's click sends its `label` as a message whose `choice` names it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "QuickReply".
 */
export interface QuickReply {
    /**
     * Unique among the message's quick replies, e.g. `hours`.
     */
    id: string;
    /**
     * What the button says (and what the customer's answer says).
     */
    label: string;
}
/**
 * Whom a signaling message is for: every connection of a participant, or one connection (as named by an earlier signal's `from_connection`).
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "SignalTarget".
 */
export interface SignalTarget {
    /**
     * One of their connections; omit for all of them.
     */
    connection_id?: string | null;
    /**
     * The participant.
     */
    sub: string;
}
/**
 * Limits a client should respect to avoid errors.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Limits".
 */
export interface Limits {
    /**
     * Commands that may be sent in a burst above the sustained rate.
     */
    command_burst: number;
    /**
     * Sustained commands per second per connection.
     */
    commands_per_second: number;
    /**
     * How long after sending a message its author may edit or delete it, in seconds (0: never).
     */
    edit_window_secs?: number;
    /**
     * Largest accepted frame, in bytes.
     */
    max_frame_bytes: number;
    /**
     * Longest accepted chat text, in characters.
     */
    max_text_chars: number;
}
/**
 * The public identity of a participant, as other participants see it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Principal".
 */
export interface Principal {
    /**
     * Display name, when the token carries one.
     */
    name?: string | null;
    /**
     * The principal's role.
     */
    role: Role;
    /**
     * Stable subject identifier from the token (`sub`).
     */
    sub: string;
}
/**
 * Whether a customer writing now would reach someone: the queue their session would enter, its opening hours, and who is on duty.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Availability".
 */
export interface Availability {
    /**
     * Agents (or bots) on duty for it now: available, with its skills, busy or not.
     */
    agents_online: number;
    /**
     * Estimated wait for a session entering now, milliseconds (0: none measured yet).
     */
    estimated_wait_ms: number;
    /**
     * Within the queue's opening hours (always, for a queue without any).
     */
    open: boolean;
    /**
     * When it is closed: when it opens next, Unix milliseconds.
     */
    opens_at?: number | null;
    /**
     * The queue a session would enter (none without routing).
     */
    queue?: string | null;
}
/**
 * A saved reply an agent inserts by its shortcut (`/refund`), its placeholders (`{name}`, `{order}`, ...) filled from the session.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "CannedResponse".
 */
export interface CannedResponse {
    /**
     * What the agent types after `/`, e.g. `refund`.
     */
    shortcut: string;
    /**
     * The reply, with `{placeholders}`.
     */
    text: string;
    /**
     * A short label for pickers.
     */
    title?: string | null;
}
/**
 * A message a customer left for an email answer, as agents list them.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "OfflineMessage".
 */
export interface OfflineMessage {
    /**
     * When, Unix milliseconds.
     */
    at: number;
    /**
     * Who left it.
     */
    customer: Principal;
    /**
     * Where to reply.
     */
    email: string;
    /**
     * The queue that would have served it.
     */
    queue?: string | null;
    /**
     * The session it was stored in.
     */
    session_id: string;
    /**
     * The message.
     */
    text: string;
}
/**
 * What supervisors and services see of the broker's routing.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Overview".
 */
export interface Overview {
    /**
     * Every known agent and bot.
     */
    agents: AgentOverview[];
    /**
     * Proactive invitations.
     */
    invitations: InvitationStats;
    /**
     * Every configured queue.
     */
    queues: QueueOverview[];
    /**
     * Every open session.
     */
    sessions: SessionOverview[];
}
/**
 * An agent as a supervisor sees it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "AgentOverview".
 */
export interface AgentOverview {
    /**
     * Who.
     */
    agent: Principal;
    /**
     * Maximum concurrent sessions.
     */
    capacity: number;
    /**
     * Sessions assigned now.
     */
    sessions: number;
    /**
     * Skills.
     */
    skills: string[];
    /**
     * Status.
     */
    status: AgentStatus;
}
/**
 * How proactive invitations fared.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "InvitationStats".
 */
export interface InvitationStats {
    /**
     * Accepted: a session opened.
     */
    accepted: number;
    /**
     * Declined by the visitor.
     */
    declined: number;
    /**
     * Invitations sent (by services and by rules).
     */
    sent: number;
}
/**
 * A queue as a supervisor sees it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "QueueOverview".
 */
export interface QueueOverview {
    /**
     * Sessions that left this queue before being answered.
     */
    abandoned: number;
    /**
     * Sessions abandoned in the last hour. The service level is `answered_in_target_last_hour / (answered_last_hour + abandoned_last_hour)`.
     */
    abandoned_last_hour?: number;
    /**
     * Eligible agents currently available with spare capacity.
     */
    agents_available: number;
    /**
     * Of them, answered within `routing.service_level_secs`.
     */
    answered_in_target_last_hour?: number;
    /**
     * Sessions answered in the last hour.
     */
    answered_last_hour?: number;
    /**
     * Estimated wait for a session entering now, milliseconds.
     */
    estimated_wait_ms: number;
    /**
     * How long the session waiting longest has waited, milliseconds.
     */
    longest_wait_ms?: number;
    /**
     * Its name.
     */
    name: string;
    /**
     * Sessions waiting.
     */
    waiting: number;
    /**
     * How long each session answered in the last hour waited, milliseconds (for a wait distribution).
     */
    waits_last_hour_ms?: number[];
}
/**
 * A live session as a supervisor sees it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "SessionOverview".
 */
export interface SessionOverview {
    /**
     * Its customer.
     */
    customer: Principal;
    /**
     * Its mode.
     */
    mode: Mode;
    /**
     * The queue it waits in or came through.
     */
    queue?: string | null;
    /**
     * The session.
     */
    session_id: string;
    /**
     * Its participants other than the customer.
     */
    staff: Principal[];
    /**
     * Open or ended.
     */
    state: SessionState;
    /**
     * Whether it is waiting for an agent.
     */
    waiting: boolean;
}
/**
 * The mode the broker recommends for a session, learned from how past sessions about the same issue type ended (see docs/analytics.md), with the evidence behind it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ModeRecommendation".
 */
export interface ModeRecommendation {
    /**
     * Every mode available when it was made (enabled, and an agent free for it), most likely first: `choices[0].mode == mode` is not guaranteed (exploration), ordering is by probability.
     */
    choices: ModeChoice[];
    /**
     * The issue type it was learned for (absent: sessions without one).
     */
    issue_type?: string | null;
    /**
     * The recommended mode: offer it first.
     */
    mode: Mode;
    /**
     * The chance the policy had of recommending `mode` (between the exploration floor and 1), for offline evaluation.
     */
    probability: number;
}
/**
 * One available mode in a [`ModeRecommendation`]: how likely the policy was to pick it, and the outcomes it learned from.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ModeChoice".
 */
export interface ModeChoice {
    /**
     * The mode.
     */
    mode: Mode;
    /**
     * The chance the policy gave it.
     */
    probability: number;
    /**
     * Of those, the ones resolved well (no repeat contact within the resolution window, not rated 1 or 2).
     */
    resolved: number;
    /**
     * Past sessions about this issue type served in this mode whose outcome is known.
     */
    sessions: number;
}
/**
 * A point-in-time view of a session, sent when a connection attaches to it.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "SessionSnapshot".
 */
export interface SessionSnapshot {
    /**
     * What the customer came for.
     */
    context: CustomerContext;
    /**
     * Creation time, Unix milliseconds.
     */
    created_at: number;
    /**
     * The customer the session belongs to.
     */
    customer: Principal;
    /**
     * Identifies this incarnation of the session's log. A `seq` is only meaningful together with the epoch it was seen in.
     */
    epoch: string;
    /**
     * The sequence number of the last stored event (0 if none).
     */
    last_seq: number;
    /**
     * The session's current mode; everyone in the session is in its call.
     */
    mode?: Mode & string;
    /**
     * An upgrade request awaiting an answer.
     */
    mode_request?: ModeRequest | null;
    /**
     * Everyone currently in the session (customer first).
     */
    participants: Principal[];
    /**
     * How far each participant who reported it has got (delivery and read receipts), in no particular order.
     */
    receipts?: Receipt[];
    /**
     * Whether screen sharing is on (voice or video only).
     */
    screen_share?: boolean;
    /**
     * The session's id.
     */
    session_id: string;
    /**
     * Open or ended.
     */
    state: SessionState;
}
/**
 * An upgrade request waiting for the other side's answer.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ModeRequest".
 */
export interface ModeRequest {
    /**
     * When the request expires unanswered, Unix milliseconds.
     */
    expires_at: number;
    /**
     * The requested mode.
     */
    mode: Mode;
    /**
     * Identifies the request in answers and outcome events.
     */
    request_id: string;
    /**
     * Who asked.
     */
    requested_by: Principal;
    /**
     * Whether screen sharing was requested with it.
     */
    screen_share?: boolean;
}
/**
 * How far one participant has got in a session's log.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Receipt".
 */
export interface Receipt {
    /**
     * Every event up to this seq reached one of their devices (0: none).
     */
    delivered_seq: number;
    /**
     * The participant.
     */
    participant: Principal;
    /**
     * They have seen every event up to this seq (0: none); never above `delivered_seq`.
     */
    read_seq: number;
}
/**
 * One STUN or TURN server, in the shape of WebRTC's `RTCIceServer`.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "IceServer".
 */
export interface IceServer {
    /**
     * TURN password.
     */
    credential?: string | null;
    /**
     * `stun:` / `turn:` / `turns:` URLs.
     */
    urls: string[];
    /**
     * TURN username.
     */
    username?: string | null;
}
