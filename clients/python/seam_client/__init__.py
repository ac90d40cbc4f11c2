"""asyncio client for seam, the ChannelLess session broker.

``Client.connect`` authenticates; a background task then owns the
WebSocket: it reconnects with exponential backoff and jitter, re-attaches
every session it joined from the last ``seq`` it saw (missed events arrive
in order), resends commands that were never acknowledged under their
original ids (nothing is applied twice), and drops duplicate events.
Command methods return the broker's ``ack``; ``client.events()`` yields
everything else, typed by the models generated from the protocol's JSON
Schema (``seam_client.models``).
"""

from . import models
from .client import Client, Connected, Disconnected, Resumed, TokenProvider
from .errors import AckTimeout, Closed, ConnectError, Rejected, SeamError

__all__ = [
    "AckTimeout",
    "Client",
    "Closed",
    "ConnectError",
    "Connected",
    "Disconnected",
    "Rejected",
    "Resumed",
    "SeamError",
    "TokenProvider",
    "models",
]
