"""Percentiles and the markdown table."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": percentile(ordered, 0.50),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else float("nan"),
        "n": len(ordered),
    }


def table(rows: Sequence[tuple[str, str, str, str]]) -> str:
    """A markdown table of (measure, result, target, verdict) rows."""
    lines = ["| measure | result | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)
