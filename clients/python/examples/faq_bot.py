"""A FAQ bot for seam: it takes sessions from a `bot_first` queue, greets
the customer with quick replies (buttons), answers the questions it knows,
and hands the customer to a human, with a summary of the conversation for
the agent, when they ask for one or when it cannot help.

    python examples/faq_bot.py --url ws://127.0.0.1:8080/ws --token "$(seam token --role bot --sub faq-bot --name 'Help bot')"

The broker needs a queue that bots serve first:

    [[routing.queues]]
    name = "support"
    bot_first = true
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re

from seam_client import Client, Connected, Disconnected, Rejected
from seam_client import models as m

GREETING = (
    "Hi, I'm the help bot. I can tell you about our opening hours, refunds and "
    "delivery times. Write \"agent\" at any time to talk to a person."
)

#: The buttons under the greeting; a click answers with the button's label
#: and its id as the message's choice.
CHOICES = [
    m.QuickReply(id="hours", label="Opening hours"),
    m.QuickReply(id="refund", label="Refunds"),
    m.QuickReply(id="delivery", label="Delivery times"),
    m.QuickReply(id="agent", label="Talk to a person"),
]

#: Keyword patterns and their answers.
FAQ: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(open|opening|hours|close|closing)\b", re.I),
     "We're open Monday to Friday, 9:00 to 18:00 (CET)."),
    (re.compile(r"\b(refund|money back|reimburse)", re.I),
     "Refunds reach your account within 5 working days of the return arriving."),
    (re.compile(r"\b(deliver|delivery|shipping|parcel|package)", re.I),
     "Standard delivery takes 2 to 4 working days; you get a tracking link by email."),
]

HUMAN = re.compile(r"\b(agent|human|person|someone|operator)\b", re.I)

#: Questions the bot may fail to answer before it hands off by itself.
MAX_MISSES = 2


class Conversation:
    """What the bot knows of one session."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.misses = 0
        self.handed_off = False

    def summary(self) -> str:
        asked = "; ".join(self.asked[-5:]) or "nothing yet"
        return f"Customer wrote: {asked}"


def answer(text: str) -> str | None:
    """The FAQ answer for a question, if the bot knows one."""
    for pattern, reply in FAQ:
        if pattern.search(text):
            return reply
    return None


async def run(url: str, token: str) -> None:
    bot = await Client.connect(url, token)
    conversations: dict[str, Conversation] = {}
    me = None
    async for event in bot.events():
        if isinstance(event, Connected):
            me = event.welcome.principal.sub
            # Available again after every (re)connection.
            await bot.set_status("available")
        elif isinstance(event, Disconnected):
            logging.info("connection lost (%s); reconnecting: %s", event.code, event.will_reconnect)
        elif isinstance(event, m.ServerFrameOffer):
            try:
                snapshot = await bot.accept_offer(event.offer_id)
            except Rejected as e:  # taken by another bot, or expired
                logging.info("offer %s gone: %s", event.offer_id, e.code)
                continue
            conversations[snapshot.session_id] = Conversation()
            await bot.send_message(snapshot.session_id, GREETING, quick_replies=CHOICES)
        elif isinstance(event, m.ServerFrameEvent):
            conversation = conversations.get(event.session_id)
            if conversation is None or conversation.handed_off:
                continue
            body = event.body
            if isinstance(body, m.EventBodySessionEnded):
                conversations.pop(event.session_id, None)
                continue
            if not isinstance(body, m.EventBodyMessage) or event.from_.role != "customer" or event.from_.sub == me:
                continue
            chosen = body.choice.id if body.choice else None
            await reply(bot, event.session_id, conversation, body.text, chosen)


#: What each greeting button asks, as a question the FAQ knows.
CHOSEN = {"hours": "opening hours", "refund": "refund", "delivery": "delivery"}


async def reply(
    bot: Client, session_id: str, conversation: Conversation, text: str, chosen: str | None = None
) -> None:
    """Answers one customer message (or quick reply), or hands the session to a human."""
    conversation.asked.append(text)
    if chosen == "agent":
        text = "agent"
    known = answer(CHOSEN.get(chosen or "", text))
    if known is not None and not HUMAN.search(text):
        await bot.send_message(session_id, known)
        return
    if not HUMAN.search(text):
        conversation.misses += 1
        if conversation.misses < MAX_MISSES:
            await bot.send_message(
                session_id, "Sorry, I don't know that one. Try asking about opening hours, refunds or delivery."
            )
            return
    conversation.handed_off = True
    await bot.send_message(session_id, "I'm passing you to a colleague; they will see our conversation.")
    await bot.handoff(session_id, summary=conversation.summary())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SEAM_URL", "ws://127.0.0.1:8080/ws"))
    parser.add_argument("--token", default=os.environ.get("SEAM_TOKEN"), help="a bot token (or SEAM_TOKEN)")
    args = parser.parse_args()
    if not args.token:
        parser.error("a bot token is needed: --token or SEAM_TOKEN (seam token --role bot --sub faq-bot)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(run(args.url, args.token))


if __name__ == "__main__":
    main()
