"""Gaussian-copula synthesis: fitted marginals joined by a normal-scores correlation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..dependence.copula import (
    check_gibbs_sweeps,
    clip_uniform,
    fit_gaussian_copula,
    sample_conditional_rows,
    sample_gaussian_copula,
)
from ..dependence.latent import (
    pairwise_complete_correlation,
    pairwise_latent_correlation,
)
from ..dependence.tabular import (
    frame_to_intervals,
    frame_to_uniforms,
    missing_intervals,
    missing_uniforms,
)
from ..errors import SpecError
from ..seeding import as_generator
from ._correlated import CorrelatedStrategy, rank_uniforms
from ._engine import BlockRequest
from ._state import FittedDependence
from .registry import register_strategy

__all__ = ["GaussianCopula", "correlated_normals"]

#: Atoms (ties, discrete values) with less probability than this are treated as points
#: by the pairwise maximum-likelihood estimator.
ATOM_MIN = 0.05


@register_strategy("gaussian_copula")
class GaussianCopula(CorrelatedStrategy):
    """Gaussian copula: ``X_j = F_j^-1(Phi(Z_j))``, ``Z ~ N(0, R)`` (the default strategy).

    Fitting maps every column to uniforms with its distributional transform
    (Rüschendorf 2009: ``u = F(x-) + V (F(x) - F(x-))``, so categorical,
    boolean, integer and datetime values take part in the dependence),
    estimates ``R`` as the correlation of the normal scores ``Phi^-1(u)``
    (Klaassen & Wellner 1997) and repairs it to positive definite (Higham 2002)
    if needed. Sampling maps ``Phi(Z)`` back through each column's generalized
    inverse, so discrete columns keep their exact values and frequencies; the
    column models read ``F^-1(Phi(Z))`` straight from the normal scores ``Z``
    (quantile tables on a normal-score grid, category thresholds ``Phi^-1(C_k)``),
    so neither ``Phi`` nor ``Phi^-1`` is evaluated per value.
    Each column with nulls adds a missingness indicator to ``Z`` (missing when
    its score is below ``Phi^-1(pi)``), correlated with the other dimensions
    as estimated from the data, so missing values are as random, or as tied
    to other columns, as in the real table (see
    :mod:`synthkit.strategies._latent`).

    Declared mode (``from_spec`` / ``synthkit.declare``): give ``correlation``
    and its ``correlation_type``: ``"normal_scores"`` (the copula parameter
    itself), ``"spearman"`` (``R = 2 sin(pi rho_s / 6)``), ``"kendall"``
    (``R = sin(pi tau / 2)``) or ``"pearson"`` (NORTA, Cario & Nelson 1997:
    the latent correlation solved pair by pair so the output columns have the
    declared Pearson correlation; unattainable targets are reported with
    their Fréchet interval).

    Conditional sampling: ``sample(n, conditions={"age": (30, 40), "segment": "retail"})``
    draws from the conditional distribution without rejection (see
    :func:`synthkit.dependence.copula.sample_conditional_normal`).

    Parameters
    ----------
    estimator : {"pairwise_mle", "normal_scores"}
        How ``R`` is estimated from data. ``"normal_scores"``: correlation of
        the normal scores of the distributional transform (jitter attenuates
        correlations with discrete columns). ``"pairwise_mle"`` (default): the
        same for pairs of continuous columns, and maximum likelihood of the
        interval-censored bivariate normal (polyserial / polychoric) for pairs
        involving discrete, categorical or boolean columns
        (:mod:`synthkit.dependence.latent`); missing cells are left out pair by
        pair (pairwise-complete), so nulls do not dilute the dependence, and the
        missingness indicators' correlations are polyserial / polychoric. With
        missing values either estimate is the start of a stochastic EM that
        re-estimates every entry jointly from every row
        (:func:`~synthkit.dependence.latent.stochastic_em_correlation`).
    on_infeasible : {"raise", "clip"}
        Declared Pearson targets outside the attainable interval raise, or are
        clipped to it (reported in ``norta_``).
    gibbs_sweeps : int
        Gibbs sweeps when several columns are conditioned on intervals (at most 1,000).
    correlation, correlation_type, threshold, strict, fit_seed, **params
        See :class:`~synthkit.strategies._correlated.CorrelatedStrategy`.

    Attributes
    ----------
    correlation_ : ndarray
        Latent normal-scores correlation of the values (positive definite).
    latent_correlation_ : ndarray
        The full latent correlation: values, then the missingness indicators of
        the columns in ``missing_columns_``.
    repair_ : RepairReport or None
        The repair applied to the estimated / declared matrix, if any.

    Examples
    --------
    >>> import pandas as pd, synthkit
    >>> from sklearn.datasets import load_wine
    >>> m = synthkit.fit(load_wine(as_frame=True).frame, strategy="gaussian_copula")
    >>> m.sample(1000, seed=0).frame.shape
    (1000, 14)
    """

    supports_conditions = True
    default_correlation_type = "normal_scores"

    def __init__(
        self,
        *,
        estimator: str = "pairwise_mle",
        on_infeasible: str = "raise",
        gibbs_sweeps: int = 25,
        **params: Any,
    ):
        super().__init__(**params)
        self.estimator = estimator
        self.on_infeasible = on_infeasible
        self.gibbs_sweeps = gibbs_sweeps

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.estimator not in ("pairwise_mle", "normal_scores"):
            raise SpecError(
                f"`estimator` must be 'pairwise_mle' or 'normal_scores', got {self.estimator!r}"
            )
        if self.on_infeasible not in ("raise", "clip"):
            raise SpecError(
                f"`on_infeasible` must be 'raise' or 'clip', got {self.on_infeasible!r}"
            )
        check_gibbs_sweeps(self.gibbs_sweeps)

    def _estimate_latent(self, frame: pd.DataFrame) -> FittedDependence:
        rng = as_generator(int(self.fit_seed))
        raw = frame_to_uniforms(self.columns_, frame, rng, null_mass=False)
        observed = ~np.isnan(raw)
        u = rank_uniforms(raw, observed)  # pseudo-observations among each column's observed rows
        idx = self._missing_idx
        d, m = len(self.columns_), len(idx)
        const = self._constant_idx(frame)
        live = [j for j in range(d) if j not in const] + list(range(d, d + m))
        corr = np.eye(d + m)
        if len(live) >= 2:
            # missingness indicators: thresholds of their latent scores (polyserial /
            # polychoric pairs); a value and its own indicator share no observed row
            mlo, mhi = missing_intervals(self.columns_, frame, idx)
            obs = np.column_stack([observed, np.ones(mlo.shape, dtype=bool)])
            if self.estimator == "pairwise_mle":
                lo, hi, _ = frame_to_intervals(self.columns_, frame)
                # points (continuous values, and atoms lighter than ATOM_MIN such as a few
                # tied rows) get rank-based normal scores among the observed rows, ties
                # broken at random; heavier atoms keep their probability interval (MLE)
                narrow = (hi - lo) < ATOM_MIN
                lo, hi = np.where(narrow, u, lo), np.where(narrow, u, hi)
                zlo = np.column_stack([special.ndtri(lo), mlo])
                zhi = np.column_stack([special.ndtri(hi), mhi])
                sub = pairwise_latent_correlation(zlo[:, live], zhi[:, live], observed=obs[:, live])
            elif not m:
                sub, _ = fit_gaussian_copula(u[:, live], threshold=0.0)
            else:
                # normal scores of the values (pairwise complete) and of the indicators'
                # distributional transform
                ind = rank_uniforms(missing_uniforms(self.columns_, frame, idx, rng))
                z = special.ndtri(np.column_stack([u, ind]))
                sub = pairwise_complete_correlation(z[:, live])
                own = {(live.index(j), live.index(d + k)) for k, j in enumerate(idx) if j in live}
                for a, b in own:
                    sub[a, b] = sub[b, a] = 0.0
                zlo = np.column_stack([special.ndtri(u), mlo])
                zhi = np.column_stack([special.ndtri(u), mhi])
            corr[np.ix_(live, live)] = sub
            if m:
                corr = self._joint_latent_correlation(corr, np.where(obs, zlo, -np.inf),
                                                      np.where(obs, zhi, np.inf), live, rng)
        return self._dependence(*self._finish(corr, const))

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._calibrate(sample_gaussian_copula(self.factor_, n, rng))

    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        """One block's values: ``Z = L E`` (``E`` standard normal, ``(d + m, n)``) read by the columns.

        The same draw as :meth:`_uniforms` (``Φ(Z)`` through the column models), but the
        column models take the normal scores ``Z`` directly
        (:meth:`~synthkit.strategies._latent.LatentTable._values_from_normals`): their
        quantile tables live in normal-score space, so ``Φ`` and ``Φ^{-1}`` are never
        evaluated. Conditioned draws go through :meth:`_uniforms_given`.
        """
        if request.conditions:
            return super()._draw(request)
        return self._values_from_normals(correlated_normals(self.factor_, request.rows, request.rng))

    def _uniforms_given(self, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Uniforms of ``Z ~ N(0, R)`` given each row's own evidence ``lo <= u <= hi`` (NaN: free).

        The bounds are mapped to latent normal scores, ``z = Phi^-1(u)`` (a nullable
        column's value bounds are on its observed values' scale and go back through
        the inverse of its calibration ``G`` first), then drawn by
        :func:`~synthkit.dependence.copula.sample_conditional_rows` (points fixed,
        intervals by truncated / Gibbs draws, the rest from the exact conditional
        normal) and returned calibrated, ready for the column models.

        Examples
        --------
        >>> import numpy as np, synthkit
        >>> m = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "normal"}},
        ...                      correlation=[[1, .9], [.9, 1]], strategy="gaussian_copula")
        >>> lo = np.array([[0.975, np.nan]]).repeat(4000, axis=0)
        >>> u = m._uniforms_given(lo, lo, np.random.default_rng(0))
        >>> round(float(np.mean(u[:, 1] > 0.5)), 1)
        1.0
        """
        lo = np.array(lo, dtype=float)
        hi = np.array(hi, dtype=float)
        for j, (ug, gg) in self._calibration().items():  # observed-values scale -> latent uniform
            for bound in (lo, hi):
                given = ~np.isnan(bound[:, j])
                bound[given, j] = np.interp(bound[given, j], gg, ug)
        with np.errstate(divide="ignore"):
            zlo, zhi = special.ndtri(lo), special.ndtri(hi)
        z = sample_conditional_rows(self.latent_correlation_, zlo, zhi, rng, sweeps=self.gibbs_sweeps)
        return self._calibrate(clip_uniform(special.ndtr(z)))


#: Most multiply-adds of one piece of ``L @ E`` (a small product runs on one BLAS thread).
_PIECE_FLOPS = 2**18


def correlated_normals(factor: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``Z = L E``, ``(D, n)``: ``n`` draws of ``N(0, L L^T)``, one row per dimension.

    ``E`` is ``rng.standard_normal((D, n))`` (the draw of
    :func:`~synthkit.dependence.copula.sample_gaussian_copula`), multiplied in pieces
    of columns small enough to stay in cache and on one BLAS thread: a multi-threaded
    product of this shape is up to 30x slower on a loaded machine, and sampling
    threads already run in parallel. Each piece is overwritten by its product (numpy
    buffers an operand that overlaps the output), so a block holds one array of
    normals, not two: the second array's first touch cost as much as the product.
    The pieces depend only on ``D``, so the result does not depend on the machine's
    load or the number of sampling threads.

    Examples
    --------
    >>> import numpy as np
    >>> z = correlated_normals(np.linalg.cholesky([[1, .5], [.5, 1]]), 5, np.random.default_rng(0))
    >>> z.shape
    (2, 5)
    """
    z = rng.standard_normal((factor.shape[0], n))
    d = factor.shape[0]
    step = max(64, 1 << max(0, (_PIECE_FLOPS // (d * d)).bit_length() - 1))
    for start in range(0, n, step):
        piece = z[:, start:start + step]
        np.matmul(factor, piece, out=piece)  # numpy buffers the overlapping operand
    return z
