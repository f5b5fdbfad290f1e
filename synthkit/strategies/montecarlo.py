"""Monte-Carlo per-feature synthesis: every column drawn independently from its marginal."""

from __future__ import annotations

import numpy as np

from .base import Strategy
from .registry import register_strategy

__all__ = ["MonteCarlo"]


@register_strategy("montecarlo")
class MonteCarlo(Strategy):
    """Independent columns: ``X_j = F_j^{-1}(U_j)`` with independent uniforms ``U_j``.

    Each column keeps its own fitted (or declared) marginal exactly; no
    dependence between columns is modelled (use ``"gaussian_copula"`` for that).
    Business ``rules`` filter the rows (rejection sampling, block by block).

    Parameters
    ----------
    **params
        The common parameters of :class:`~synthkit.strategies.base.Strategy`
        (``marginals``, ``criterion``, ``ks_tolerance``, ``rules``).

    Examples
    --------
    >>> import pandas as pd, synthkit
    >>> df = pd.DataFrame({"x": [1.2, 3.4, 2.2, 5.1, 0.3], "c": list("abaab")})
    >>> m = synthkit.fit(df, strategy="montecarlo")
    >>> m.sample(4, seed=0).frame.columns.tolist()
    ['x', 'c']
    """

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Column-major draws: each column's uniforms are contiguous in memory.
        return rng.random((len(self.columns_), n)).T
