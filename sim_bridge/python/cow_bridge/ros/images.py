"""``sensor_msgs/Image`` payloads to the protocol's arrays, and back (no rospy).

Decoding takes anything with an Image's fields (``encoding``, ``height``,
``width``, ``step``, ``is_bigendian``, ``data``), rows of ``step`` bytes that
may carry padding, in either byte order:

- colour: ``rgb8`` as is, ``bgr8`` reversed per pixel; H x W x 3 ``uint8``;
- depth per REP-118: ``32FC1`` metres (NaN, +-inf and negative values are no
  reading: 0) or ``16UC1`` millimetres (0 is no reading); H x W ``float32``
  metres, optionally cleared (0) beyond a maximum range;
- semantic: cow's ``class << 16 | instance`` values in a ``32SC1`` image
  (ROS has no unsigned 32-bit encoding; the bits are the same), H x W
  ``uint32``.

Encoding builds the fields of an Image from an array (for the simulated robot),
and :func:`millimetres` turns metres into 16UC1's millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

COLOUR_ENCODINGS = ("rgb8", "bgr8")
DEPTH_ENCODINGS = ("32FC1", "16UC1")
SEMANTIC_ENCODING = "32SC1"

_ITEM = {"rgb8": (3, "u1"), "bgr8": (3, "u1"), "32FC1": (1, "f4"), "16UC1": (1, "u2")}
_ITEM[SEMANTIC_ENCODING] = (1, "u4")


class ImageLike(Protocol):
    """The fields of a ``sensor_msgs/Image`` that decoding reads."""

    encoding: str
    height: int
    width: int
    step: int
    is_bigendian: int
    data: bytes


@dataclass
class ImageFields:
    """The payload fields of a ``sensor_msgs/Image`` (what :func:`encode` builds)."""

    encoding: str
    height: int
    width: int
    step: int
    is_bigendian: int
    data: bytes


def _pixels(msg: ImageLike, encoding: str) -> npt.NDArray[np.generic]:
    """The image's pixels as an H x W (x C) array of its own type, native byte order."""
    channels, kind = _ITEM[encoding]
    dtype = np.dtype(kind).newbyteorder(">" if msg.is_bigendian else "<")
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    row = w * channels * dtype.itemsize
    if h <= 0 or w <= 0:
        raise ValueError(f"{encoding} image is {w}x{h}, expected a non-empty image")
    if step < row:
        raise ValueError(f"{encoding} image row step {step} < {row} bytes for width {w}")
    data = memoryview(msg.data)
    if data.nbytes < step * (h - 1) + row:
        raise ValueError(f"{encoding} image {w}x{h} (step {step}) has only {data.nbytes} bytes")
    raw = np.frombuffer(data, np.uint8, count=step * (h - 1) + row)
    rows = np.lib.stride_tricks.as_strided(raw, shape=(h, row), strides=(step, 1))
    packed = np.ascontiguousarray(rows).view(dtype)
    shape = (h, w, channels) if channels > 1 else (h, w)
    pixels: npt.NDArray[np.generic] = packed.reshape(shape).astype(
        dtype.newbyteorder("="), copy=False
    )
    return pixels


def decode_rgb(msg: ImageLike) -> npt.NDArray[np.uint8]:
    """An ``rgb8`` or ``bgr8`` image as H x W x 3 RGB."""
    if msg.encoding not in COLOUR_ENCODINGS:
        raise ValueError(f"colour image encoding {msg.encoding!r}, expected one of rgb8, bgr8")
    pixels = _pixels(msg, msg.encoding).astype(np.uint8, copy=False)
    if msg.encoding == "bgr8":
        pixels = pixels[:, :, ::-1]
    return np.ascontiguousarray(pixels)


def decode_depth(msg: ImageLike, max_depth: float | None = None) -> npt.NDArray[np.float32]:
    """A REP-118 depth image as H x W metres, 0 where there is no reading (and,
    with ``max_depth``, beyond it)."""
    if msg.encoding == "32FC1":
        depth = _pixels(msg, "32FC1").astype(np.float32)
        depth[~np.isfinite(depth) | (depth < 0)] = 0.0
    elif msg.encoding == "16UC1":
        depth = _pixels(msg, "16UC1").astype(np.float32) / np.float32(1000.0)
    else:
        raise ValueError(f"depth image encoding {msg.encoding!r}, expected one of 32FC1, 16UC1")
    if max_depth is not None:
        depth[depth > max_depth] = 0.0
    return depth


def decode_semantic(msg: ImageLike) -> npt.NDArray[np.uint32]:
    """A ``32SC1`` image of cow's semantic values as H x W ``uint32``."""
    if msg.encoding != SEMANTIC_ENCODING:
        raise ValueError(f"semantic image encoding {msg.encoding!r}, expected 32SC1")
    return _pixels(msg, SEMANTIC_ENCODING).astype(np.uint32, copy=False)


def encode(array: npt.NDArray[np.generic], encoding: str) -> ImageFields:
    """The Image fields of an array: H x W x 3 ``uint8`` RGB as ``rgb8`` (or
    ``bgr8``, the channels reversed), H x W ``float32`` as ``32FC1``, H x W
    ``uint16`` as ``16UC1``, H x W ``uint32`` as ``32SC1``; little-endian, rows
    without padding."""
    channels, kind = _ITEM[encoding]
    if encoding == "bgr8":
        array = array[..., ::-1]
    want = np.dtype(kind).newbyteorder("<")
    h, w = int(array.shape[0]), int(array.shape[1])
    expected = (h, w, channels) if channels > 1 else (h, w)
    if array.shape != expected:
        raise ValueError(f"{encoding} needs an array of shape {expected}, got {array.shape}")
    data = np.ascontiguousarray(array, dtype=want).tobytes()
    return ImageFields(encoding, h, w, w * channels * want.itemsize, 0, data)


def millimetres(depth: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    """Metres as 16UC1 millimetres (rounded; 0 stays no reading, beyond 65.535 m too)."""
    mm = np.rint(np.asarray(depth, np.float64) * 1000.0)
    mm[(mm > 65535) | ~np.isfinite(mm) | (mm < 0)] = 0
    return mm.astype(np.uint16)
