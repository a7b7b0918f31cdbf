"""What the end-to-end tests share: the cow binary, the processes they start
(each stopped when its block ends) and what cow writes and reads.

The cow binary is ``$COW_BIN``, else ``target/debug/cow`` of the repository;
a test that asks for it fails, never skips, without it. Commands run in the
repository root.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cow_bridge import Client
from cow_bridge.protocol import BridgeTimeoutError

REPO = Path(__file__).resolve().parents[3]
"""The repository root: the working directory of every command."""

Command = Sequence[str | os.PathLike[str]]
"""A command line."""


def cow_binary() -> Path:
    """The cow binary; fails the test when there is none."""
    path = Path(os.environ.get("COW_BIN") or REPO / "target" / "debug" / "cow")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no cow binary at {path}: build it (cargo build) or set COW_BIN")
    return path


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def process(
    cmd: Command, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``cmd`` (output to ``log``) for the duration of the block; SIGTERM,
    then SIGKILL after 10 s, on the way out. Fails the test when the process
    ended by itself before the block did (one the block waited for excepted)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield proc
        waited = proc.returncode is not None
        assert waited or proc.poll() is None, f"{cmd[0]!s} exited early:\n{log.read_text()}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for_hello(
    endpoint: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60.0
) -> dict[str, Any]:
    """The capabilities of the server ``proc`` once it answers at ``endpoint``;
    fails the test, with its log, if it exits or stays silent for ``seconds``."""
    deadline = time.monotonic() + seconds
    with Client(endpoint, timeout_ms=250, retries=0) as client:
        while True:
            try:
                return client.hello()
            except BridgeTimeoutError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{endpoint} never answered hello:\n{log.read_text()}")


def run(cmd: Command, timeout: float = 120.0) -> str:
    """Runs ``cmd`` to its end and returns its standard output; fails the test,
    with both outputs, unless it exits 0."""
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    line = " ".join(map(str, cmd))
    assert done.returncode == 0, f"{line} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def records(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The episode records of a ``cow run --out run_dir``, by episode id."""
    out: dict[str, dict[str, Any]] = {}
    for file in sorted((run_dir / "episodes").glob("*.json")):
        record = json.loads(file.read_text())
        out[record["episode"]["id"]] = record
    return out


def as_f32(d: dict[str, Any]) -> dict[str, Any]:
    """What cow reads of a JSON object (a camera, an action space): its numbers
    as binary32."""
    return {k: np.float32(v) if isinstance(v, (int, float)) else v for k, v in d.items()}
