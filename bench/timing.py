"""Small timing helpers for the benchmarks: percentiles and a figures table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def samples(fn: Callable[[], object], repeats: int, warmup: int = 3) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def timed(
    fn: Callable[[], object], repeats: int, warmup: int = 3
) -> tuple[list[float], list[float]]:
    """(wall-clock, CPU) seconds of ``repeats`` calls of ``fn`` after ``warmup`` calls. CPU
    time is that of this process, so it only measures work done in it (in-process calls)."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return walls, cpus


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def p50_p99_ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1e3:8.3f} ms  p99 {percentile(values, 0.99) * 1e3:8.3f} ms"
    )


def median(values: list[float]) -> float:
    return statistics.median(values)
