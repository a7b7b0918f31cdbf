"""ZeroMQ CURVE for protocol v1 sockets: key files, the allow-list, socket options.

Optional authenticated transport (the default stays plain loopback). Keys are
ZeroMQ certificates in the ZPL format that ``zmq.auth.create_certificates``
writes and ``cow keygen --out DIR --name NAME`` writes too: ``NAME.key``
holds the public key, ``NAME.key_secret`` the public and the secret key.

- A **server** (the robot side) loads its own secret certificate and accepts
  only the clients whose public certificates lie in a directory: a ZAP handler
  (pyzmq's :class:`zmq.auth.thread.ThreadAuthenticator`, configured with
  ``configure_curve(domain="*", location=DIR)``) runs on the server's context
  and refuses every other key. A client without CURVE gets nothing: its NULL
  handshake does not match the server's mechanism.
- A **client** pins the server's public key and presents its own key pair.

What CURVE gives: encryption and mutual authentication of the socket
(nobody without a listed key is served, nobody in between reads or alters a
frame). What it does not: protection against a compromised peer, or replay
of a request inside one session by the peer itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyPair:
    """A CURVE key pair, each key 40 Z85 characters."""

    public: bytes
    secret: bytes


def load_public(path: str | Path) -> bytes:
    """The public key of a certificate file (``NAME.key`` or ``NAME.key_secret``)."""
    public, _ = zmq.auth.load_certificate(str(path))
    if not public:
        raise ValueError(f"{path}: no public key in this certificate")
    return public


def load_key_pair(path: str | Path) -> KeyPair:
    """Both keys of a secret certificate file (``NAME.key_secret``)."""
    public, secret = zmq.auth.load_certificate(str(path))
    if not public or not secret:
        raise ValueError(f"{path}: not a secret certificate (it holds no secret key)")
    return KeyPair(public, secret)


@dataclass(frozen=True)
class ServerCurve:
    """CURVE settings of a server: its secret certificate and the directory of
    the allowed clients' public certificates."""

    secret_file: Path
    clients_dir: Path

    def start(self, context: zmq.Context[zmq.Socket[bytes]]) -> ThreadAuthenticator:
        """Starts the ZAP handler of ``context`` with the allow-list (one per
        context: libzmq has one ZAP endpoint per context). Stop it with
        ``.stop()`` once the socket is closed."""
        if not self.clients_dir.is_dir():
            raise ValueError(f"{self.clients_dir}: no directory of client certificates")
        allowed = sorted(self.clients_dir.glob("*.key"))
        if not allowed:
            log.warning("%s lists no client certificate: every client is refused", self.clients_dir)
        auth = ThreadAuthenticator(context, log=logging.getLogger(f"{__name__}.zap"))
        auth.start()
        auth.configure_curve(domain="*", location=str(self.clients_dir))
        log.info("CURVE: %d allowed client key(s) in %s", len(allowed), self.clients_dir)
        return auth

    def apply(self, socket: zmq.Socket[bytes]) -> None:
        """Makes ``socket`` a CURVE server with this certificate (before bind)."""
        keys = load_key_pair(self.secret_file)
        socket.curve_secretkey = keys.secret
        socket.curve_publickey = keys.public
        socket.curve_server = True


@dataclass(frozen=True)
class ClientCurve:
    """CURVE settings of a client: the server's public certificate (pinned) and
    the client's own secret certificate."""

    server_file: Path
    secret_file: Path

    def apply(self, socket: zmq.Socket[bytes]) -> None:
        """Makes ``socket`` a CURVE client of that server (before connect)."""
        keys = load_key_pair(self.secret_file)
        socket.curve_serverkey = load_public(self.server_file)
        socket.curve_publickey = keys.public
        socket.curve_secretkey = keys.secret
