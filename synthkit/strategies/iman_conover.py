"""Iman–Conover synthesis: exact marginals, reordered to a target rank correlation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import cholesky_factor
from ..dependence.correlation import convert_correlation
from ..dependence.correlation import correlation as estimate_correlation
from ..dependence.iman_conover import iman_conover_ranks, reorder, score_correlation
from ..dependence.repair import nearest_correlation
from ..errors import SpecError
from ._correlated import CorrelatedStrategy
from ._engine import BlockRequest, independent_scores, missing_layout, values_from_uniforms
from ._state import FittedDependence
from .registry import register_strategy

__all__ = ["ImanConover"]


@register_strategy("iman_conover")
class ImanConover(CorrelatedStrategy):
    """Draw every column from its marginal, then reorder the columns to a target Spearman.

    Iman & Conover (1982): each block of rows is drawn exactly as the
    independent ``"montecarlo"`` strategy draws it (same seed, same values),
    then each column's values are permuted so that their ranks follow a score
    matrix of van der Waerden scores with Pearson correlation
    ``C = 2 sin(pi rho_s / 6)`` (exact variant: the scores' own sample
    correlation factored out). The marginal samples are therefore *exactly*
    those of independent draws (sorted columns identical) and the Spearman
    correlation hits its target (errors ~1/sqrt(n)).

    Fitted mode estimates Spearman's rho on the distributional-transform
    uniforms (mixed types take part; ties broken at random). Each column with
    nulls adds its missingness indicator to the reordering (its missing cells
    go to the rows with the lowest indicator scores), so missing values are as
    random, or as tied to other columns, as in the real table (see
    :mod:`synthkit.strategies._latent`).
    Declared mode takes ``correlation`` as Spearman (default), Kendall
    (``rho_s = 6/pi asin(sin(pi tau / 2) / 2)``, exact for Gaussian
    dependence) or normal scores.

    Parameters
    ----------
    exact : bool
        Factor out the scores' own correlation (Iman–Conover's exact variant).
    correlation, correlation_type, threshold, strict, fit_seed, **params
        See :class:`~synthkit.strategies._correlated.CorrelatedStrategy`.

    Attributes
    ----------
    correlation_ : ndarray
        Target Spearman correlation.
    score_correlation_ : ndarray
        Pearson correlation given to the normal scores (pre-adjusted, repaired).

    Examples
    --------
    >>> import synthkit
    >>> m = synthkit.declare({"a": {"distribution": "exponential"}, "b": {"distribution": "gamma",
    ...                       "params": {"a": 2}}}, strategy="iman_conover",
    ...                      correlation=[[1, .7], [.7, 1]])
    >>> round(float(m.sample(20000, seed=0).frame.corr("spearman").iloc[0, 1]), 1)
    0.7
    """

    correlation_types = ("spearman", "kendall", "normal_scores")
    default_correlation_type = "spearman"
    measure = "spearman"

    def __init__(self, *, exact: bool = True, **params: Any) -> None:
        super().__init__(**params)
        self.exact = exact

    def _validate_params(self) -> None:
        if (self.correlation_type or "spearman") == "pearson":
            raise SpecError(
                "`correlation_type` 'pearson' is not supported by 'iman_conover', which controls "
                "rank correlation; declare Spearman, or use strategy='gaussian_copula' with "
                "correlation_type='pearson' (NORTA)"
            )
        super()._validate_params()
        if not isinstance(self.exact, (bool, np.bool_)):
            raise SpecError(f"`exact` must be True or False, got {self.exact!r}")

    def _on_state(self) -> None:
        # the scores' correlation: the Spearman target pre-adjusted (2 sin(pi rho / 6)), repaired
        self.score_correlation_ = score_correlation(self.latent_correlation_, threshold=self.threshold)
        self.factor_ = cholesky_factor(self.score_correlation_)

    def _declared_latent(self) -> tuple[np.ndarray, Any, Any]:
        m = check_correlation_matrix(self.correlation, self._names)
        if self._ctype != "spearman":
            m = convert_correlation(m, self._ctype, "spearman")
        rep = nearest_correlation(m, self._names, threshold=self.threshold, strict=self.strict)
        return rep.matrix, (rep if rep.repaired else None), None

    def _estimate_latent(self, frame: pd.DataFrame) -> FittedDependence:
        u = self._fit_uniforms(frame)  # values, then missingness indicators (completed)
        const = self._constant_idx(frame)
        live = [j for j in range(u.shape[1]) if j not in const]
        corr = np.eye(u.shape[1])
        if len(live) >= 2:
            corr[np.ix_(live, live)] = estimate_correlation(u[:, live], "spearman")
        return self._dependence(*self._finish(corr, const))

    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        # exactly the "montecarlo" draw (uniforms, normal scores for the normal-score columns),
        # reordered: the scores read monotonically, so the marginal samples coincide
        if request.conditions:
            return super()._draw(request)
        scores, normal = independent_scores(self, request.rows, request.rng)
        return values_from_uniforms(self, self._reordered(scores, request.rng), normal)

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._reordered(rng.random((len(self.columns_), n)).T, rng)

    def _reordered(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = u.shape[0]
        lay = missing_layout(self)
        if not lay:
            if u.shape[1] < 2 or n < 2:
                return u
            ranks = iman_conover_ranks(n, self.score_correlation_, rng, exact=bool(self.exact))
            return reorder(u, ranks)
        ranks = iman_conover_ranks(n, self.score_correlation_, rng, exact=bool(self.exact))
        return self._reorder_with_missing(u, ranks, lay)

    def _reorder_with_missing(self, u: np.ndarray, ranks: np.ndarray, lay: dict[int, int]) -> np.ndarray:
        """Reorder the independent draws, nullable columns in two parts.

        A nullable column's draw ``u`` gives as many missing cells as ``u < pi``
        and the values ``(u - pi) / (1 - pi)`` of the others, exactly as the
        independent strategy reads it. The missing cells go to the rows with the
        lowest ranks of the column's indicator scores; the values fill the other
        rows in the order of the value scores. Returns ``(n, d + m)`` uniforms in
        the value-and-missingness layout (missingness uniform 0 for a missing
        cell, 1 otherwise).
        """
        n, d = u.shape
        out = np.empty((ranks.shape[1], n)).T  # column-major, as `reorder` returns
        plain = [j for j in range(d) if j not in lay]
        if plain:
            out[:, plain] = reorder(u[:, plain], ranks[:, plain])
        for j, c in lay.items():
            pi = float(self.columns_[j].column.null_fraction)
            col = u[:, j]
            kept = col >= pi
            values = np.sort(np.clip((col[kept] - pi) / (1.0 - pi), 0.0, 1.0))
            missing = ranks[:, c] < n - values.size
            rows = np.flatnonzero(~missing)
            out[:, j] = 0.5
            out[rows[np.argsort(ranks[rows, j], kind="stable")], j] = values
            out[:, c] = np.where(missing, 0.0, 1.0)
        return out
