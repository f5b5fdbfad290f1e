"""Monte-Carlo per-feature synthesis: every column drawn independently from its marginal."""

from __future__ import annotations

import numpy as np

from ._engine import BlockRequest, independent_scores, values_from_uniforms
from .base import Strategy
from .registry import register_strategy

__all__ = ["MonteCarlo"]


@register_strategy("montecarlo")
class MonteCarlo(Strategy):
    """Independent columns: ``X_j = F_j^{-1}(U_j)`` with independent uniforms ``U_j``.

    Each column keeps its own fitted (or declared) marginal exactly; no
    dependence between columns is modelled (use ``"gaussian_copula"`` for that).
    Business ``rules`` are applied in bounded rounds inside each block
    (:mod:`synthkit.strategies._engine`); a hard rule bounding one column
    (``age >= 18``) rejects nothing: that column is drawn from its marginal
    truncated to the bound, ``F^{-1}(F(lo-) + U (F(hi) - F(lo-)))``.

    A block draws its columns by inversion: a uniform ``U_j`` per row for most columns,
    but a standard normal score ``Z_j`` for the columns whose marginal reads its quantiles
    in normal-score space (:attr:`~synthkit.columns.ColumnModel.reads_normal_scores`: the
    normal, the lognormal and the families without a closed-form quantile function, such
    as gamma and beta), so ``X_j = F_j^{-1}(Φ(Z_j))`` is read without evaluating
    ``Φ^{-1}``: the same distribution, with the block generator's ``random`` for the
    uniform columns first and its ``standard_normal`` for the normal-score columns next.
    Conditioned draws (``conditions`` and bounding rules) confine uniforms and stay on them.

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

    supports_conditions = True

    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        """One block's values: :func:`~synthkit.strategies._engine.independent_scores` (uniforms,
        and normal scores for the normal-score columns) through the column models.

        Examples
        --------
        >>> import numpy as np, synthkit
        >>> m = synthkit.declare({"g": {"distribution": "gamma", "params": {"a": 2.0}},
        ...                       "w": {"distribution": "weibull", "params": {"c": 1.5}}},
        ...                      strategy="montecarlo")
        >>> g, w = m._draw(BlockRequest(np.random.SeedSequence(0), 0, 3, np.random.default_rng(0)))
        >>> rng = np.random.default_rng(0)
        >>> u, z = rng.random(3), rng.standard_normal(3)
        >>> bool(np.array_equal(w, m.columns_[1].values_from_uniform(u)))
        True
        >>> bool(np.array_equal(g, m.columns_[0].values_from_normal(z)))
        True
        """
        if request.conditions:
            return super()._draw(request)
        scores, normal = independent_scores(self, request.rows, request.rng)
        return values_from_uniforms(self, scores, normal)

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Column-major draws: each column's uniforms are contiguous in memory.
        return rng.random((len(self.columns_), n)).T

    def _uniforms_given(self, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Independent uniforms, each in its row's ``[lo, hi]`` (``NaN``: the whole ``[0, 1]``).

        ``u = lo + V (hi - lo)`` with ``V ~ U(0, 1)``: exact, since the columns are independent.

        Examples
        --------
        >>> import numpy as np, synthkit
        >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
        >>> u = m._uniforms_given(np.array([[0.2], [np.nan]]), np.array([[0.3], [np.nan]]),
        ...                       np.random.default_rng(0))
        >>> bool(0.2 <= u[0, 0] <= 0.3)
        True
        """
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        v = rng.random((lo.shape[1], lo.shape[0])).T
        a = np.where(np.isnan(lo), 0.0, lo)
        b = np.where(np.isnan(hi), 1.0, hi)
        return a + v * (b - a)
