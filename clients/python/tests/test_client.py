"""The Python client against a real broker: acked sends, typed events,
reconnect with resume and de-duplication, token refresh, clear refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from seam_client import Client, Closed, Connected, Disconnected, Rejected, Resumed, models as m


async def next_of(client: Client, kind: type, timeout: float = 10.0, where: Any = None) -> Any:
    """The next event of a kind (and matching `where`), skipping others."""
    async def find() -> Any:
        async for event in client.events():
            if isinstance(event, kind) and (where is None or where(event)):
                return event
        raise AssertionError(f"closed before a {kind.__name__}")

    return await asyncio.wait_for(find(), timeout)


def is_message(text: str):
    return lambda e: isinstance(e.body, m.EventBodyMessage) and e.body.text == text


async def agent_takes_session(agent: Client) -> m.SessionSnapshot:
    await agent.set_status("available")
    offer = await next_of(agent, m.ServerFrameOffer)
    return await agent.accept_offer(offer.offer_id)


class Proxy:
    """A TCP relay to the broker whose connections can be cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


async def test_a_customer_and_an_agent_talk_with_acks_and_typed_events(broker) -> None:
    alice = await Client.connect(broker.url, broker.token("customer", "alice", "--issue-type", "billing"))
    connected = await next_of(alice, Connected)
    assert connected.welcome.principal.sub == "alice" and not connected.reconnected
    session = await alice.open_session({"page": "/checkout"})
    assert session.context.issue_type == "billing"
    ack = await alice.send_message(session.session_id, "my card was charged twice")
    assert ack.seq is not None and ack.seq >= 2

    bob = await Client.connect(broker.url, broker.token("agent", "bob", "--name", "Bob"))
    taken = await agent_takes_session(bob)
    assert taken.session_id == session.session_id
    # The agent sees the whole history, typed.
    first = await next_of(bob, m.ServerFrameEvent, where=is_message("my card was charged twice"))
    assert first.from_.sub == "alice"
    await bob.send_message(session.session_id, "I am on it")
    reply = await next_of(alice, m.ServerFrameEvent, where=is_message("I am on it"))
    assert reply.from_.role == "agent" and reply.from_.name == "Bob"
    await bob.typing(session.session_id, True)
    typing = await next_of(alice, m.ServerFrameTyping)
    assert typing.active and typing.from_.sub == "bob"
    # Alice read Bob's answer: Bob is told.
    await alice.receipt(session.session_id, read_seq=reply.seq)
    read = await next_of(bob, m.ServerFrameReceipt)
    assert read.participant.sub == "alice" and read.read_seq == reply.seq and read.delivered_seq == reply.seq
    await alice.close()
    await bob.close()


async def test_a_command_resent_under_its_id_is_applied_once(broker) -> None:
    alice = await Client.connect(broker.url, broker.token("customer", "alice"))
    session = await alice.open_session()
    frame = m.ClientFrameMessage(type="message", id="fixed-1", session_id=session.session_id, text="once")
    first = await alice.send(frame)
    again = await alice.send(frame)
    assert again.duplicate and again.seq == first.seq
    await alice.close()


async def test_after_a_lost_connection_every_missed_event_arrives_once_in_order(broker) -> None:
    port = int(broker.url.rsplit(":", 1)[1].split("/")[0])
    proxy = Proxy(port)
    await proxy.start()
    alice = await Client.connect(f"ws://127.0.0.1:{proxy.port}/ws", broker.token("customer", "alice"), max_backoff=0.5)
    session = await alice.open_session()
    await alice.send_message(session.session_id, "hello?")
    bob = await Client.connect(broker.url, broker.token("agent", "bob"))
    await agent_takes_session(bob)
    await next_of(alice, m.ServerFrameEvent, where=lambda e: isinstance(e.body, m.EventBodyParticipantJoined))

    proxy.cut()
    lost = await next_of(alice, Disconnected)
    assert lost.will_reconnect
    # While alice is away: bob writes, and alice sends one herself.
    for i in range(5):
        await bob.send_message(session.session_id, f"missed {i}")
    while_away = asyncio.create_task(alice.send_message(session.session_id, "sent while away"))
    back = await next_of(alice, Connected)
    assert back.reconnected
    resumed = await next_of(alice, Resumed)
    assert resumed.session_id == session.session_id
    assert isinstance(resumed.outcome, m.ResumeOutcomeComplete)
    ack = await asyncio.wait_for(while_away, 10)
    assert ack.seq is not None

    seen: list[str] = []
    seqs: list[int] = []
    async def collect() -> None:
        async for event in alice.events():
            if isinstance(event, m.ServerFrameEvent) and isinstance(event.body, m.EventBodyMessage):
                seen.append(event.body.text)
                seqs.append(event.seq)
                if seen.count("sent while away") and all(f"missed {i}" in seen for i in range(5)):
                    return
    await asyncio.wait_for(collect(), 10)
    assert [t for t in seen if t.startswith("missed")] == [f"missed {i}" for i in range(5)]
    assert seen.count("sent while away") == 1
    assert seqs == sorted(set(seqs)), "in order, each seq once"
    # Stored once: bob sees it once too.
    await next_of(bob, m.ServerFrameEvent, where=is_message("sent while away"))
    await alice.close()
    await bob.close()
    await proxy.stop()


async def test_refused_commands_raise_with_their_code_and_the_connection_goes_on(broker) -> None:
    alice = await Client.connect(broker.url, broker.token("customer", "alice"))
    session = await alice.open_session()
    with pytest.raises(Rejected) as refused:
        await alice.leave(session.session_id)
    assert refused.value.code == "forbidden"
    with pytest.raises(Rejected) as refused:
        await alice.send_message("s_nope", "hi")
    assert refused.value.code in ("session_not_found", "not_your_session")
    with pytest.raises(Rejected) as refused:
        await alice.send({"type": "message", "session_id": session.session_id, "text": ""})
    assert refused.value.code == "invalid_message"
    assert (await alice.send_message(session.session_id, "still here")).seq
    await alice.close()


async def test_a_bad_token_is_refused_and_not_retried(broker) -> None:
    with pytest.raises(Closed) as closed:
        await Client.connect(broker.url, "not-a-token")
    assert closed.value.code == 4002


async def test_a_token_provider_renews_the_token_before_it_expires(broker) -> None:
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        # Expires in 62 s: the broker warns 60 s ahead, two seconds from now.
        return broker.token("customer", "alice", ttl=62 if calls == 1 else 3600)

    alice = await Client.connect(broker.url, provider)
    first = alice.expires_at
    await next_of(alice, m.ServerFrameTokenExpiring, timeout=15)

    async def renewed() -> None:
        while alice.expires_at == first:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(renewed(), 10)
    assert calls == 2 and alice.expires_at > first + 3000
    session = await alice.open_session()
    assert session.customer.sub == "alice"
    await alice.close()


async def test_closing_fails_what_is_pending_and_ends_the_events(broker) -> None:
    alice = await Client.connect(broker.url, broker.token("customer", "alice"))
    await alice.close()
    with pytest.raises(Closed):
        await alice.open_session()
    with pytest.raises(Closed):
        await alice.next_event(timeout=5)
        await alice.next_event(timeout=5)


async def test_agents_get_the_saved_replies_and_customers_are_refused(tmp_path) -> None:
    from conftest import start_broker, stop_broker

    config = tmp_path / "seam.toml"
    config.write_text('[[canned_responses]]\nshortcut = "refund"\ntitle = "Refund"\ntext = "Hi {name}, your refund is on its way."\n')
    broker = start_broker(tmp_path, "--config", str(config))
    try:
        bob = await Client.connect(broker.url, broker.token("agent", "bob"))
        replies = await bob.canned_responses()
        assert [(r.shortcut, r.title) for r in replies] == [("refund", "Refund")]
        alice = await Client.connect(broker.url, broker.token("customer", "alice"))
        with pytest.raises(Rejected) as refused:
            await alice.canned_responses()
        assert refused.value.code == "forbidden"
        await bob.close()
        await alice.close()
    finally:
        stop_broker(broker)


async def test_with_nobody_on_duty_a_customer_leaves_a_message_for_an_email_answer(broker) -> None:
    lea = await Client.connect(broker.url, broker.token("customer", "lea"))
    availability = await lea.availability()
    assert availability.open and availability.agents_online == 0
    ack = await lea.leave_message("Please call me back", "lea@example.com")
    assert ack.session_id is not None and ack.seq == 2
    with pytest.raises(Rejected) as refused:
        await lea.leave_message("again", "not an address")
    assert refused.value.code == "invalid_message"
    await lea.close()


async def test_the_recommended_mode_is_among_those_someone_can_take_now(broker) -> None:
    rita = await Client.connect(broker.url, broker.token("customer", "rita", "--issue-type", "billing"))
    session = await rita.open_session()
    # Nobody on duty for a call: chat, for sure.
    alone = await rita.recommend_mode(session.session_id)
    assert (alone.mode, alone.probability, [c.mode for c in alone.choices]) == ("chat", 1.0, ["chat"])
    assert alone.issue_type == "billing"
    # An agent joined: every mode, a new draw; asked again, the same.
    bob = await Client.connect(broker.url, broker.token("agent", "bob"))
    await agent_takes_session(bob)
    joined = await rita.recommend_mode(session.session_id)
    assert sorted(c.mode for c in joined.choices) == ["chat", "video", "voice"]
    assert abs(sum(c.probability for c in joined.choices) - 1.0) < 1e-9
    assert await rita.recommend_mode(session.session_id) == joined
    with pytest.raises(Rejected) as refused:
        await rita.recommend_mode("s_nope")
    assert refused.value.code == "session_not_found"
    await rita.close()
    await bob.close()
