"""Hilbert curve keys for spatially ordering rows (nearby places get nearby keys)."""

from __future__ import annotations

from typing import Any

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


def hilbert_keys(lon: Any, lat: Any) -> Any:
    """:func:`hilbert_key` for numpy arrays of longitudes and latitudes (NaN → cell 0)."""
    import numpy as np

    def cells(values: Any, origin: float, span: float) -> Any:
        fraction = np.nan_to_num((np.asarray(values, dtype=np.float64) - origin) / span)
        return np.clip((fraction * SIDE).astype(np.int64), 0, SIDE - 1)

    x, y = cells(lon, -180.0, 360.0), cells(lat, -90.0, 180.0)
    key = np.zeros(x.shape, dtype=np.int64)
    half = SIDE >> 1
    while half > 0:
        rx = (x & half) > 0
        ry = (y & half) > 0
        key += half * half * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        x = np.where(flip, SIDE - 1 - x, x)
        y = np.where(flip, SIDE - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        half >>= 1
    return key
