"""Hilbert curve keys for spatially ordering rows (nearby places get nearby keys)."""

from __future__ import annotations

ORDER = 16
SIDE = 1 << ORDER


def hilbert_key(lon: float, lat: float) -> int:
    """The Hilbert index of a WGS84 point on a 2^16 x 2^16 grid over the globe."""
    x = _cell((lon + 180.0) / 360.0)
    y = _cell((lat + 90.0) / 180.0)
    key = 0
    half = SIDE >> 1
    while half > 0:
        rx = 1 if x & half else 0
        ry = 1 if y & half else 0
        key += half * half * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant so the curve stays continuous
            if rx == 1:
                x, y = SIDE - 1 - x, SIDE - 1 - y
            x, y = y, x
        half >>= 1
    return key


def _cell(fraction: float) -> int:
    if fraction != fraction:  # NaN
        return 0
    return min(SIDE - 1, max(0, int(fraction * SIDE)))
