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
    Reply,
    Request,
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


def xyz(p: tuple[float, float, float]) -> dict[str, float]:
    return {"x": p[0], "y": p[1], "z": p[2]}


def request_fields(req: Request) -> dict[str, Any]:
    """A decoded request's fields under their wire names."""
    body: dict[str, Any] = {}
    if req.episode_id is not None:
        body["episode_id"] = req.episode_id
    if req.goal is not None:
        body["goal"] = req.goal
    if req.action is not None:
        body["action"] = req.action
    if req.pose is not None:
        body["pose"] = vars(req.pose)
    if req.source is not None:
        body["position" if req.kind == "free" else "from"] = xyz(req.source)
    if req.targets is not None:
        body["to"] = [xyz(t) for t in req.targets]
    if req.object_type is not None:
        body["object_type"] = req.object_type
    return as_expect(req.kind, req.id, body)


def reply_fields(reply: Reply) -> dict[str, Any]:
    """A decoded reply's fields under their wire names."""
    body = dict(reply.body)
    if reply.kind == "path":
        body["points"] = [xyz(p) for p in body["points"]]
    return as_expect(reply.kind, reply.id, body)


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
        **({} if obs.stamp is None else {"stamp": obs.stamp}),
        **({"reset_map": True} if obs.reset_map else {}),
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
        got = request_fields(decode_request(parts))
    else:
        reply = decode_reply(parts)
        if reply.observation is not None:
            got = observation_expect(reply.id, reply.observation)
        else:
            got = reply_fields(reply)
    assert got == doc["expect"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_encodes_to_the_same_message(path: Path) -> None:
    doc, parts = load(path)
    if doc["error"] is not None:
        return
    encoded: list[Part]
    if doc["direction"] == "request":
        req = decode_request(parts)
        encoded = list(
            encode_request(
                req.kind,
                req.id,
                episode_id=req.episode_id,
                action=req.action,
                pose=req.pose,
                source=req.source,
                targets=req.targets,
                object_type=req.object_type,
                goal=req.goal,
            )
        )
    else:
        reply = decode_reply(parts)
        if reply.observation is not None:
            encoded = encode_observation(reply.observation, reply.id)
        else:
            wire = reply_fields(reply)
            body = {k: v for k, v in wire.items() if k not in ("type", "id")}
            encoded = list(encode_reply(reply.kind, reply.id, body))
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
