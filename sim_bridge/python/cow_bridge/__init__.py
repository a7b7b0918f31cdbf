"""Python side of the cow simulator bridge: protocol v1 over ZeroMQ.

``cow_bridge.protocol`` encodes and validates messages (the same format as
the Rust crate ``sim_bridge::protocol``; both are tested against the golden
files in ``sim_bridge/tests/golden``), ``cow_bridge.client`` is a
lazy-pirate client. The specification is ``sim_bridge/PROTOCOL.md``.
"""

from cow_bridge.client import Client
from cow_bridge.protocol import (
    ACTIONS,
    ERROR_CODES,
    VERSION,
    BridgeTimeoutError,
    Observation,
    Pose,
    ProtocolError,
    RemoteError,
    Reply,
    Request,
    decode_reply,
    decode_request,
    encode_error,
    encode_observation,
    encode_reply,
    encode_request,
)

__all__ = [
    "ACTIONS",
    "ERROR_CODES",
    "VERSION",
    "BridgeTimeoutError",
    "Client",
    "Observation",
    "Pose",
    "ProtocolError",
    "RemoteError",
    "Reply",
    "Request",
    "decode_reply",
    "decode_request",
    "encode_error",
    "encode_observation",
    "encode_reply",
    "encode_request",
]
