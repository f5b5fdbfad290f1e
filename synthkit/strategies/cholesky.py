"""Cholesky synthesis: correlated normal columns with the fitted means, variances and Pearson."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import correlate
from ..dependence.copula import clip_uniform
from ..dependence.correlation import normal_scores
from ..dependence.norta import QuantileTransform, _moments, _Quad
from ..dependence.repair import nearest_correlation
from ..dependence.tabular import NumericMarginalView
from ..errors import ModelFileError, SpecError
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
    preserved; ``exact=True`` whitens each block's draw first, so its sample
    correlation equals ``R`` to machine precision (and sample means/standard
    deviations equal the targets).

    **The marginal shapes are not preserved**: every numeric column comes out
    normal (skewness, bounds, modes and discreteness are lost; integer
    columns are rounded, values may fall outside the data's range). Use
    ``"iman_conover"`` to keep the marginals exactly with a target rank
    correlation, or ``"gaussian_copula"`` (with ``correlation_type="pearson"``
    for a declared Pearson target on non-normal marginals, NORTA).

    Categorical, boolean and datetime columns take part through their
    normal scores (``F^-1(Phi(z))``); missing values of numeric columns are
    inserted independently at the column's null fraction.

    Parameters
    ----------
    exact : bool
        Whiten each block (needs more rows per block than columns).
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
        if self.correlation is not None:
            self._set_correlation(self._declared_latent())
            return
        u = self._fit_uniforms(frame)
        corr = np.corrcoef(normal_scores(u), rowvar=False) if u.shape[1] > 1 else np.eye(1)
        const = self._constant_idx(frame, [num[k] for k in np.flatnonzero(self.stds_[num] == 0)])
        if len(num) >= 2:
            pear = x.corr(method="pearson").to_numpy(dtype=float)
            corr[np.ix_(num, num)] = pear
        self._set_correlation(self._finish(np.atleast_2d(corr), const))

    def _init_declared(self) -> None:
        self.repair_ = None
        self.norta_ = None
        d = len(self.columns_)
        self.means_ = np.zeros(d)
        self.stds_ = np.ones(d)
        q = _Quad(64)
        for j in self._numeric_idx():
            mu, sd = _moments(QuantileTransform(NumericMarginalView(self.columns_[j])), q)
            self.means_[j], self.stds_[j] = mu, sd
        if self.correlation is None:
            self._set_correlation(np.eye(d))
        else:
            self._set_correlation(self._declared_latent())

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
        z = rng.standard_normal((n, d))
        exact = bool(self.exact) and n > d + 1
        x = correlate(z, self.factor_, exact=exact)  # whitened: unit sample variance (ddof=1)
        out = {}
        num = set(self._numeric_idx())
        null_u = rng.random((n, d))
        for j, cm in enumerate(self.columns_):
            col = cm.column
            if j in num:
                v = self.means_[j] + self.stds_[j] * x[:, j]
                if col.kind == "integer":
                    v = np.round(v)
                elif col.decimals is not None:
                    v = np.round(v, col.decimals)
                if col.null_fraction > 0:
                    v = np.where(null_u[:, j] < col.null_fraction, np.nan, v)
                out[cm.name] = pd.Series(v, name=cm.name)
            else:
                out[cm.name] = cm.from_uniform(clip_uniform(special.ndtr(x[:, j])))
        return pd.DataFrame(out)

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
