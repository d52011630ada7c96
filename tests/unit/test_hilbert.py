"""Hilbert keys: a bijection on the grid, and neighbours stay close."""

from __future__ import annotations

import itertools

from stacsift import hilbert


def test_coarse_cells_form_a_continuous_bijection() -> None:
    # GIVEN the centres of an 8 x 8 grid, WHEN keyed at full resolution and reduced to the
    # 8 x 8 curve's order, THEN every cell gets its own key and consecutive keys are neighbours
    side, shift = 1 << 3, 2 * (hilbert.ORDER - 3)
    cells = {}
    for x in range(side):
        for y in range(side):
            lon = -180.0 + (x + 0.5) * 360.0 / side
            lat = -90.0 + (y + 0.5) * 180.0 / side
            cells[hilbert.hilbert_key(lon, lat) >> shift] = (x, y)
    assert sorted(cells) == list(range(side * side))
    steps = [cells[k] for k in sorted(cells)]
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in itertools.pairwise(steps))


def test_out_of_range_and_nan_are_clamped() -> None:
    assert hilbert.hilbert_key(float("nan"), 0.0) == hilbert.hilbert_key(-180.0, 0.0)
    assert hilbert.hilbert_key(500.0, 100.0) == hilbert.hilbert_key(180.0, 90.0)


def test_vectorized_keys_equal_scalar_keys() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    lon = rng.uniform(-180, 180, 500)
    lat = rng.uniform(-90, 90, 500)
    expected = [hilbert.hilbert_key(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    assert hilbert.hilbert_keys(lon, lat).tolist() == expected
