"""Cluster sizes with an exact imbalance ratio.

Method. Proportions ``pi_i ∝ imbalance_ratio ** v_i`` with ``v`` spread over
[0, 1] (one cluster at each end, the others uniform), then rounded to integers
summing to ``n`` by the largest-remainder (Hamilton) method, with at least one
point per cluster. ``max n_i / min n_i`` equals ``imbalance_ratio`` up to
integer rounding.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from .covariances import spread_logs

__all__ = ["largest_remainder", "group_sizes"]


def largest_remainder(weights: np.ndarray, n: int, minimum: int = 0) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``n`` (Hamilton's method).

    Examples
    --------
    >>> largest_remainder(np.array([1.0, 1.0, 2.0]), 10).tolist()
    [3, 2, 5]
    """
    w = np.asarray(weights, dtype=float)
    k = w.size
    if n < minimum * k:
        raise SpecError(f"cannot give {k} groups at least {minimum} each out of {n}")
    exact = w / w.sum() * n
    base = np.floor(exact).astype(int)
    rest = n - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    # lift groups below the minimum, taking one at a time from the largest group
    while base.min() < minimum:
        base[np.argmin(base)] += 1
        base[np.argmax(base)] -= 1
    return base


def group_sizes(n: int, k: int, imbalance_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Sizes of ``k`` clusters totalling ``n`` with max/min ≈ ``imbalance_ratio``.

    Examples
    --------
    >>> group_sizes(300, 2, 2.0, np.random.default_rng(0)).tolist() in ([100, 200], [200, 100])
    True
    """
    if n < k:
        raise SpecError(f"`n_samples` ({n}) must be at least `n_clusters` ({k})")
    v = spread_logs(k, rng)
    return largest_remainder(imbalance_ratio**v, n, minimum=1)
