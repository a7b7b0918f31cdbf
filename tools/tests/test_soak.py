"""The soak tools: slope and summary by hand, the /proc sampler on a child that
allocates and opens sockets, the curve, and a small server soak against the
real ``cow sim serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cow_tools.soak import agent, server
from cow_tools.soak.plot import plot
from cow_tools.soak.sample import Sample, read
from cow_tools.soak.stats import slope, summarize

REPO = Path(__file__).resolve().parents[2]


def cow_binary() -> Path:
    path = Path(os.environ.get("COW_BIN") or REPO / "target" / "debug" / "cow")
    if not path.is_file():
        pytest.fail(f"no cow binary at {path}: cargo build --bin cow, or set COW_BIN")
    return path


def test_slope_is_the_least_squares_line() -> None:
    assert slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    # y = 1, 2, 2, 3 over x = 0..3: slope 0.6 by hand (sxy 3 / sxx 5).
    assert slope([0, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.6)
    assert slope([5, 5, 5], [1, 2, 3]) == 0.0
    assert slope([1], [1]) == 0.0


def test_summary_ignores_the_warm_up_and_averages_the_tenths() -> None:
    mib = 2**20
    # Warm-up: 0..9 s climbing; then flat at 100 MiB for 20 samples, last 2 at 110.
    samples = [Sample(float(t), (10 + t) * mib, 12, 3) for t in range(10)]
    samples += [Sample(float(t), 100 * mib, 12, 3) for t in range(10, 28)]
    samples += [Sample(28.0, 110 * mib, 14, 4), Sample(29.0, 110 * mib, 13, 4)]
    s = summarize(samples, warmup_s=10.0)
    assert s.samples == 30
    assert s.rss_start_mb == pytest.approx(100.0)
    assert s.rss_end_mb == pytest.approx(110.0)  # the last tenth: 2 of 20 samples
    assert s.rss_max_mb == pytest.approx(110.0)
    assert (s.fds_min, s.fds_max, s.sockets_min, s.sockets_max) == (12, 14, 3, 4)
    assert s.slope_mb_per_hour > 0


def test_the_sampler_sees_a_childs_memory_and_sockets() -> None:
    code = textwrap.dedent(
        """
        import socket, subprocess, sys, time
        hold = "import time; b = bytearray(48 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
        grandchild = subprocess.Popen([sys.executable, "-c", hold])
        socks = [socket.socket() for _ in range(5)]
        block = bytearray(64 << 20)
        block[::4096] = b"x" * len(block[::4096])
        print("ready", flush=True)
        time.sleep(30)
        """
    )
    base = read(os.getpid(), time.monotonic())
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.5)  # the grandchild touches its pages
        s = read(proc.pid, time.monotonic())
        assert s.rss_bytes >= (64 + 48) << 20
        assert s.sockets >= 5
        assert s.fds >= s.sockets + 3
    finally:
        proc.kill()
        proc.wait()
    assert base.rss_bytes > 0
    gone = read(proc.pid, time.monotonic())
    assert (gone.rss_bytes, gone.fds) == (0, 0)


def test_the_curve_is_a_png(tmp_path: Path) -> None:
    samples = [Sample(float(t * 10), (200 + t % 3) * 2**20, 20, 6) for t in range(40)]
    out = plot(samples, summarize(samples, 60.0), "test", tmp_path / "c.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_the_soak_config_is_the_shipped_one_with_more_episodes(tmp_path: Path) -> None:
    out = agent.soak_config(REPO / "configs" / "embedded.toml", 1000, tmp_path / "s.toml")
    shipped = (REPO / "configs" / "embedded.toml").read_text()
    assert out.read_text() == shipped.replace("\ncount = 200\n", "\ncount = 1000\n")
    (tmp_path / "bad.toml").write_text("[sim]\ncount = 5\n")
    with pytest.raises(ValueError, match="count = 200"):
        agent.soak_config(tmp_path / "bad.toml", 10, tmp_path / "x.toml")


def free_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_a_small_server_soak_gets_every_bad_request_refused(tmp_path: Path) -> None:
    mix = dict.fromkeys(server.KINDS, 1.0) | {"oversized": 0.3}
    samples, out = server.run(
        cow_binary(),
        free_endpoint(),
        360,
        3,
        0.2,
        tmp_path / "serve.log",
        seed=7,
        timeout_ms=1500,
        mix=mix,
    )
    t = out.tally
    assert sum(t.sent.values()) == 360
    assert not t.wrong, t.wrong
    assert out.alive_after and out.exit_code == 0, (tmp_path / "serve.log").read_text()
    assert t.sent["oversized"] > 0 and t.unanswered["oversized"] == t.sent["oversized"]
    for kind in server.KINDS:
        if kind != "oversized":
            assert t.sent[kind] > 0, kind
            assert t.unanswered[kind] == 0, kind
    for kind in server.BAD:
        if kind != "oversized":
            assert t.answered[kind] == t.sent[kind], kind
    assert samples and all(s.rss_bytes > 0 for s in samples)
