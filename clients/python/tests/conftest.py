"""A real broker per test: `seam serve --dev` on 127.0.0.1, port 0, in a
fresh data directory (SEAM_BIN names the binary; default: the workspace's
debug build)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SEAM = os.environ.get("SEAM_BIN", str(ROOT / "target" / "debug" / "seam"))


@dataclass
class Broker:
    """A running broker and how to reach it."""

    url: str
    data_dir: Path
    process: subprocess.Popen[str]

    @property
    def http(self) -> str:
        return self.url.replace("ws://", "http://").removesuffix("/ws")

    def token(self, role: str, sub: str, *extra: str, ttl: int = 3600) -> str:
        """Mints a token with the broker's development secret."""
        out = subprocess.run(
            [SEAM, "token", "--role", role, "--sub", sub, "--ttl", str(ttl), "--data-dir", str(self.data_dir), *extra],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


def start_broker(data_dir: Path, *args: str) -> Broker:
    """Starts `seam serve --dev` and waits for the URL it prints."""
    env = {k: v for k, v in os.environ.items() if k != "SEAM_AUTH_HS256_SECRET"}
    process = subprocess.Popen(
        [SEAM, "serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), "--log", "warn", *args],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    url = banner.split()[-1] if banner else ""
    assert url.startswith("ws://127.0.0.1:"), f"broker did not start: {banner!r}"
    # Keep reading its output so the broker never blocks on a full pipe.
    threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()  # type: ignore[union-attr]
    return Broker(url=url, data_dir=data_dir, process=process)


def stop_broker(broker: Broker) -> None:
    broker.process.terminate()
    try:
        broker.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        broker.process.kill()
        broker.process.wait()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = start_broker(tmp_path)
    yield running
    stop_broker(running)
