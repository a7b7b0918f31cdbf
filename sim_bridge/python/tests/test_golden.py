"""The golden message files written by the Rust tests decode (and encode)
identically here: the two implementations stay byte-compatible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cow_bridge.protocol import (
    Observation,
    Part,
    ProtocolError,
    decode_reply,
    decode_request,
    encode_observation,
    encode_reply,
    encode_request,
)

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden"
FILES = sorted(GOLDEN.glob("*.json"))


def load(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    doc = json.loads(path.read_text())
    parts = [doc["header"].encode()] + [bytes.fromhex(h) for h in doc["binary_hex"]]
    return doc, parts


def as_expect(kind: str, request_id: int | None, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": request_id, **body}


def observation_expect(request_id: int | None, obs: Observation) -> dict[str, Any]:
    return {
        "type": "observation",
        "id": request_id,
        "episode_id": obs.episode_id,
        "step": obs.step,
        "goal": obs.goal,
        "goal_category": obs.goal_category,
        "pose": None if obs.pose is None else vars(obs.pose),
        "last_action": obs.last_action,
        "last_action_success": obs.last_action_success,
        "done": obs.done,
        "width": obs.width,
        "height": obs.height,
        "rgb": obs.rgb.ravel().tolist(),
        "depth": obs.depth.ravel().tolist(),
        "semantic": None if obs.semantic is None else obs.semantic.ravel().tolist(),
    }


def test_golden_files_exist() -> None:
    assert len(FILES) >= 20, f"expected the golden files in {GOLDEN}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_decodes_as_expected(path: Path) -> None:
    doc, parts = load(path)
    if doc["error"] is not None:
        with pytest.raises(ProtocolError) as err:
            if doc["direction"] == "request":
                decode_request(parts)
            else:
                decode_reply(parts)
        assert err.value.code == doc["error"]
        return
    if doc["direction"] == "request":
        req = decode_request(parts)
        body = {k: v for k, v in vars(req).items() if k not in ("kind", "id") and v is not None}
        got = as_expect(req.kind, req.id, body)
    else:
        reply = decode_reply(parts)
        if reply.observation is not None:
            got = observation_expect(reply.id, reply.observation)
        else:
            got = as_expect(reply.kind, reply.id, reply.body)
    assert got == doc["expect"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_encodes_to_the_same_message(path: Path) -> None:
    doc, parts = load(path)
    if doc["error"] is not None:
        return
    encoded: list[Part]
    if doc["direction"] == "request":
        req = decode_request(parts)
        encoded = list(encode_request(req.kind, req.id, req.episode_id, req.action))
    else:
        reply = decode_reply(parts)
        if reply.observation is not None:
            encoded = encode_observation(reply.observation, reply.id)
        else:
            encoded = list(encode_reply(reply.kind, reply.id, reply.body))
    assert len(encoded) == len(parts)
    # Headers: the same JSON (formatting of floats may differ); binary parts: the same bytes.
    assert json.loads(bytes(encoded[0])) == json.loads(parts[0])
    for mine, theirs in zip(encoded[1:], parts[1:], strict=False):
        assert bytes(mine) == theirs


def test_golden_observation_pixels() -> None:
    _, parts = load(GOLDEN / "reply_observation_semantic.json")
    obs = decode_reply(parts).observation
    assert obs is not None
    assert obs.depth.dtype == np.dtype("<f4")
    # Row 1, column 0 is the 4th pixel: 2.0 m.
    assert obs.depth[1, 0] == 2.0
    # Row 0, column 2: class 1, instance 2.
    value = int(obs.semantic[0, 2]) if obs.semantic is not None else -1
    assert (value >> 16, value & 0xFFFF) == (1, 2)
    assert obs.rgb[1, 2].tolist() == [14 * 15, 14 * 16, 14 * 17]
