"""sensor_msgs/Image payloads to arrays: colour orders, REP-118 depth, padding, byte order;
and the geometry conventions the node and the simulated robot share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cow_bridge.protocol import camera_from_hfov
from cow_bridge.ros.geometry import (
    camera_capabilities,
    hfov_deg,
    quaternion_from_yaw,
    ros_k,
    wrap,
    yaw_from_quaternion,
)
from cow_bridge.ros.images import (
    ImageFields,
    decode_depth,
    decode_rgb,
    decode_semantic,
    encode,
    millimetres,
)


def test_16uc1_millimetres_become_metres_and_zero_stays_invalid() -> None:
    mm = np.array([[0, 1000, 1234], [65535, 250, 0]], np.uint16)
    depth = decode_depth(encode(mm, "16UC1"))
    assert depth.dtype == np.float32
    np.testing.assert_allclose(depth, [[0.0, 1.0, 1.234], [65.535, 0.25, 0.0]], rtol=1e-6)
    # Beyond the range: no reading.
    np.testing.assert_allclose(
        decode_depth(encode(mm, "16UC1"), max_depth=10.0), [[0, 1, 1.234], [0, 0.25, 0]], 1e-6
    )


def test_metres_to_millimetres_round_trip_within_half_a_millimetre() -> None:
    metres = np.array([[0.0, 1.2344, 2.0], [70.0, np.nan, 0.0004]], np.float32)
    mm = millimetres(metres)
    np.testing.assert_array_equal(mm, [[0, 1234, 2000], [0, 0, 0]])
    np.testing.assert_allclose(decode_depth(encode(mm, "16UC1")), [[0, 1.234, 2], [0, 0, 0]])


def test_32fc1_nan_inf_and_negative_depth_become_zero() -> None:
    metres = np.array([[np.nan, 1.5, np.inf], [-np.inf, -0.2, 3.0]], np.float32)
    np.testing.assert_array_equal(
        decode_depth(encode(metres, "32FC1")), [[0.0, 1.5, 0.0], [0.0, 0.0, 3.0]]
    )


def test_big_endian_and_padded_rows() -> None:
    mm = np.array([[1, 2, 3], [4, 5, 6]], np.uint16) * 1000
    row = mm.astype(">u2").tobytes()
    padded = b"".join(row[i * 6 : i * 6 + 6] + b"\xee\xee" for i in range(2))
    msg = ImageFields("16UC1", 2, 3, 8, 1, padded)
    np.testing.assert_allclose(decode_depth(msg), mm / 1000.0)
    # The last row may end without its padding.
    np.testing.assert_allclose(
        decode_depth(ImageFields("16UC1", 2, 3, 8, 1, padded[:-2])), mm / 1e3
    )
    with pytest.raises(ValueError, match="bytes"):
        decode_depth(ImageFields("16UC1", 2, 3, 8, 1, padded[:-3]))
    with pytest.raises(ValueError, match="step"):
        decode_depth(ImageFields("16UC1", 2, 3, 4, 0, padded))


def test_rgb8_as_is_and_bgr8_reversed() -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(decode_rgb(encode(rgb, "rgb8")), rgb)
    bgr = encode(rgb, "bgr8")
    assert (bgr.encoding, bgr.data[:3]) == ("bgr8", bytes([2, 1, 0]))
    out = decode_rgb(bgr)
    np.testing.assert_array_equal(out, rgb)
    assert out.flags.c_contiguous
    with pytest.raises(ValueError, match="rgba8"):
        decode_rgb(ImageFields("rgba8", 1, 1, 4, 0, b"\0" * 4))
    with pytest.raises(ValueError, match="mono8"):
        decode_depth(ImageFields("mono8", 1, 1, 1, 0, b"\0"))


def test_semantic_values_keep_their_32_bits() -> None:
    sem = np.array([[0, (3 << 16) | 7], [(0x7FFF << 16) | 0xFFFF, 1 << 16]], np.uint32)
    msg = encode(sem, "32SC1")
    assert (msg.encoding, msg.step, len(msg.data)) == ("32SC1", 8, 16)
    np.testing.assert_array_equal(decode_semantic(msg), sem)


def test_yaw_and_quaternions_per_rep_103() -> None:
    for yaw in (0.0, 0.5, -2.0, math.pi):
        x, y, z, w = quaternion_from_yaw(yaw)
        assert yaw_from_quaternion(x, y, z, w) == pytest.approx(wrap(yaw))
    # A quarter turn left about +z: facing +y.
    assert yaw_from_quaternion(0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)) == (
        pytest.approx(math.pi / 2)
    )
    assert wrap(3 * math.pi) == pytest.approx(math.pi) and wrap(-math.pi) == math.pi
    assert wrap(-3.5) == pytest.approx(2 * math.pi - 3.5)
    assert hfov_deg(224, 112.0) == pytest.approx(90.0)


def test_camera_info_k_is_half_a_pixel_off_cows_principal_point() -> None:
    cow = camera_from_hfov(224, 224, 90.0, 0.88, 10.0)  # cx = cy = 112
    k = ros_k(cow)
    assert k == pytest.approx((112.0, 112.0, 111.5, 111.5))  # ROS: pixel centres at integers
    assert camera_capabilities(224, 224, k, 0.88, 10.0) == pytest.approx(cow)
    with pytest.raises(ValueError, match="pinhole"):
        camera_capabilities(224, 224, (0.0, 0.0, 0.0, 0.0), 0.88, 10.0)
