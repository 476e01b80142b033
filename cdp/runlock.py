"""One pipeline run at a time: an advisory lock file in the data directory, and the process
identity that tells a live run from a dead one.

The lock is an ``flock`` on ``<data dir>/.cdp-run.lock``: the kernel releases it when its
process dies, however it dies (``kill -9`` included), so a stale lock is taken over simply by
locking again; the file's text (pid, start, command) only names the holder in the message.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".cdp-run.lock"


class RunLocked(RuntimeError):
    """Another process holds the run lock; the message is one line for the operator."""


def process_id(pid: int | None = None) -> str:
    """``host:pid:start`` of a process (start in clock ticks since boot, from ``/proc``): unlike a
    bare pid, it cannot match a later process that reuses the number."""
    pid = os.getpid() if pid is None else pid
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        start = stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = "?"
    return f"{socket.gethostname()}:{pid}:{start}"


def process_alive(ident: str) -> bool:
    """Whether the process named by :func:`process_id` still runs (another host's: assumed so)."""
    try:
        host, pid, _start = ident.rsplit(":", 2)
        pid_n = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid_n, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_id(pid_n) == ident


@contextmanager
def run_lock(data_dir: Path, what: str = "cdp run") -> Iterator[str | None]:
    """Hold the run lock of ``data_dir`` for the ``with`` block.

    Yields:
        The holder text of a dead earlier holder whose lock was taken over, else None.

    Raises:
        RunLocked: another live process holds the lock.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "unknown process"
        os.close(fd)
        raise RunLocked(f"another run holds {path} ({holder}); wait for it to finish, "
                        "or stop that process (a dead one releases the lock by itself)") from None
    previous = os.pread(fd, 512, 0).decode(errors="replace").strip() or None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{what} pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC "
                  f"[{process_id()}]\n".encode(), 0)
    try:
        yield previous
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
