"""Cholesky synthesis: correlated normal columns with the fitted means, variances and Pearson."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import DrawMoments, correlate
from ..dependence.copula import clip_uniform
from ..dependence.correlation import normal_scores
from ..dependence.latent import correct_for_selection
from ..dependence.norta import marginal_moments
from ..dependence.repair import nearest_correlation
from ..dependence.tabular import NumericMarginalView, missing_thresholds
from ..errors import ModelFileError, SpecError
from ..seeding import block_generator, iter_blocks
from ._correlated import CorrelatedStrategy
from ._engine import BlockRequest, missing_layout
from ._state import FittedDependence
from .registry import register_strategy

__all__ = ["Cholesky"]

_NUMERIC = ("continuous", "integer")
#: Largest |mean| and standard deviation a model file may give (the draws stay finite).
MAX_MOMENT = 1e150


@register_strategy("cholesky")
class Cholesky(CorrelatedStrategy):
    """Standardize, mix with the Cholesky factor of the Pearson correlation, de-standardize.

    Each numeric column is drawn as ``mu_j + sigma_j (Z L^T)_j`` with ``Z``
    independent standard normal and ``R = L L^T`` the Pearson correlation of
    the (numeric) columns, so means, variances and Pearson correlations are
    preserved; ``exact=True`` whitens the draw first, so the sample's
    correlation equals ``R`` to machine precision (and its means/standard
    deviations equal the targets), at any ``n`` and however it is chunked or
    threaded.

    Exact mode, in two passes over the blocks of
    :data:`~synthkit.seeding.BLOCK_ROWS` rows (block ``b`` seeded by
    :func:`~synthkit.seeding.block_generator`): pass 1 regenerates each block's
    normal draw ``Z_b`` and keeps only its count, mean and centred
    cross-products, merged in block order
    (:class:`~synthkit.dependence.cholesky.DrawMoments`) into the whole sample's
    mean ``m`` and covariance ``S = L_S L_S^T``; pass 2 regenerates each block
    and applies the one affine map ``(Z_b - m) L_S^-T L^T``. The rows are a pure
    function of the fitted parameters, ``n`` and the seed, identical for any
    ``chunk_rows`` and ``workers``. With ``rules`` a block is drawn in rounds
    until enough rows pass them (the draws are not known in advance), so each
    round is whitened on its own and the accepted rows' correlation is not
    exact; with strata each block is whitened on its own.

    **The marginal shapes are not preserved**: every numeric column comes out
    normal (skewness, bounds, modes and discreteness are lost; integer
    columns are rounded, values may fall outside the data's range). Use
    ``"iman_conover"`` to keep the marginals exactly with a target rank
    correlation, or ``"gaussian_copula"`` (with ``correlation_type="pearson"``
    for a declared Pearson target on non-normal marginals, NORTA).

    Categorical, boolean and datetime columns take part through their
    normal scores (``F^-1(Phi(z))``); each column with nulls adds a
    missingness indicator to the latent normals (missing below
    ``Phi^-1(pi)``), correlated with the columns as in the data (see
    :mod:`synthkit.strategies._latent`).

    Parameters
    ----------
    exact : bool
        Whiten the whole sample's draw (needs more rows than latent dimensions).
    correlation : array-like, optional
        Declared Pearson correlation (``correlation_type`` is ``"pearson"``).
    threshold, strict, fit_seed, **params
        See :class:`~synthkit.strategies._correlated.CorrelatedStrategy`.

    Examples
    --------
    >>> import numpy as np, synthkit
    >>> m = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "normal"}},
    ...                      strategy="cholesky", correlation=[[1, .6], [.6, 1]], exact=True)
    >>> x = m.sample(500, seed=0).frame
    >>> round(float(x.corr().iloc[0, 1]), 10)
    0.6
    """

    correlation_types = ("pearson",)
    default_correlation_type = "pearson"

    def __init__(self, *, exact: bool = False, **params: Any) -> None:
        super().__init__(**params)
        self.exact = exact

    def _validate_params(self) -> None:
        super()._validate_params()
        if not isinstance(self.exact, (bool, np.bool_)):
            raise SpecError(f"`exact` must be True or False, got {self.exact!r}")

    def _numeric_idx(self) -> list[int]:
        return [j for j, cm in enumerate(self.columns_) if cm.column.kind in _NUMERIC]

    measure = "pearson"

    @property
    def means_(self) -> np.ndarray:
        """Means of the numeric columns' output (0 for the others)."""
        return self.dependence_.params["means"]

    @property
    def stds_(self) -> np.ndarray:
        """Standard deviations of the numeric columns' output (1 for the others)."""
        return self.dependence_.params["stds"]

    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        num = self._numeric_idx()
        x = frame[[self._names[j] for j in num]].apply(pd.to_numeric, errors="coerce")
        means, stds = np.zeros(len(self._names)), np.ones(len(self._names))
        means[num] = x.mean().to_numpy(dtype=float)
        stds[num] = np.nan_to_num(x.std(ddof=1).to_numpy(dtype=float), nan=0.0)
        self._moments = (means, stds)
        return replace(super()._estimate(frame), params={"means": means, "stds": stds})

    def _estimate_latent(self, frame: pd.DataFrame) -> FittedDependence:
        num = self._numeric_idx()
        names = self._names
        x = frame[[names[j] for j in num]].apply(pd.to_numeric, errors="coerce")
        stds = self._moments[1]
        u = self._fit_uniforms(frame)  # values, then missingness indicators (completed)
        corr = np.corrcoef(normal_scores(u), rowvar=False) if u.shape[1] > 1 else np.eye(1)
        const = self._constant_idx(frame, [num[k] for k in np.flatnonzero(stds[num] == 0)])
        if len(num) >= 2:
            pear = x.corr(method="pearson").to_numpy(dtype=float)
            corr[np.ix_(num, num)] = pear
            if self._missing_idx:  # pairwise-complete Pearson: undo the selection of the rows
                idx = self._missing_idx
                fixed = correct_for_selection(corr, len(names), idx,
                                              missing_thresholds(self.columns_, idx))
                corr[np.ix_(num, num)] = fixed[np.ix_(num, num)]
        return self._dependence(*self._finish(np.atleast_2d(corr), const))

    def _declare(self) -> FittedDependence:
        d = len(self.columns_)
        means, stds = np.zeros(d), np.ones(d)
        for j in self._numeric_idx():
            means[j], stds[j] = marginal_moments(NumericMarginalView(self.columns_[j]))
        return replace(super()._declare(), params={"means": means, "stds": stds})

    def _declared_latent(self) -> tuple[np.ndarray, Any, Any]:
        # the declared Pearson matrix is used as is: the output columns are normal
        m = check_correlation_matrix(self.correlation, self._names)
        rep = nearest_correlation(m, self._names, threshold=self.threshold, strict=self.strict)
        return rep.matrix, (rep if rep.repaired else None), None

    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        if request.conditions:
            raise SpecError("the 'cholesky' strategy does not support `conditions`")
        n, rng = request.rows, request.rng
        d = len(self.columns_)
        lay = missing_layout(self)  # missingness indicators: latent dims after the values
        z = rng.standard_normal((n, d + len(lay)))  # first draw of the block: see _prepare_sample
        x = self._correlate(z, request.state)  # exact mode: whitened, unit sample variance (ddof=1)
        for j, (ug, gg) in self._calibration().items():  # observed values keep their moments
            x[:, j] = special.ndtri(clip_uniform(np.interp(special.ndtr(x[:, j]), ug, gg)))
        out = []
        num = set(self._numeric_idx())
        miss_u = {j: special.ndtr(x[:, c]) for j, c in lay.items()}
        null_u = None if lay else rng.random((n, d))
        means, stds = self.means_, self.stds_
        for j, cm in enumerate(self.columns_):
            col = cm.column
            if j in num:
                v = means[j] + stds[j] * x[:, j]
                if col.kind == "integer":
                    v = np.round(v)
                elif col.decimals is not None:
                    v = np.round(v, col.decimals)
                if col.null_fraction > 0:
                    mu = miss_u[j] if j in miss_u else null_u[:, j]
                    v = np.where(mu < col.null_fraction, np.nan, v)
                out.append(v)
            else:
                out.append(cm.values_from_uniform(clip_uniform(special.ndtr(x[:, j])), miss_u.get(j)))
        return out

    def _correlate(self, z: np.ndarray, whitening: tuple | None) -> np.ndarray:
        """``z L^T``; exact mode: ``z`` whitened by the sample's map (else by its own block)."""
        if whitening is not None:
            shift, mix = whitening
            return (z - shift) @ mix
        exact = bool(self.exact) and z.shape[0] > z.shape[1] + 1
        return correlate(z, self.factor_, exact=exact)

    def _prepare_sample(self, n: int, root: np.random.SeedSequence, workers: int):
        """Pass 1 of exact mode: ``(m, L_S^-T L^T)`` from every block's regenerated draw.

        Relies on :meth:`_draw` drawing ``standard_normal((rows, k))`` first from
        the block's generator (``k`` latent dimensions). None (each block whitened
        on its own, or not at all) outside exact mode or with too few rows.
        """
        k = self.factor_.shape[0]
        if not (self.exact and n > k + 1):
            return None

        def moments(block) -> DrawMoments:
            return DrawMoments.of(block_generator(root, block.index).standard_normal((block.size, k)))

        blocks = list(iter_blocks(n))
        if workers == 1 or len(blocks) == 1:
            parts = [moments(b) for b in blocks]
        else:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(moments, blocks))
        shift, w = reduce(DrawMoments.merge, parts).whitening()  # merged in block order
        return shift, w @ self.factor_.T

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        dep = super()._dependence_from_dict(d)
        try:
            means = np.asarray(d["means"], dtype=float)
            stds = np.asarray(d["stds"], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(
                "cholesky model document: `means`/`stds` missing or malformed"
            ) from None
        if means.shape != (len(self.columns_),) or stds.shape != means.shape:
            raise ModelFileError("cholesky model document: `means`/`stds` do not match the columns")
        if not (np.all(np.abs(means) <= MAX_MOMENT) and np.all((stds >= 0) & (stds <= MAX_MOMENT))):
            raise ModelFileError(f"cholesky model document: `means` must be finite and `stds` finite and "
                                 f">= 0 (at most {MAX_MOMENT:g} in size), got {means.tolist()} and "
                                 f"{stds.tolist()}")
        return replace(dep, params={"means": means, "stds": stds})
