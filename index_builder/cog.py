"""Small Cloud-Optimized GeoTIFFs written with numpy and the TIFF layout itself (no GDAL).

``stacsift sample`` writes one per item so that its journey ends in pixels. The layout is the
one COG readers rely on: the main image's IFD right after the header, the overviews' IFDs after
it, then the tile data from the smallest overview to the full resolution, so a reader gets every
IFD in its first request and then one range per tile. One band of bytes, 256 x 256 tiles,
deflate compression, overviews halving down to one tile, georeferenced in EPSG:4326.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

TILE = 256
_SHORT, _LONG, _DOUBLE = 3, 4, 12
_SIZES = {_SHORT: 2, _LONG: 4, _DOUBLE: 8}
_FORMATS = {_SHORT: "H", _LONG: "I", _DOUBLE: "d"}
Tag = tuple[int, int, list[float]]  # (tag, type, values)


@dataclass(frozen=True)
class _Level:
    """One image (the full resolution or an overview), its tags and its compressed tiles."""

    width: int
    height: int
    tiles: list[bytes]
    tags: list[Tag]

    def ifd_size(self) -> int:
        extra = sum(
            _padded(_SIZES[kind] * len(v)) for _, kind, v in self._all_tags(0) if _out(kind, v)
        )
        return 2 + 12 * (len(self.tags) + 2) + 4 + extra

    def _all_tags(self, first_tile: int) -> list[Tag]:
        offsets, counts, position = [], [], first_tile
        for tile in self.tiles:
            offsets.append(float(position))
            counts.append(float(len(tile)))
            position += len(tile)
        tile_tags = [(324, _LONG, offsets), (325, _LONG, counts)]
        return sorted(self.tags + tile_tags)

    def ifd(self, at: int, next_ifd: int, first_tile: int) -> bytes:
        """The IFD placed at offset ``at``, its out-of-line values right after it."""
        tags = self._all_tags(first_tile)
        extra_at = at + 2 + 12 * len(tags) + 4
        entries, extra = [struct.pack("<H", len(tags))], b""
        for tag, kind, values in tags:
            packed = struct.pack(f"<{len(values)}{_FORMATS[kind]}", *_typed(kind, values))
            if _out(kind, values):
                entries.append(struct.pack("<HHII", tag, kind, len(values), extra_at + len(extra)))
                extra += packed + b"\0" * (_padded(len(packed)) - len(packed))
            else:
                entries.append(struct.pack("<HHI", tag, kind, len(values)) + packed.ljust(4, b"\0"))
        return b"".join(entries) + struct.pack("<I", next_ifd) + extra


def write_cog(
    path: Path, data: npt.NDArray[np.uint8], bbox: tuple[float, float, float, float]
) -> None:
    """Write ``data`` (rows x columns of bytes) covering ``bbox`` (west, south, east, north)."""
    west, south, east, north = bbox
    height, width = data.shape
    geo: list[Tag] = [
        (33550, _DOUBLE, [(east - west) / width, (north - south) / height, 0.0]),
        (33922, _DOUBLE, [0.0, 0.0, 0.0, west, north, 0.0]),
        (34735, _SHORT, [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]),
    ]
    levels = [_level(data, 0, geo)]
    while max(levels[-1].width, levels[-1].height) > TILE:
        data = data[::2, ::2]
        levels.append(_level(data, 1, []))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_layout(levels))


def _layout(levels: list[_Level]) -> bytes:
    ifd_at = [8]
    for level in levels[:-1]:
        ifd_at.append(ifd_at[-1] + level.ifd_size())
    data_at = ifd_at[-1] + levels[-1].ifd_size()
    first_tile: dict[int, int] = {}
    for index in reversed(range(len(levels))):  # smallest overview first, full resolution last
        first_tile[index] = data_at
        data_at += sum(len(t) for t in levels[index].tiles)
    parts = [b"II*\0", struct.pack("<I", 8)]
    for index, level in enumerate(levels):
        next_ifd = ifd_at[index + 1] if index + 1 < len(levels) else 0
        parts.append(level.ifd(ifd_at[index], next_ifd, first_tile[index]))
    parts += [b"".join(levels[i].tiles) for i in reversed(range(len(levels)))]
    return b"".join(parts)


def _level(data: npt.NDArray[np.uint8], subfile: int, extra: list[Tag]) -> _Level:
    height, width = data.shape
    rows, columns = -(-height // TILE), -(-width // TILE)
    padded = np.zeros((rows * TILE, columns * TILE), np.uint8)
    padded[:height, :width] = data
    tiles = [
        zlib.compress(padded[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE].tobytes(), 6)
        for r in range(rows)
        for c in range(columns)
    ]
    tags: list[Tag] = [
        (254, _LONG, [subfile]),
        (256, _LONG, [width]),
        (257, _LONG, [height]),
        (258, _SHORT, [8]),
        (259, _SHORT, [8]),  # deflate
        (262, _SHORT, [1]),  # black is zero
        (277, _SHORT, [1]),
        (284, _SHORT, [1]),
        (322, _SHORT, [TILE]),
        (323, _SHORT, [TILE]),
        (339, _SHORT, [1]),  # unsigned integers
        *extra,
    ]
    return _Level(width, height, tiles, tags)


def _out(kind: int, values: list[float]) -> bool:
    """Whether the values do not fit in the entry's four bytes."""
    return _SIZES[kind] * len(values) > 4


def _padded(size: int) -> int:
    return size + size % 2  # values start on a word boundary


def _typed(kind: int, values: list[float]) -> list[float] | list[int]:
    return values if kind == _DOUBLE else [int(v) for v in values]
