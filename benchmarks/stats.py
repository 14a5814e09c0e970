"""Latency statistics shared by the benchmarks."""

import math


def summarise(samples_ms: list[float]) -> dict[str, float | int]:
    """Count, min, p50/p95/p99 (nearest rank), max and mean of latencies in milliseconds."""
    if not samples_ms:
        return {"n": 0}
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"n": len(ordered), "min": round(ordered[0], 3), "p50": round(rank(50), 3), "p95": round(rank(95), 3),
            "p99": round(rank(99), 3), "max": round(ordered[-1], 3), "mean": round(sum(ordered) / len(ordered), 3)}
