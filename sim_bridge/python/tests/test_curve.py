"""CURVE on the Python serve loop, over tcp on loopback: a listed client key is
served, an unlisted key and a client without CURVE get nothing (a timeout)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
import zmq.auth
from test_server import Counter

from cow_bridge import Client
from cow_bridge.curve import ClientCurve, ServerCurve, load_key_pair, load_public
from cow_bridge.protocol import BridgeTimeoutError
from cow_bridge.server import Server


def certificates(directory: Path, name: str) -> tuple[Path, Path]:
    """(public, secret) certificate files of a new key pair, as ``cow keygen`` writes them."""
    directory.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.auth.create_certificates(str(directory), name)
    return Path(public), Path(secret)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """A server key pair, an allowed client (its public key in ``allowed/``) and a stranger."""
    server_public, server_secret = certificates(tmp_path / "server", "robot")
    _, client_secret = certificates(tmp_path / "client", "laptop")
    _, stranger_secret = certificates(tmp_path / "stranger", "stranger")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "laptop.key").write_bytes((tmp_path / "client" / "laptop.key").read_bytes())
    return {
        "server_public": server_public,
        "server_secret": server_secret,
        "client_secret": client_secret,
        "stranger_secret": stranger_secret,
        "allowed": allowed,
    }


@pytest.fixture
def curve_server(keys: dict[str, Path]) -> Iterator[tuple[Server, Counter]]:
    """A CURVE server on a free loopback port, serving in a thread until the test ends."""
    backend = Counter()
    server = Server(
        backend,
        "tcp://127.0.0.1:*",
        poll_ms=20,
        curve=ServerCurve(keys["server_secret"], keys["allowed"]),
    )
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, args=(stop,))
    thread.start()
    try:
        yield server, backend
    finally:
        stop.set()
        thread.join(5)
        server.close()
    assert not thread.is_alive()


def test_a_listed_client_is_served(
    curve_server: tuple[Server, Counter], keys: dict[str, Path]
) -> None:
    server, backend = curve_server
    assert server.endpoint.startswith("tcp://127.0.0.1:")
    curve = ClientCurve(keys["server_public"], keys["client_secret"])
    with Client(server.endpoint, timeout_ms=3000, retries=0, curve=curve) as c:
        assert c.hello()["simulator"] == "counter"
        assert c.reset("e").step == 0
        assert c.step("MoveAhead").step == 1
    assert backend.steps == 1


def test_an_unlisted_key_and_a_plain_client_get_nothing(
    curve_server: tuple[Server, Counter], keys: dict[str, Path]
) -> None:
    server, backend = curve_server
    stranger = ClientCurve(keys["server_public"], keys["stranger_secret"])
    with (
        Client(server.endpoint, timeout_ms=700, retries=1, curve=stranger) as c,
        pytest.raises(BridgeTimeoutError),
    ):
        c.hello()
    with (
        Client(server.endpoint, timeout_ms=700, retries=1) as plain,
        pytest.raises(BridgeTimeoutError),
    ):
        plain.hello()
    # A listed client that pins another server key gets nothing either.
    impostor_public, _ = certificates(keys["allowed"].parent / "impostor", "impostor")
    pinned_wrong = ClientCurve(impostor_public, keys["client_secret"])
    with (
        Client(server.endpoint, timeout_ms=700, retries=0, curve=pinned_wrong) as c,
        pytest.raises(BridgeTimeoutError),
    ):
        c.hello()
    assert server.dispatcher.stats.requests == 0
    # The server still serves the listed client afterwards.
    curve = ClientCurve(keys["server_public"], keys["client_secret"])
    with Client(server.endpoint, timeout_ms=3000, retries=0, curve=curve) as c:
        assert c.hello()["simulator"] == "counter"
    assert server.dispatcher.stats.requests == 1 and backend.steps == 0


def test_two_curve_servers_in_one_process_each_have_their_own_zap_handler(
    keys: dict[str, Path],
) -> None:
    curve = ServerCurve(keys["server_secret"], keys["allowed"])
    client = ClientCurve(keys["server_public"], keys["client_secret"])
    servers = [Server(Counter(), "tcp://127.0.0.1:*", poll_ms=20, curve=curve) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=s.serve, args=(stop,)) for s in servers]
    for t in threads:
        t.start()
    try:
        for s in servers:
            with Client(s.endpoint, timeout_ms=3000, retries=0, curve=client) as c:
                assert c.hello()["protocol_version"] == 1
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        for s in servers:
            s.close()


def test_key_files_are_read_in_zeromqs_certificate_format(keys: dict[str, Path]) -> None:
    pair = load_key_pair(keys["server_secret"])
    assert len(pair.public) == 40 and len(pair.secret) == 40
    assert load_public(keys["server_public"]) == pair.public
    with pytest.raises(ValueError, match="not a secret certificate"):
        load_key_pair(keys["server_public"])
    with zmq.Context() as ctx, pytest.raises(ValueError, match="no directory"):
        ServerCurve(keys["server_secret"], keys["allowed"] / "missing").start(ctx)
