"""Discrete marginals: integer families, empirical pmfs and categories.

Both classes store a finite support ``s_0 < s_1 < ... < s_{m-1}`` with
probabilities ``π_k`` and cumulative ``C_k = π_0 + ... + π_k``, and sample with
the generalised inverse

    F^{-1}(u) = s_k  with  k = min{k : C_k >= u},

so a single uniform maps to a single value (which lets copulas drive discrete
columns). ``cdf_left`` gives ``P(X < x)`` for the distributional transform
``u = F(x-) + V (F(x) - F(x-))`` used when fitting copulas on discrete data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..errors import SpecError
from .base import Marginal, register_marginal
from .guide import GuideTable
from .quantile_table import NormalScoreGuide

__all__ = ["DiscreteMarginal", "CategoricalMarginal", "DISCRETE_FAMILIES"]

DISCRETE_FAMILIES = {
    "poisson": ("mu",),
    "nbinom": ("n", "p"),
    "binom": ("n", "p"),
    "geom": ("p",),
    "randint": ("low", "high"),
}
_DISCRETE_ALIASES = {"negative_binomial": "nbinom", "binomial": "binom", "geometric": "geom"}

#: Tail mass left out of a parametric family's tabulated support.
TAIL = 1e-12


def _check_probs(probs: Any, what: str) -> np.ndarray:
    try:
        p = np.asarray(probs, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{what}: probabilities must be a list of numbers, got {probs!r}") from None
    if p.ndim != 1 or p.size == 0:
        raise SpecError(f"{what}: probabilities must be a non-empty list")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise SpecError(f"{what}: probabilities must be finite and >= 0, got {p.tolist()}")
    total = p.sum()
    if not total > 0:
        raise SpecError(f"{what}: probabilities sum to 0")
    if abs(total - 1.0) > 1e-6:
        raise SpecError(f"{what}: probabilities must sum to 1, got {total:.6g}")
    # normalised once: a second pass (a model saved and loaded) leaves them as they are
    return p if abs(total - 1.0) <= 1e-12 else p / total


class _FiniteSupport(Marginal):
    discrete = True

    def _set_support(self, support: np.ndarray, probs: np.ndarray) -> None:
        self.support = np.asarray(support, dtype=float)
        self.probs = probs
        cum = np.cumsum(probs)
        cum[-1] = 1.0
        self._cum = cum
        self._guide = GuideTable(cum)

    def cdf(self, x: Any) -> np.ndarray:
        idx = np.searchsorted(self.support, np.asarray(x, dtype=float), side="right")
        return np.concatenate([[0.0], self._cum])[idx]

    def cdf_left(self, x: Any) -> np.ndarray:
        idx = np.searchsorted(self.support, np.asarray(x, dtype=float), side="left")
        return np.concatenate([[0.0], self._cum])[idx]

    def ppf_index(self, u: Any) -> np.ndarray:
        """Index ``k`` of the support value that ``u`` maps to (generalised inverse)."""
        idx = self._guide(np.asarray(u, dtype=float))
        return np.minimum(idx, self.support.size - 1, out=idx)

    def ppf(self, u: Any) -> np.ndarray:
        return self.support[self.ppf_index(u)]

    def ppf_index_normal(self, z: Any) -> np.ndarray:
        """:meth:`ppf_index` of ``Φ(z)`` from normal scores, without evaluating ``Φ``."""
        guide = self.__dict__.get("_zguide")
        if guide is None:
            guide = self._zguide = NormalScoreGuide(self._cum)
        idx = guide(np.asarray(z, dtype=float))
        return np.minimum(idx, self.support.size - 1, out=idx)

    def ppf_normal(self, z: Any) -> np.ndarray:
        return self.support[self.ppf_index_normal(z)]


@register_marginal
class DiscreteMarginal(_FiniteSupport):
    """A distribution on finitely many numbers: an integer family or an empirical pmf.

    Parameters
    ----------
    family : str
        ``"pmf"`` (explicit ``values``/``probs``) or one of ``poisson``, ``nbinom``,
        ``binom``, ``geom``, ``randint`` with scipy's parameter names.
    params : dict, optional
        Family parameters.
    values, probs : list, optional
        Support and probabilities for ``family="pmf"``.
    lower, upper : float, optional
        Truncation bounds (the pmf is renormalised inside them).

    Examples
    --------
    >>> m = DiscreteMarginal("poisson", {"mu": 3.0})
    >>> m.ppf([0.0, 0.5]).tolist()
    [0.0, 3.0]
    """

    type_name = "discrete"

    def __init__(
        self, family: str = "pmf", params: dict[str, Any] | None = None,
        values: Any = None, probs: Any = None,
        lower: float | None = None, upper: float | None = None,
    ) -> None:
        family = _DISCRETE_ALIASES.get(str(family).lower(), str(family).lower())
        self.family = family
        self.params = {k: float(v) for k, v in (params or {}).items()}
        self.lower = None if lower is None else float(lower)
        self.upper = None if upper is None else float(upper)
        if family == "pmf":
            if values is None or probs is None:
                raise SpecError("a 'pmf' discrete marginal needs `values` and `probs`")
            v = np.asarray(values, dtype=float)
            p = _check_probs(probs, "discrete pmf")
            if v.ndim != 1 or not np.isfinite(v).all():
                raise SpecError("discrete pmf: `values` must be a list of finite numbers")
            if v.shape != p.shape:
                raise SpecError("discrete pmf: `values` and `probs` must have the same length")
            order = np.argsort(v, kind="stable")
            v, p = v[order], p[order]
            if np.any(np.diff(v) == 0):
                raise SpecError("discrete pmf: `values` must be distinct")
        elif family in DISCRETE_FAMILIES:
            names = DISCRETE_FAMILIES[family]
            if set(self.params) != set(names):
                raise SpecError(
                    f"discrete distribution {family!r} takes parameters {list(names)}, "
                    f"got {sorted(self.params)}"
                )
            dist = getattr(stats, family)
            if not dist._argcheck(*[self.params[k] for k in names]):
                raise SpecError(f"invalid parameters for {family!r}: {self.params}")
            frozen = dist(**self.params)
            a = frozen.ppf(TAIL) if self.lower is None else np.ceil(self.lower)
            b = frozen.ppf(1 - TAIL) if self.upper is None else np.floor(self.upper)
            a = max(a, frozen.support()[0])
            b = min(b, frozen.support()[1])
            if not np.isfinite(b - a) or b - a > 5_000_000:
                raise SpecError(f"{family!r} with {self.params} has too wide a support to tabulate")
            v = np.arange(a, b + 1)
            p = frozen.pmf(v)
            if not p.sum() > 0:
                raise SpecError(f"the bounds hold no probability mass under {family!r}")
            p = p / p.sum()
        else:
            raise SpecError(
                f"unknown discrete distribution {family!r}; use 'pmf' or one of "
                f"{sorted(DISCRETE_FAMILIES)}"
            )
        if family == "pmf" and (self.lower is not None or self.upper is not None):
            keep = np.ones(v.size, bool)
            if self.lower is not None:
                keep &= v >= self.lower
            if self.upper is not None:
                keep &= v <= self.upper
            if not p[keep].sum() > 0:
                raise SpecError("discrete pmf: the bounds hold no probability mass")
            v, p = v[keep], p[keep] / p[keep].sum()
        self._set_support(v, p)

    @classmethod
    def fit(cls, values: Any, family: str = "pmf") -> DiscreteMarginal:
        """Fit an empirical pmf (exact frequencies) or a family.

        ``poisson``: MLE ``mu = mean``. ``nbinom``: method of moments
        (``p = mean/var``, ``n = mean p/(1-p)``; falls back to Poisson when the data
        are not over-dispersed). ``binom``: ``n = max``, ``p = mean/n``.
        """
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            raise SpecError("cannot fit a discrete marginal to no finite values")
        family = _DISCRETE_ALIASES.get(family, family)
        if family == "pmf":
            vals, counts = np.unique(v, return_counts=True)
            return cls("pmf", values=vals, probs=counts / counts.sum())
        m, var = float(v.mean()), float(v.var(ddof=1)) if v.size > 1 else 0.0
        if family == "poisson" or (family == "nbinom" and var <= m):
            return cls("poisson", {"mu": max(m, 1e-9)})
        if family == "nbinom":
            p = m / var
            return cls("nbinom", {"n": m * p / (1 - p), "p": p})
        if family == "binom":
            n = float(v.max())
            return cls("binom", {"n": n, "p": min(max(m / n, 1e-9), 1 - 1e-9)})
        raise SpecError(f"cannot fit discrete family {family!r}")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type_name, "family": self.family,
                             "lower": self.lower, "upper": self.upper}
        if self.family == "pmf":
            d["values"] = self.support.tolist()
            d["probs"] = self.probs.tolist()
        else:
            d["params"] = dict(self.params)
        return d

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> DiscreteMarginal:
        return cls(d.get("family", "pmf"), d.get("params"), d.get("values"), d.get("probs"),
                   d.get("lower"), d.get("upper"))


@register_marginal
class CategoricalMarginal(_FiniteSupport):
    """Probabilities over category codes ``0 .. K-1`` (labels live in the column).

    The codes sit on the unit interval in a *latent order*: code ``order[i]``
    holds the ``i``-th probability interval, so with ``order = (o_0, ..., o_{K-1})``
    and ``C_i = π_{o_0} + ... + π_{o_i}``, ``F(o_i) = C_i`` and
    ``F^{-1}(u) = o_k`` with ``k = min{k : C_k >= u}``. By default ``order`` is the
    code order; a fitted model may store a data-driven one
    (:mod:`synthkit.dependence.level_order`) so that a copula's latent scale
    carries the category's association with the other columns. The labels, their
    codes and probabilities do not change with the order.

    Parameters
    ----------
    probs : list of float
        Probability of each category, in the column's category order.
    order : list of int, optional
        The codes in latent order (a permutation of ``0 .. K-1``); None: code order.

    Examples
    --------
    >>> CategoricalMarginal([0.2, 0.8]).ppf([0.1, 0.5]).tolist()
    [0.0, 1.0]
    >>> CategoricalMarginal([0.2, 0.8], order=[1, 0]).ppf([0.1, 0.9]).tolist()
    [1.0, 0.0]
    """

    type_name = "categorical"

    def __init__(self, probs: Any, order: Any = None) -> None:
        p = _check_probs(probs, "categorical")
        self._set_support(np.arange(p.size, dtype=float), p)
        self.order: np.ndarray | None = None
        if order is not None:
            o = np.asarray(order)
            if o.ndim != 1 or o.size != p.size or not np.issubdtype(o.dtype, np.integer) \
                    or not np.array_equal(np.sort(o), np.arange(p.size)):
                raise SpecError(f"categorical: `order` must list each code 0..{p.size - 1} once, "
                                f"got {np.asarray(order).tolist()!r}")
            if not np.array_equal(o, np.arange(p.size)):
                self.order = o.astype(np.int64)
                self._rank = np.empty(p.size, dtype=np.int64)
                self._rank[self.order] = np.arange(p.size)
                cum = np.cumsum(p[self.order])
                cum[-1] = 1.0
                self._ocum = np.concatenate([[0.0], cum])
                self._oguide = GuideTable(cum)

    def _positions(self, x: Any) -> np.ndarray:
        """Latent position of each code ``x`` (codes outside ``0 .. K-1`` are clipped)."""
        k = np.clip(np.rint(np.asarray(x, dtype=float)), 0, self.probs.size - 1).astype(np.int64)
        return self._rank[k]

    def cdf(self, x: Any) -> np.ndarray:
        if self.order is None:
            return super().cdf(x)
        return self._ocum[self._positions(x) + 1]

    def cdf_left(self, x: Any) -> np.ndarray:
        if self.order is None:
            return super().cdf_left(x)
        return self._ocum[self._positions(x)]

    def ppf_index(self, u: Any) -> np.ndarray:
        if self.order is None:
            return super().ppf_index(u)
        idx = self._oguide(np.asarray(u, dtype=float))
        return self.order[np.minimum(idx, self.probs.size - 1, out=idx)]

    def ppf_index_normal(self, z: Any) -> np.ndarray:
        if self.order is None:
            return super().ppf_index_normal(z)
        guide = self.__dict__.get("_zguide")
        if guide is None:
            guide = self._zguide = NormalScoreGuide(self._ocum[1:])
        idx = guide(np.asarray(z, dtype=float))
        return self.order[np.minimum(idx, self.probs.size - 1, out=idx)]

    def with_order(self, order: Any) -> CategoricalMarginal:
        """The same probabilities with the codes in latent order ``order`` (None: code order)."""
        return CategoricalMarginal(self.probs, order)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type_name, "probs": self.probs.tolist()}
        if self.order is not None:
            d["order"] = self.order.tolist()
        return d

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> CategoricalMarginal:
        return cls(d["probs"], d.get("order"))
