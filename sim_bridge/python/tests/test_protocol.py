"""Validation in cow_bridge.protocol mirrors the Rust side."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cow_bridge.protocol import (
    Observation,
    Pose,
    ProtocolError,
    camera_from_hfov,
    decode_reply,
    decode_request,
    encode_observation,
    encode_request,
)


def sample(semantic: bool = True) -> Observation:
    return Observation(
        episode_id="e",
        step=2,
        goal="mug",
        goal_category="Mug",
        rgb=np.arange(18, dtype=np.uint8).reshape(2, 3, 3),
        depth=np.array([[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]], dtype=np.float32),
        semantic=np.arange(6, dtype=np.uint32).reshape(2, 3) if semantic else None,
        pose=Pose(1.0, -2.0, 0.0, 0.25),
        last_action="MoveAhead",
    )


def code_of(parts: list[bytes], request: bool = True) -> str:
    with pytest.raises(ProtocolError) as err:
        (decode_request if request else decode_reply)(parts)
    return err.value.code


def test_observation_round_trips() -> None:
    obs = sample()
    parts = [bytes(p) for p in encode_observation(obs, 5)]
    back = decode_reply(parts)
    assert back.id == 5 and back.observation is not None
    o = back.observation
    assert (o.width, o.height, o.pose, o.last_action) == (3, 2, obs.pose, "MoveAhead")
    assert np.array_equal(o.rgb, obs.rgb) and np.array_equal(o.depth, obs.depth)
    assert o.semantic is not None and obs.semantic is not None
    assert np.array_equal(o.semantic, obs.semantic)


def test_requests_round_trip_and_reject_bad_input() -> None:
    req = decode_request(encode_request("step", 9, action="RotateLeft"))
    assert (req.kind, req.id, req.action) == ("step", 9, "RotateLeft")
    assert code_of([b'{"v":2,"type":"hello","id":1}']) == "version"
    assert code_of([b'{"v":1,"type":"warp","id":1}']) == "unknown_type"
    assert code_of([b'{"v":1,"type":"step","id":1,"action":"Fly"}']) == "unknown_action"
    assert code_of([b'{"v":1,"type":"step","id":1}']) == "malformed"
    assert code_of([b'{"v":1,"type":"hello"}']) == "malformed"
    assert code_of([b'{"v":1,"type":"hello","id":1}', b"x"]) == "malformed"
    assert code_of([b"\xff"]) == "malformed"
    assert code_of([]) == "malformed"


def test_bad_observations_are_rejected() -> None:
    parts = [bytes(p) for p in encode_observation(sample(semantic=False), 1)]
    nan = np.array([[0.0, np.nan, 1.0], [1.0, 1.0, np.inf]], dtype="<f4").tobytes()
    assert code_of([parts[0], parts[1], nan], request=False) == "bad_depth"
    assert code_of([parts[0], parts[1], parts[2][:-1]], request=False) == "malformed"
    assert code_of([parts[0], parts[1]], request=False) == "malformed"
    negative = np.full((2, 3), -1.0, dtype="<f4").tobytes()
    assert code_of([parts[0], parts[1], negative], request=False) == "malformed"
    bad_action = parts[0].replace(b'"MoveAhead"', b'"Fly"')
    assert code_of([bad_action, parts[1], parts[2]], request=False) == "unknown_action"


def test_camera_from_hfov_is_rusts_from_hfov() -> None:
    # Rust's server test camera: CameraIntrinsics::from_hfov(2, 2, 90.0, 1.0, 5.0).
    cam = camera_from_hfov(2, 2, 90.0, 1.0, 5.0)
    assert list(cam) == [
        "width", "height", "fx", "fy", "cx", "cy", "hfov_deg", "camera_height", "max_depth",
    ]  # fmt: skip
    assert (cam["width"], cam["height"], cam["cx"], cam["cy"]) == (2, 2, 1.0, 1.0)
    assert (cam["hfov_deg"], cam["camera_height"], cam["max_depth"]) == (90.0, 1.0, 5.0)
    assert cam["fx"] == cam["fy"] == pytest.approx(1.0, abs=1e-15)
    # As cow reads it (binary32): the embedded camera's 112 exactly.
    assert np.float32(camera_from_hfov(224, 224, 90.0, 0.88, 5.0)["fx"]) == np.float32(112.0)
    # Non-square frames: fx from the width, in float64.
    wide = camera_from_hfov(640, 480, 79.0, 0.88, 5.0)
    assert wide["fx"] == 320.0 / math.tan(math.radians(39.5)) == wide["fy"]
    assert (wide["cx"], wide["cy"]) == (320.0, 240.0)
