#!/usr/bin/env python3
"""What one durable commit costs on this machine, without seam.

SQLite alone (Python's sqlite3, the same WAL settings and events table as
seam's store) commits one event per transaction at a fixed rate, once with
`synchronous=FULL` (an fsync per commit, seam's default) and once with
`synchronous=OFF`; the difference is what the disk's commit costs in CPU.
A raw probe does the same with plain writes (three 4 KiB WAL-sized frames)
and `fsync`. Figures are this process's CPU (user + system) per commit,
so they include the wake-ups an idle thread pays on this machine.

    python3 bench/durable_floor.py [DIR]    # DIR defaults to target

It writes only in a fresh directory it makes inside DIR (so on DIR's
disk) and removes at the end, and stops by itself (about 40 s).
"""

import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time

EVENT = (
    '{"type":"event","session_id":"s_0123456789abcdef","seq":1,"at":1764000000000,'
    '"from":{"sub":"customer-1","role":"customer"},"body":{"kind":"message",'
    '"text":"hello from the load generator, a chat line of ordinary length",'
    '"client_id":"c-123456"}}'
)
SESSIONS = 5000
FRAME = 4096 + 24


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def paced(rate, count, step):
    """Runs step(i) count times at rate per second (0: back to back);
    returns the CPU per call in microseconds."""
    gap = 1.0 / rate if rate else 0.0
    start = cpu_seconds()
    due = time.perf_counter()
    for i in range(count):
        step(i)
        if gap:
            due += gap
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
    return (cpu_seconds() - start) / count * 1e6


def fresh(directory):
    """Empties the run's own directory."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)


def sqlite_commits(directory, rate, sync, count):
    fresh(directory)
    conn = sqlite3.connect(os.path.join(directory, "floor.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {sync}")
    conn.execute(
        "CREATE TABLE events (session_id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " event TEXT NOT NULL, PRIMARY KEY (session_id, seq))"
    )
    ids = ["s_%016x" % random.getrandbits(64) for _ in range(SESSIONS)]
    seqs = dict.fromkeys(ids, 0)

    def commit(_):
        session = random.choice(ids)
        seqs[session] += 1
        conn.execute("BEGIN")
        conn.execute("INSERT INTO events VALUES (?, ?, ?)", (session, seqs[session], EVENT))
        conn.execute("COMMIT")

    try:
        return paced(rate, count, commit)
    finally:
        conn.close()


def raw_commits(directory, rate, sync, count):
    fresh(directory)
    fd = os.open(os.path.join(directory, "floor.wal"), os.O_RDWR | os.O_CREAT, 0o644)
    page = b"x" * 4096
    wrap = 4096 * FRAME

    def commit(i):
        for frame in range(3):
            offset = ((i * 3 + frame) * FRAME) % wrap
            os.pwrite(fd, page[:24], offset)
            os.pwrite(fd, page, offset + 24)
        if sync:
            os.fsync(fd)

    try:
        return paced(rate, count, commit)
    finally:
        os.close(fd)


def main():
    args = sys.argv[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(__doc__.strip())
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    parent = args[0] if args else "target"
    os.makedirs(parent, exist_ok=True)
    root = tempfile.mkdtemp(prefix="durable-floor-", dir=parent)
    try:
        table(os.path.join(root, "run"))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def table(directory):
    print(f"CPU per commit, µs (one event per commit; in {os.path.dirname(directory)})")
    print(f"{'commits/s':>14} | {'SQLite FULL':>11} | {'SQLite OFF':>10} | {'fsync adds':>10} "
          f"| {'raw + fsync':>11} | {'raw only':>8} | {'fsync adds':>10}")
    for rate, count in ((500, 2500), (2000, 8000), (0, 8000)):
        full = sqlite_commits(directory, rate, "FULL", count)
        off = sqlite_commits(directory, rate, "OFF", count)
        synced = raw_commits(directory, rate, True, count)
        unsynced = raw_commits(directory, rate, False, count)
        label = str(rate) if rate else "back to back"
        print(f"{label:>14} | {full:11.1f} | {off:10.1f} | {full - off:10.1f} "
              f"| {synced:11.1f} | {unsynced:8.1f} | {synced - unsynced:10.1f}")


if __name__ == "__main__":
    main()
