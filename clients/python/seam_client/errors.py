"""What the client reports when something goes wrong."""

from __future__ import annotations

from .models import ServerFrameError


class SeamError(Exception):
    """Base class of every error the client raises."""


class Rejected(SeamError):
    """The broker refused a command (an ``error`` frame): nothing was applied.

    ``code`` is the stable error code (``forbidden``, ``session_ended``, ...)
    listed in docs/protocol.md.
    """

    def __init__(self, frame: ServerFrameError) -> None:
        super().__init__(f"{frame.code}: {frame.message}")
        self.frame = frame
        self.code: str = frame.code
        self.message: str = frame.message


class Closed(SeamError):
    """The broker closed the connection and the client will not reconnect
    (a bad token, an unsupported version, or ``close()``)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed: {code} {reason}")
        self.code = code
        self.reason = reason


class ConnectError(SeamError):
    """The first connection could not be established."""


class AckTimeout(SeamError):
    """No acknowledgement arrived within the configured time."""
