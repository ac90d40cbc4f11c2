"""The FAQ bot example, run as a process against a real broker whose queue
is served by bots first: it answers what it knows and hands the customer to
a human with a summary the agent sees."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from conftest import start_broker, stop_broker
from test_client import agent_takes_session, is_message, next_of

from seam_client import Client, models as m

BOT = Path(__file__).resolve().parents[1] / "examples" / "faq_bot.py"


async def test_the_bot_answers_then_hands_off_with_a_summary(tmp_path: Path) -> None:
    config = tmp_path / "seam.toml"
    config.write_text('[[routing.queues]]\nname = "support"\nbot_first = true\n')
    broker = start_broker(tmp_path, "--config", str(config))
    bot = subprocess.Popen(
        [sys.executable, str(BOT), "--url", broker.url, "--token", broker.token("bot", "faq-bot", "--name", "Help bot")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        alice = await Client.connect(broker.url, broker.token("customer", "alice"))
        session = await alice.open_session()
        # The greeting offers buttons; one click is a question answered.
        greeting = await next_of(
            alice, m.ServerFrameEvent, timeout=20,
            where=lambda e: isinstance(e.body, m.EventBodyMessage) and bool(e.body.quick_replies),
        )
        labels = [r.label for r in greeting.body.quick_replies]
        assert labels == ["Opening hours", "Refunds", "Delivery times", "Talk to a person"]
        await alice.choose(session.session_id, greeting.seq, greeting.body.quick_replies[2])
        await next_of(
            alice, m.ServerFrameEvent,
            where=lambda e: isinstance(e.body, m.EventBodyMessage) and "working days" in e.body.text,
        )
        await alice.send_message(session.session_id, "What are your opening hours?")
        hours = await next_of(
            alice, m.ServerFrameEvent, timeout=20,
            where=lambda e: isinstance(e.body, m.EventBodyMessage) and "9:00" in e.body.text,
        )
        assert hours.from_.role == "bot"

        await alice.send_message(session.session_id, "I'd like to talk to a person please")
        handed = await next_of(alice, m.ServerFrameEvent, where=lambda e: isinstance(e.body, m.EventBodyHandedOff))
        assert "opening hours" in (handed.body.summary or "")

        # A human takes it and sees everything, the summary included.
        bob = await Client.connect(broker.url, broker.token("agent", "bob", "--name", "Bob"))
        taken = await agent_takes_session(bob)
        assert taken.session_id == session.session_id
        await next_of(bob, m.ServerFrameEvent, where=is_message("What are your opening hours?"))
        summary = await next_of(bob, m.ServerFrameEvent, where=lambda e: isinstance(e.body, m.EventBodyHandedOff))
        assert "talk to a person" in (summary.body.summary or "")
        await bob.send_message(session.session_id, "Hi, Bob here")
        await next_of(alice, m.ServerFrameEvent, where=is_message("Hi, Bob here"))
        await alice.close()
        await bob.close()
    finally:
        bot.terminate()
        bot.wait(timeout=10)
        stop_broker(broker)
