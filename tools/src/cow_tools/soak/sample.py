"""Samples of one process (and its children) read from ``/proc``: resident
memory, open file descriptors and sockets."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One reading of a process tree."""

    t: float
    """Seconds since sampling began."""
    rss_bytes: int
    """Resident set size of the process and its descendants."""
    fds: int
    """Open file descriptors (sockets included)."""
    sockets: int
    """Open sockets (ZeroMQ's TCP, IPC and internal ones)."""


def _children(pid: int) -> list[int]:
    out: list[int] = []
    task = Path(f"/proc/{pid}/task")
    try:
        tids = [p.name for p in task.iterdir()]
    except OSError:
        return out
    for tid in tids:
        try:
            text = (task / tid / "children").read_text()
        except OSError:
            continue
        out.extend(int(c) for c in text.split())
    return out


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants alive now."""
    seen = [pid]
    i = 0
    while i < len(seen):
        seen.extend(c for c in _children(seen[i]) if c not in seen)
        i += 1
    return seen


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (``VmRSS``), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def fd_counts(pid: int) -> tuple[int, int]:
    """(open descriptors, of which sockets) of one process; (0, 0) when it is gone."""
    fds = sockets = 0
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return (0, 0)
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return (fds, sockets)


def read(pid: int, t0: float) -> Sample:
    """One sample of ``pid``'s process tree."""
    rss = fds = sockets = 0
    for p in tree(pid):
        rss += rss_bytes(p)
        f, s = fd_counts(p)
        fds += f
        sockets += s
    return Sample(time.monotonic() - t0, rss, fds, sockets)
