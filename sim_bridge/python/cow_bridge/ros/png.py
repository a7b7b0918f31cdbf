"""A decoder for the PNG pictures in cow's telemetry: 8-bit greyscale,
non-interlaced (colour type 0, bit depth 8), any of the five row filters,
chunks checked against their CRCs (no rospy, no imaging library).

Anything else (colour, 16-bit, palette, interlaced) is refused with
``ValueError``: the telemetry's map is always 8-bit grey.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file (bad signature)")
    out: list[tuple[bytes, bytes]] = []
    pos = len(SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("PNG truncated in a chunk header")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        crc_at = pos + 8 + length
        if len(body) != length or crc_at + 4 > len(data):
            raise ValueError(f"PNG truncated in chunk {kind!r}")
        (crc,) = struct.unpack(">I", data[crc_at : crc_at + 4])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"PNG chunk {kind!r} fails its CRC")
        out.append((kind, body))
        pos = crc_at + 4
        if kind == b"IEND":
            return out
    raise ValueError("PNG has no IEND chunk")


def _sequential(kind: int, line: list[int], previous: list[int]) -> list[int]:
    """Reverses the Average (3) or Paeth (4) filter of one row: each pixel
    depends on the one just decoded to its left."""
    row = [0] * len(line)
    left = upper_left = 0
    for x, (filtered, up) in enumerate(zip(line, previous, strict=True)):
        if kind == 3:
            predicted = (left + up) >> 1
        else:
            p = left + up - upper_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
            predicted = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
        left = (filtered + predicted) & 0xFF
        upper_left = up
        row[x] = left
    return row


def decode_grey(data: bytes) -> npt.NDArray[np.uint8]:
    """The pixels of an 8-bit greyscale PNG, H x W, row 0 at the top."""
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise ValueError("PNG does not start with an IHDR chunk")
    width, height, depth, colour, method, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    if (depth, colour) != (8, 0):
        raise ValueError(f"PNG has bit depth {depth}, colour type {colour}; expected 8-bit grey")
    if (method, filtering, interlace) != (0, 0, 0) or width == 0 or height == 0:
        raise ValueError("PNG is interlaced, empty or uses an unknown method")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    if len(raw) != height * (width + 1):
        raise ValueError(f"PNG image data has {len(raw)} bytes, expected {height * (width + 1)}")
    rows = np.frombuffer(raw, np.uint8).reshape(height, width + 1)
    out = np.zeros((height, width), np.uint8)
    previous = np.zeros(width, np.int64)
    for y in range(height):
        kind, line = int(rows[y, 0]), rows[y, 1:].astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum along the row
            row = np.cumsum(line) & 0xFF
        elif kind == 2:  # Up
            row = (line + previous) & 0xFF
        elif kind in (3, 4):
            row = np.array(_sequential(kind, line.tolist(), previous.tolist()), np.int64)
        else:
            raise ValueError(f"PNG row {y} has unknown filter type {kind}")
        out[y] = row
        previous = row
    return out
