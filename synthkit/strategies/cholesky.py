"""Cholesky synthesis: correlated normal columns with the fitted means, variances and Pearson."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from .registry import register_strategy

__all__ = ["Cholesky"]

_NUMERIC = ("continuous", "integer")


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
    ``chunk_rows`` and ``workers``. With ``rules`` (rejection sampling: the
    number of blocks is not known in advance) or strata, each block is
    whitened on its own instead.

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
    :mod:`synthkit.strategies._correlated`).

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

    def _fit_dependence(self, frame: pd.DataFrame) -> None:
        num = self._numeric_idx()
        names = self._names
        x = frame[[names[j] for j in num]].apply(pd.to_numeric, errors="coerce")
        self.means_ = np.zeros(len(names))
        self.stds_ = np.ones(len(names))
        self.means_[num] = x.mean().to_numpy(dtype=float)
        self.stds_[num] = np.nan_to_num(x.std(ddof=1).to_numpy(dtype=float), nan=0.0)
        self._init_missing()
        if self.correlation is not None:
            self._set_correlation(self._with_independent_missing(self._declared_latent()))
            return
        u = self._fit_uniforms(frame)  # values, then missingness indicators (completed)
        corr = np.corrcoef(normal_scores(u), rowvar=False) if u.shape[1] > 1 else np.eye(1)
        const = self._constant_idx(frame, [num[k] for k in np.flatnonzero(self.stds_[num] == 0)])
        if len(num) >= 2:
            pear = x.corr(method="pearson").to_numpy(dtype=float)
            corr[np.ix_(num, num)] = pear
            if self._missing_idx:  # pairwise-complete Pearson: undo the selection of the rows
                idx = self._missing_idx
                fixed = correct_for_selection(corr, len(names), idx,
                                              missing_thresholds(self.columns_, idx))
                corr[np.ix_(num, num)] = fixed[np.ix_(num, num)]
        self._set_correlation(self._finish(np.atleast_2d(corr), const))

    def _init_declared(self) -> None:
        self.repair_ = None
        self.norta_ = None
        d = len(self.columns_)
        self.means_ = np.zeros(d)
        self.stds_ = np.ones(d)
        for j in self._numeric_idx():
            self.means_[j], self.stds_[j] = marginal_moments(NumericMarginalView(self.columns_[j]))
        self._init_missing()
        if self.correlation is None:
            self._set_correlation(np.eye(d + len(self._missing_idx)))
        else:
            self._set_correlation(self._with_independent_missing(self._declared_latent()))

    def _declared_latent(self) -> np.ndarray:
        # the declared Pearson matrix is used as is: the output columns are normal
        m = check_correlation_matrix(self.correlation, self._names)
        rep = nearest_correlation(m, self._names, threshold=self.threshold, strict=self.strict)
        self.repair_ = rep if rep.repaired else None
        self.norta_ = None
        return rep.matrix

    def _sample_block(self, n: int, rng: np.random.Generator, conditions: dict | None = None):
        if conditions:
            raise SpecError("the 'cholesky' strategy does not support `conditions`")
        d = len(self.columns_)
        lay = self._missing_layout()  # missingness indicators: latent dims after the values
        z = rng.standard_normal((n, d + len(lay)))  # first draw of the block: see _whitening
        x = self._correlate(z)  # exact mode: whitened, unit sample variance (ddof=1)
        for j, (ug, gg) in self._calibration().items():  # observed values keep their moments
            x[:, j] = special.ndtri(clip_uniform(np.interp(special.ndtr(x[:, j]), ug, gg)))
        out = {}
        num = set(self._numeric_idx())
        miss_u = {j: special.ndtr(x[:, c]) for j, c in lay.items()}
        null_u = None if lay else rng.random((n, d))
        for j, cm in enumerate(self.columns_):
            col = cm.column
            if j in num:
                v = self.means_[j] + self.stds_[j] * x[:, j]
                if col.kind == "integer":
                    v = np.round(v)
                elif col.decimals is not None:
                    v = np.round(v, col.decimals)
                if col.null_fraction > 0:
                    mu = miss_u[j] if j in miss_u else null_u[:, j]
                    v = np.where(mu < col.null_fraction, np.nan, v)
                out[cm.name] = pd.Series(v, name=cm.name)
            else:
                out[cm.name] = cm.from_uniform(clip_uniform(special.ndtr(x[:, j])), miss_u.get(j))
        return pd.DataFrame(out)

    def _correlate(self, z: np.ndarray) -> np.ndarray:
        """``z L^T``; exact mode: ``z`` whitened by the sample's map (else by its own block)."""
        white = getattr(self, "_sample_map", None)
        if white is not None:
            shift, mix = white
            return (z - shift) @ mix
        exact = bool(self.exact) and z.shape[0] > z.shape[1] + 1
        return correlate(z, self.factor_, exact=exact)

    def _whitening(self, n: int, root: np.random.SeedSequence, workers: int):
        """Pass 1 of exact mode: ``(m, L_S^-T L^T)`` from every block's regenerated draw.

        Relies on :meth:`_sample_block` drawing ``standard_normal((rows, k))`` first
        from the block's generator (``k`` latent dimensions).
        """
        k = self.factor_.shape[0]

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

    def _iter_block_frames(self, n, root, conditions, rules, workers) -> Iterator[pd.DataFrame]:
        k = self.factor_.shape[0]
        if not (self.exact and not rules and getattr(self, "strata_", None) is None and n > k + 1):
            yield from super()._iter_block_frames(n, root, conditions, rules, workers)
            return
        view = copy.copy(self)  # this sample's whitening, without touching the shared model
        view._sample_map = self._whitening(n, root, workers)
        yield from super(Cholesky, view)._iter_block_frames(n, root, conditions, rules, workers)

    def _dependence_to_dict(self) -> dict[str, Any]:
        d = super()._dependence_to_dict()
        d["means"] = self.means_.tolist()
        d["stds"] = self.stds_.tolist()
        return d

    def _dependence_from_dict(self, d: dict[str, Any]) -> None:
        super()._dependence_from_dict(d)
        try:
            self.means_ = np.asarray(d["means"], dtype=float)
            self.stds_ = np.asarray(d["stds"], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(
                "cholesky model document: `means`/`stds` missing or malformed"
            ) from None
        if self.means_.shape != (len(self.columns_),) or self.stds_.shape != self.means_.shape:
            raise ModelFileError("cholesky model document: `means`/`stds` do not match the columns")
