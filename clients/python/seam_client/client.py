"""The connection: a background task owns the WebSocket (connect, resume,
resend, deduplicate, reconnect); ``Client``'s methods resolve on the
broker's ``ack``."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import pydantic
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from . import models as m
from .errors import AckTimeout, Closed, ConnectError, Rejected, SeamError

log = logging.getLogger("seam_client")

#: Returns a fresh token; called at every (re)connection and on
#: ``token_expiring``.
TokenProvider = Callable[[], Awaitable[str]]

#: The protocol versions this client speaks.
VERSIONS = [1]

# Close codes after which reconnecting cannot help (docs/protocol.md).
_FATAL_CLOSES = {1000, 4000, 4002, 4004}
_TOKEN_EXPIRED = 4003


@dataclass(frozen=True)
class Connected:
    """A connection was (re-)established and authenticated."""

    welcome: m.ServerFrameWelcome
    reconnected: bool


@dataclass(frozen=True)
class Disconnected:
    """The connection was lost; ``will_reconnect`` says whether the client
    tries again (it resumes every session when it does)."""

    code: int | None
    reason: str
    will_reconnect: bool


@dataclass(frozen=True)
class Resumed:
    """A session was re-attached after a reconnect; its missed events follow."""

    session_id: str
    outcome: m.ResumeOutcomeComplete | m.ResumeOutcomeTruncated | m.ResumeOutcomeReset


class UnknownEventBody(pydantic.BaseModel):
    """An event kind this client does not know (a newer broker): its ``seq``
    still counts; show nothing of it to a customer."""

    model_config = pydantic.ConfigDict(extra="allow")
    kind: str


#: Everything ``Client.events()`` yields.
Event = Union[
    m.ServerFrameEvent,
    m.ServerFrameTyping,
    m.ServerFrameReceipt,
    m.ServerFrameStats,
    m.ServerFrameSignal,
    m.ServerFrameIceServers,
    m.ServerFrameOffer,
    m.ServerFrameOfferRevoked,
    m.ServerFrameQueueStatus,
    m.ServerFrameInvitation,
    m.ServerFrameRatingRequested,
    m.ServerFrameTokenExpiring,
    m.ServerFrameError,
    Connected,
    Disconnected,
    Resumed,
]

# Pushed frames the client hands to ``events()`` as they are.
_PUSHED: dict[str, type[pydantic.BaseModel]] = {
    "typing": m.ServerFrameTyping,
    "receipt": m.ServerFrameReceipt,
    "stats": m.ServerFrameStats,
    "signal": m.ServerFrameSignal,
    "ice_servers": m.ServerFrameIceServers,
    "offer": m.ServerFrameOffer,
    "offer_revoked": m.ServerFrameOfferRevoked,
    "queue_status": m.ServerFrameQueueStatus,
    "invitation": m.ServerFrameInvitation,
    "rating_requested": m.ServerFrameRatingRequested,
    "token_expiring": m.ServerFrameTokenExpiring,
}

_END = object()


@dataclass
class _Pending:
    """A command sent (or to be sent) and not yet acknowledged."""

    text: str
    kind: Literal["user", "resume", "refresh"]
    future: asyncio.Future[m.ServerFrameAck] | None = None
    session_id: str | None = None
    # The connection generation it was last sent on.
    sent_on: int = -1


@dataclass
class _Tracked:
    epoch: str
    last_seq: int = 0


@dataclass
class _Options:
    ack_timeout: float
    max_backoff: float
    open_timeout: float
    reconnect: bool
    extra_headers: dict[str, str] = field(default_factory=dict)


class Client:
    """A connection to seam. Create it with :meth:`connect`."""

    def __init__(self, url: str, token: str | TokenProvider, options: _Options) -> None:
        self._url = url
        self._token = token
        self._options = options
        self._prefix = secrets.token_hex(3)
        self._next = 0
        self._pending: dict[str, _Pending] = {}
        self._sessions: dict[str, _Tracked] = {}
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._generation = 0
        self._ready_on = -1
        self._closing = False
        self._closed: Closed | None = None
        self._driver: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.welcome: m.ServerFrameWelcome | None = None
        #: When the token in force expires, Unix seconds.
        self.expires_at: int | None = None

    @classmethod
    async def connect(
        cls,
        url: str,
        token: str | TokenProvider,
        *,
        ack_timeout: float = 30.0,
        max_backoff: float = 10.0,
        open_timeout: float = 10.0,
        reconnect: bool = True,
    ) -> Client:
        """Connects to ``url`` (``ws://host:port/ws``) and authenticates.

        ``token`` is a JWT, or an async function returning a fresh one (then
        the client renews it on ``token_expiring`` and at every reconnect).
        Raises :class:`Closed` when the broker refuses the token or the
        version, :class:`ConnectError` when it cannot be reached.
        """
        client = cls(url, token, _Options(ack_timeout, max_backoff, open_timeout, reconnect))
        try:
            ws = await client._connect_once()
        except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake) as e:
            raise ConnectError(f"cannot connect to {url}: {e}") from e
        client._ws = ws
        client._driver = asyncio.create_task(client._run(ws))
        return client

    # -- commands -------------------------------------------------------

    def next_id(self) -> str:
        """A fresh command id, unique to this client."""
        self._next += 1
        return f"{self._prefix}-{self._next}"

    async def send(self, frame: pydantic.BaseModel | dict[str, Any]) -> m.ServerFrameAck:
        """Sends any command (a generated ``ClientFrame…`` model or a dict
        with its ``type``); returns the ack, raises :class:`Rejected` on an
        ``error``. Resent under the same id after a reconnect, and after
        ``retry_after_ms`` when the broker says ``rate_limited`` or
        ``unavailable``: never applied twice."""
        if self._closed is not None:
            raise self._closed
        data = _dump(frame)
        data.setdefault("id", self.next_id())
        command_id = data["id"]
        text = json.dumps(data, separators=(",", ":"))
        limit = self.welcome.limits.max_frame_bytes if self.welcome else None
        if limit is not None and len(text.encode()) > limit:
            raise Rejected(
                m.ServerFrameError(
                    type="error",
                    id=command_id,
                    code="frame_too_large",
                    message=f"frame of {len(text.encode())} bytes exceeds the broker's limit of {limit}",
                )
            )
        future: asyncio.Future[m.ServerFrameAck] = asyncio.get_running_loop().create_future()
        pending = _Pending(text=text, kind="user", future=future)
        self._pending[command_id] = pending
        await self._send_now(pending)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._options.ack_timeout)
        except asyncio.TimeoutError:
            self._pending.pop(command_id, None)
            raise AckTimeout(f"no ack for {data['type']} {command_id}") from None

    async def open_session(
        self, context: dict[str, Any] | None = None, *, existing_only: bool = False
    ) -> m.SessionSnapshot:
        """Customers: opens a session or attaches to their open one."""
        frame = m.ClientFrameOpenSession(
            type="open_session",
            id=self.next_id(),
            context=m.CustomerContext.model_validate(context) if context else None,
            existing_only=existing_only or None,
        )
        return _snapshot(await self.send(frame))

    async def join(self, session_id: str) -> m.SessionSnapshot:
        """Attaches to a session (agents, supervisors, bots; anyone to read)."""
        frame = m.ClientFrameJoin(type="join", id=self.next_id(), session_id=session_id)
        return _snapshot(await self.send(frame))

    async def send_message(
        self,
        session_id: str,
        text: str,
        *,
        quick_replies: list[m.QuickReply] | None = None,
        card: m.Card | None = None,
    ) -> m.ServerFrameAck:
        """Posts a message; the ack carries its ``seq``. Agents and bots may
        add ``quick_replies`` (buttons the customer answers with) and a ``card``."""
        frame = m.ClientFrameMessage(
            type="message",
            id=self.next_id(),
            session_id=session_id,
            text=text,
            quick_replies=quick_replies or None,
            card=card,
        )
        return await self.send(frame)

    async def choose(self, session_id: str, seq: int, reply: m.QuickReply) -> m.ServerFrameAck:
        """Customers: answers quick reply ``reply`` of message ``seq`` (its label as the text)."""
        frame = m.ClientFrameMessage(
            type="message",
            id=self.next_id(),
            session_id=session_id,
            text=reply.label,
            choice=m.Choice(seq=seq, id=reply.id),
        )
        return await self.send(frame)

    async def typing(self, session_id: str, active: bool) -> None:
        """Shows or clears the typing indicator (never stored)."""
        await self.send(m.ClientFrameTyping(type="typing", id=self.next_id(), session_id=session_id, active=active))

    async def receipt(
        self, session_id: str, delivered_seq: int | None = None, read_seq: int | None = None
    ) -> m.ServerFrameAck:
        """Reports delivery and reading: every event up to `delivered_seq` arrived,
        every event up to `read_seq` was seen (horizons only move forward)."""
        frame = m.ClientFrameReceipt(
            type="receipt", id=self.next_id(), session_id=session_id, delivered_seq=delivered_seq, read_seq=read_seq
        )
        return await self.send(frame)

    async def availability(self, issue_type: str | None = None) -> m.Availability:
        """Customers: whether someone can answer now (opening hours, agents on duty,
        expected wait) in the queue a session would enter."""
        ack = await self.send(m.ClientFrameAvailability(type="availability", id=self.next_id(), issue_type=issue_type))
        if ack.availability is None:
            raise SeamError("availability ack without availability")
        return ack.availability

    async def leave_message(self, text: str, email: str) -> m.ServerFrameAck:
        """Customers: leaves a message to be answered by email, when nobody can answer now."""
        frame = m.ClientFrameLeaveMessage(type="leave_message", id=self.next_id(), text=text, email=email)
        return await self.send(frame)

    async def leave(self, session_id: str) -> m.ServerFrameAck:
        """Leaves a session without ending it (agents, supervisors, bots)."""
        return await self.send(m.ClientFrameLeave(type="leave", id=self.next_id(), session_id=session_id))

    async def end_session(self, session_id: str, reason: str | None = None) -> m.ServerFrameAck:
        """Ends the session for everyone."""
        frame = m.ClientFrameEndSession(type="end_session", id=self.next_id(), session_id=session_id, reason=reason)
        return await self.send(frame)

    async def set_status(
        self, status: Literal["available", "away", "offline"], *, capacity: int | None = None
    ) -> None:
        """Agents and bots: sets their routing status."""
        await self.send(
            m.ClientFrameSetStatus(type="set_status", id=self.next_id(), status=status, capacity=capacity)
        )

    async def accept_offer(self, offer_id: str) -> m.SessionSnapshot:
        """Agents and bots: accepts an offer and joins the session (its history follows)."""
        frame = m.ClientFrameAcceptOffer(type="accept_offer", id=self.next_id(), offer_id=offer_id)
        return _snapshot(await self.send(frame))

    async def decline_offer(self, offer_id: str) -> None:
        """Agents and bots: declines an offer."""
        await self.send(m.ClientFrameDeclineOffer(type="decline_offer", id=self.next_id(), offer_id=offer_id))

    async def handoff(
        self, session_id: str, summary: str | None = None, mode: Literal["voice", "video"] | None = None
    ) -> m.ServerFrameAck:
        """Bots: hands the session to humans, with a summary for the agent."""
        frame = m.ClientFrameHandoff(
            type="handoff", id=self.next_id(), session_id=session_id, summary=summary, mode=mode
        )
        return await self.send(frame)

    async def recommend_mode(self, session_id: str) -> m.ModeRecommendation:
        """The mode to offer first for the session, learned from how sessions about the
        same issue type ended: `mode`, its `probability`, and every available mode in
        `choices` with its evidence. Asked again while nothing changed, the same."""
        frame = m.ClientFrameRecommendMode(type="recommend_mode", id=self.next_id(), session_id=session_id)
        ack = await self.send(frame)
        if ack.recommendation is None:
            raise SeamError("recommend_mode ack without recommendation")
        return ack.recommendation

    async def request_agent(
        self, session_id: str, mode: Literal["voice", "video"] | None = None
    ) -> m.ServerFrameAck:
        """Customers: asks for a human (optionally by voice or video)."""
        frame = m.ClientFrameRequestAgent(type="request_agent", id=self.next_id(), session_id=session_id, mode=mode)
        return await self.send(frame)

    async def note(self, session_id: str, text: str) -> m.ServerFrameAck:
        """Staff and bots: a note only staff see."""
        return await self.send(m.ClientFrameNote(type="note", id=self.next_id(), session_id=session_id, text=text))

    async def rate_session(self, session_id: str, score: int, comment: str | None = None) -> m.ServerFrameAck:
        """Customers: rates an ended session (1 to 5)."""
        frame = m.ClientFrameRateSession(
            type="rate_session", id=self.next_id(), session_id=session_id, score=score, comment=comment
        )
        return await self.send(frame)

    async def my_sessions(self) -> list[m.SessionOverview]:
        """The open sessions this principal takes part in."""
        ack = await self.send(m.ClientFrameMySessions(type="my_sessions", id=self.next_id()))
        return ack.sessions or []

    async def canned_responses(self) -> list[m.CannedResponse]:
        """Agents, bots, supervisors: the saved replies configured on the broker."""
        ack = await self.send(m.ClientFrameCannedResponses(type="canned_responses", id=self.next_id()))
        return ack.canned_responses or []

    async def refresh_token(self, token: str) -> int:
        """Replaces the connection's token; returns its expiry (Unix seconds)."""
        ack = await self.send(m.ClientFrameRefreshToken(type="refresh_token", id=self.next_id(), token=token))
        if ack.expires_at is None:
            raise SeamError("refresh ack without expires_at")
        self.expires_at = ack.expires_at
        return ack.expires_at

    # -- events ---------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Every event, in order, until the client is closed: stored session
        events (each ``seq`` once), pushed frames, and the connection's own
        ``Connected``, ``Disconnected`` and ``Resumed``."""
        while True:
            item = await self._events.get()
            if item is _END:
                self._events.put_nowait(_END)
                return
            yield item

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event; :class:`Closed` once the client is closed."""
        item = await asyncio.wait_for(self._events.get(), timeout)
        if item is _END:
            self._events.put_nowait(_END)
            raise self._closed or Closed(1000, "normal")
        return item

    async def close(self) -> None:
        """Closes the connection; unacknowledged commands fail with :class:`Closed`."""
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._driver is not None:
            await asyncio.gather(self._driver, return_exceptions=True)

    # -- the driver -----------------------------------------------------

    async def _fetch_token(self) -> str:
        if isinstance(self._token, str):
            return self._token
        return await self._token()

    async def _connect_once(self) -> ClientConnection:
        token = await self._fetch_token()
        ws = await ws_connect(
            self._url,
            open_timeout=self._options.open_timeout,
            ping_interval=None,
            max_size=None,
        )
        try:
            await ws.send(json.dumps({"type": "hello", "versions": VERSIONS, "token": token}))
            first = await asyncio.wait_for(ws.recv(), self._options.open_timeout)
        except ConnectionClosed as e:
            code, reason = _close_of(e)
            if self._can_retry(code):
                raise OSError(f"closed during the handshake: {code} {reason}") from e
            raise Closed(code, reason) from e
        data = json.loads(first)
        if data.get("type") != "welcome":
            await ws.close()
            raise ConnectError(f"expected welcome, got {data.get('type')}")
        self.welcome = m.ServerFrameWelcome.model_validate(data)
        self.expires_at = self.welcome.expires_at
        return ws

    def _can_retry(self, code: int | None) -> bool:
        if code in _FATAL_CLOSES:
            return False
        return not (code == _TOKEN_EXPIRED and isinstance(self._token, str))

    async def _run(self, ws: ClientConnection) -> None:
        reconnected = False
        attempt = 0
        while True:
            self._ws = ws
            self._generation += 1
            self._emit(Connected(welcome=self.welcome, reconnected=reconnected))  # type: ignore[arg-type]
            if self._closing:
                await ws.close()
                self._finish(Closed(1000, "closed by the client"))
                return
            code, reason = await self._serve(ws)
            self._ws = None
            if self._closing:
                self._finish(Closed(1000, "closed by the client"))
                return
            will_retry = self._options.reconnect and self._can_retry(code)
            self._emit(Disconnected(code=code, reason=reason, will_reconnect=will_retry))
            if not will_retry:
                self._finish(Closed(code, reason))
                return
            while True:
                delay = min(self._options.max_backoff, 0.1 * 2**attempt) * random.uniform(0.5, 1.0)
                attempt += 1
                await asyncio.sleep(delay)
                if self._closing:
                    self._finish(Closed(1000, "closed by the client"))
                    return
                try:
                    ws = await self._connect_once()
                    break
                except Closed as e:
                    self._finish(e)
                    return
                except Exception as e:  # noqa: BLE001: any failure to reach the broker is retried
                    log.debug("reconnect failed: %s", e)
            attempt = 0
            reconnected = True

    async def _serve(self, ws: ClientConnection) -> tuple[int | None, str]:
        """Resumes, resends, then reads until the connection ends."""
        generation = self._generation
        try:
            await self._after_connect(ws, generation)
            assert self.welcome is not None
            silence = max(1.0, self.welcome.heartbeat_interval_ms * 3 / 1000)
            while True:
                try:
                    text = await asyncio.wait_for(ws.recv(), silence)
                except asyncio.TimeoutError:
                    await ws.close(code=1000, reason="broker silent past the heartbeat timeout")
                    return None, "broker silent past the heartbeat timeout"
                if isinstance(text, str):
                    self._handle(text)
        except ConnectionClosed as e:
            return _close_of(e)
        except OSError as e:
            return None, str(e)

    async def _after_connect(self, ws: ClientConnection, generation: int) -> None:
        """Re-attaches every tracked session first, then sends everything
        not yet acknowledged (under the same ids)."""
        kept = {k: p for k, p in self._pending.items() if p.kind == "user"}
        resumes: dict[str, _Pending] = {}
        for session_id, tracked in self._sessions.items():
            self._next += 1
            command_id = f"{self._prefix}-r{self._next}"
            frame = {
                "type": "join",
                "id": command_id,
                "session_id": session_id,
                "after_seq": tracked.last_seq,
                "epoch": tracked.epoch,
            }
            resumes[command_id] = _Pending(text=json.dumps(frame), kind="resume", session_id=session_id)
        self._pending = {**resumes, **kept}
        while True:
            unsent = [p for p in self._pending.values() if p.sent_on != generation]
            if not unsent:
                break
            for p in unsent:
                p.sent_on = generation
                await ws.send(p.text)
        self._ready_on = generation

    async def _send_now(self, pending: _Pending) -> None:
        """Sends at once when connected and resumed; otherwise the next
        connection sends it."""
        ws, generation = self._ws, self._generation
        if ws is None or self._ready_on != generation:
            return
        pending.sent_on = generation
        try:
            await ws.send(pending.text)
        except ConnectionClosed:
            pass  # resent after the reconnect

    def _handle(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("unreadable frame from the broker")
            return
        kind = data.get("type")
        if kind == "ack":
            self._on_ack(data)
        elif kind == "error":
            self._on_error(m.ServerFrameError.model_validate(data))
        elif kind == "event":
            self._on_event(data)
        elif kind in _PUSHED:
            try:
                frame = _PUSHED[kind].model_validate(data)
            except pydantic.ValidationError as e:
                log.warning("unreadable %s frame: %s", kind, e)
                return
            self._emit(frame)
            if kind == "token_expiring" and not isinstance(self._token, str):
                self._spawn(self._renew())
        # Other frame types: a newer broker's, ignored (docs/protocol.md).

    def _on_event(self, data: dict[str, Any]) -> None:
        session_id, seq = data.get("session_id"), data.get("seq")
        tracked = self._sessions.get(session_id) if isinstance(session_id, str) else None
        if tracked is not None and isinstance(seq, int):
            if seq <= tracked.last_seq:
                return  # seen before the reconnect
            tracked.last_seq = seq
        try:
            event = m.ServerFrameEvent.model_validate(data)
        except pydantic.ValidationError:
            # A kind this client does not know: keep its place, hide its body.
            body = UnknownEventBody.model_validate(data.get("body") or {"kind": "unknown"})
            fields = {k: v for k, v in data.items() if k not in ("body", "from")}
            principal = m.Principal.model_validate(data.get("from") or {"sub": "", "role": "service"})
            event = m.ServerFrameEvent.model_construct(**fields, from_=principal, body=body)
        self._emit(event)

    def _on_ack(self, data: dict[str, Any]) -> None:
        pending = self._pending.pop(data.get("id", ""), None)
        if pending is None:
            return
        try:
            ack = m.ServerFrameAck.model_validate(data)
        except pydantic.ValidationError as e:
            if pending.future is not None and not pending.future.done():
                pending.future.set_exception(SeamError(f"unreadable ack: {e}"))
            return
        if ack.session is not None:
            snapshot = ack.session
            reset = isinstance(ack.resume, m.ResumeOutcomeReset)
            tracked = self._sessions.setdefault(snapshot.session_id, _Tracked(epoch=snapshot.epoch))
            if reset or tracked.epoch != snapshot.epoch:
                tracked.epoch = snapshot.epoch
                tracked.last_seq = 0
        if pending.kind == "user" and pending.future is not None and not pending.future.done():
            pending.future.set_result(ack)
        elif pending.kind == "resume" and ack.resume is not None and pending.session_id:
            self._emit(Resumed(session_id=pending.session_id, outcome=ack.resume))
        elif pending.kind == "refresh" and ack.expires_at is not None:
            self.expires_at = ack.expires_at

    def _on_error(self, error: m.ServerFrameError) -> None:
        pending = self._pending.get(error.id) if error.id else None
        if pending is None:
            self._emit(error)
            return
        if error.code in ("rate_limited", "unavailable"):
            # Not applied: resend the same id when the broker says to.
            delay = (error.retry_after_ms or 100) / 1000
            self._spawn(self._resend_later(error.id, delay))  # type: ignore[arg-type]
            return
        del self._pending[error.id]  # type: ignore[arg-type]
        if pending.kind == "user" and pending.future is not None and not pending.future.done():
            pending.future.set_exception(Rejected(error))
            return
        if pending.kind == "resume" and error.code in ("session_not_found", "not_your_session"):
            self._sessions.pop(pending.session_id or "", None)
        self._emit(error)

    async def _resend_later(self, command_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        pending = self._pending.get(command_id)
        if pending is not None:
            await self._send_now(pending)

    async def _renew(self) -> None:
        try:
            token = await self._fetch_token()  # type: ignore[misc]
        except Exception as e:  # noqa: BLE001: the provider is the application's code
            log.warning("token refresh failed: %s", e)
            return
        self._next += 1
        command_id = f"{self._prefix}-t{self._next}"
        frame = {"type": "refresh_token", "id": command_id, "token": token}
        pending = _Pending(text=json.dumps(frame), kind="refresh")
        self._pending[command_id] = pending
        await self._send_now(pending)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _emit(self, event: Any) -> None:
        self._events.put_nowait(event)

    def _finish(self, closed: Closed) -> None:
        self._closed = closed
        for pending in self._pending.values():
            if pending.future is not None and not pending.future.done():
                pending.future.set_exception(closed)
        self._pending.clear()
        self._events.put_nowait(_END)


def _dump(frame: pydantic.BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(frame, pydantic.BaseModel):
        return frame.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(frame)


def _snapshot(ack: m.ServerFrameAck) -> m.SessionSnapshot:
    if ack.session is None:
        raise SeamError("ack without a session snapshot")
    return ack.session


def _close_of(error: ConnectionClosed) -> tuple[int | None, str]:
    frame = error.rcvd
    if frame is None:
        return None, "connection lost"
    return frame.code, frame.reason
