"""Percentiles, the way every benchmark here reports them."""


def percentile(values, p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; NaN when there are none."""
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
