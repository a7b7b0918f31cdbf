"""cow deploy's telemetry decoded into an OccupancyGrid array, and the grey-PNG decoder."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from cow_bridge.ros.png import decode_grey
from cow_bridge.ros.telemetry import decode_telemetry, occupancy

# Written by Pillow (rows filtered Sub, Sub, Paeth, Paeth, Up, Sub): an independent encoder.
PILLOW_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAAAAAA0rOsZAAAALUlEQVR4nC3HwQkAIAwAsVRcQHAR93cFcSPx0eZzXIwtx"
    "bHA7Wg8Oh751TDLB7+UBUjpT/YAAAAAAElFTkSuQmCC"
)
PILLOW_PIXELS = [
    [17, 205, 205, 205, 205, 205, 205, 205, 205],
    [205, 205, 254, 254, 254, 254, 254, 254, 205],
    [205, 205, 254, 0, 0, 0, 254, 254, 205],
    [205, 205, 254, 254, 254, 254, 254, 254, 205],
    [205, 205, 254, 254, 254, 254, 254, 0, 205],
    [0, 20, 40, 60, 80, 100, 120, 140, 160],
]


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(pixels: npt.NDArray[np.uint8], filters: list[int]) -> bytes:
    """An 8-bit grey PNG with the given filter type per row (the filters applied forward)."""
    h, w = pixels.shape
    p = pixels.astype(np.int64)
    raw = bytearray()
    for y in range(h):
        up = p[y - 1] if y else np.zeros(w, np.int64)
        left = np.concatenate([[0], p[y, :-1]])
        upper_left = np.concatenate([[0], up[:-1]])
        kind = filters[y]
        if kind == 0:
            pred = np.zeros(w, np.int64)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = up
        elif kind == 3:
            pred = (left + up) // 2
        else:
            base = left + up - upper_left
            pa, pb, pc = abs(base - left), abs(base - up), abs(base - upper_left)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upper_left))
        raw.append(kind)
        raw += bytes(((p[y] - pred) & 0xFF).astype(np.uint8))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    compressed = zlib.compress(bytes(raw))
    # Two IDAT chunks: a decoder must join them.
    half = len(compressed) // 2
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", compressed[:half])
        + chunk(b"IDAT", compressed[half:])
        + chunk(b"IEND", b"")
    )


def test_every_row_filter_decodes() -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(10, 13), dtype=np.uint8)
    data = png(pixels, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0])
    np.testing.assert_array_equal(decode_grey(data), pixels)


def test_a_png_written_by_pillow_decodes() -> None:
    np.testing.assert_array_equal(decode_grey(base64.b64decode(PILLOW_PNG)), PILLOW_PIXELS)


def test_other_pngs_are_refused() -> None:
    good = png(np.zeros((2, 2), np.uint8), [0, 0])
    with pytest.raises(ValueError, match="signature"):
        decode_grey(b"GIF89a" + good[6:])
    corrupt = bytearray(good)
    corrupt[20] ^= 1  # inside IHDR
    with pytest.raises(ValueError, match="CRC"):
        decode_grey(bytes(corrupt))
    rgb = good.replace(
        chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)),
        chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
    )
    with pytest.raises(ValueError, match="colour type 2"):
        decode_grey(rgb)
    with pytest.raises(ValueError, match="IEND"):
        decode_grey(good[: -len(chunk(b"IEND", b""))])


def test_map_server_grey_levels_become_occupancy_with_row_0_at_the_bottom() -> None:
    # Picture rows top to bottom: y = 1 (top) then y = 0.
    grey = np.array([[0, 254, 205], [100, 250, 60]], np.uint8)
    grid = occupancy(grey)
    # p = (255 - v) / 255: 0 -> 1.0 occupied, 254 -> 0.004 free, 205 -> 0.196 unknown,
    # 100 -> 0.61 unknown, 250 -> 0.02 free, 60 -> 0.76 occupied.
    np.testing.assert_array_equal(grid, [[-1, 0, 100], [100, 0, -1]])
    assert grid.dtype == np.int8


def telemetry(**over: Any) -> bytes:
    pixels = np.array([[205, 205, 0], [254, 254, 254]], np.uint8)
    msg: dict[str, Any] = {
        "step": 12,
        "mode": "explore",
        "goal": "red mug",
        "pose": {"x": 1.5, "y": -0.5, "yaw": 0.25},
        "confidence": 0.8,
        "step_ms": 14.5,
        "action": "MoveAhead",
        "map": {
            "resolution": 0.125,
            "origin": {"x": -2.0, "y": -1.0},
            "width": 3,
            "height": 2,
            "png": base64.b64encode(png(pixels, [1, 4])).decode(),
        },
        "evidence": [[1.0, 2.0, 0.9], [1.125, 2.0, 0.6]],
    }
    msg.update(over)
    return json.dumps(msg).encode()


def test_a_telemetry_message_decodes_into_a_grid_and_a_status() -> None:
    t = decode_telemetry(telemetry())
    assert t.map is not None
    assert (t.map.width, t.map.height, t.map.resolution) == (3, 2, 0.125)
    assert (t.map.origin_x, t.map.origin_y) == (-2.0, -1.0)
    # The picture's bottom row (all free) is the grid's row 0 (the smallest y).
    np.testing.assert_array_equal(t.map.data, [[0, 0, 0], [-1, -1, 100]])
    assert t.evidence == [(1.0, 2.0, 0.9), (1.125, 2.0, 0.6)]
    assert t.status() == {
        "step": 12,
        "mode": "explore",
        "goal": "red mug",
        "pose": {"x": 1.5, "y": -0.5, "yaw": 0.25},
        "confidence": 0.8,
        "step_ms": 14.5,
        "action": "MoveAhead",
        "evidence_cells": 2,
    }
    bare = decode_telemetry(json.dumps({"step": 0}).encode())
    assert (bare.map, bare.pose, bare.action, bare.evidence) == (None, None, None, [])


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"step": -1}, "step"),
        ({"pose": {"x": 1, "y": "a", "yaw": 0}}, "'y'"),
        ({"evidence": [[1, 2]]}, "evidence"),
        (
            {
                "map": {
                    "resolution": 0.1,
                    "origin": {"x": 0, "y": 0},
                    "width": 4,
                    "height": 2,
                    "png": base64.b64encode(png(np.zeros((2, 3), np.uint8), [0, 0])).decode(),
                }
            },
            "4x2",
        ),
        (
            {
                "map": {
                    "resolution": 0.1,
                    "origin": {"x": 0, "y": 0},
                    "width": 1,
                    "height": 1,
                    "png": "not base64!",
                }
            },
            "base64",
        ),
    ],
)
def test_malformed_telemetry_is_refused(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decode_telemetry(telemetry(**over))
    with pytest.raises(ValueError, match="JSON"):
        decode_telemetry(b"\xff")
