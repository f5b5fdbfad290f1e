"""One fitted column: its schema entry, its marginal and its null mass.

A :class:`ColumnModel` turns uniforms into typed values and back. A column with
null fraction ``π`` can be driven in two ways:

* **value and missingness separately** (the correlated strategies): a *value
  uniform* ``u`` goes through the marginal's (generalised) inverse CDF, and a
  *missingness uniform* ``m`` makes the cell missing when ``m < π``. The two
  are separate dimensions of the copula, so whether a cell is missing is
  modelled as its own variable (a binary column with ``P(missing) = π``) and
  is not tied to the column's value.
* **one uniform** (independent columns): ``u < π`` gives a missing value;
  otherwise ``u' = (u - π) / (1 - π)`` is the value uniform. For a column
  drawn independently of the others this is the same distribution with one
  draw fewer.

Either way the value then gets its column's kind back (rounding to the data's
precision, clipping to bounds, category labels, booleans, datetimes).

``to_uniform(x, rng)`` is the inverse: the distributional transform
(Rüschendorf 2009), ``w = F(x-) + V (F(x) - F(x-))`` with ``V ~ U(0, 1)``,
returned as the value uniform (``null_mass=False``; NaN for missing values) or
in the one-uniform layout ``u = π + (1 - π) w`` and ``u = π V`` for missing
values. For continuous ``F`` this is ``F(x)``; for discrete and categorical
columns it spreads each atom uniformly over its probability interval, so the
result is exactly uniform and copulas can be fitted on mixed types.

Because uniforms drive the values, every dependence strategy (independent,
Gaussian / t / vine copula, Iman–Conover) shares this layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .errors import DataError, SpecError
from .marginals import (
    CategoricalMarginal,
    DiscreteMarginal,
    EmpiricalMarginal,
    FitReport,
    Marginal,
    fit_categorical,
    fit_continuous,
    fit_discrete,
    marginal_from_dict,
)
from .schema import DISCRETE_MAX_LEVELS, Column, infer_column

__all__ = ["ColumnModel"]

_NS_PER_S = 1e9


def _datetime_seconds(s: pd.Series) -> np.ndarray:
    """Seconds since the epoch (UTC for aware datetimes) as floats; NaT -> NaN."""
    vals = pd.to_datetime(s)
    if getattr(vals.dt, "tz", None) is not None:
        vals = vals.dt.tz_convert("UTC").dt.tz_localize(None)
    out = vals.astype("datetime64[ns]").to_numpy().astype("int64").astype(float) / _NS_PER_S
    out[vals.isna().to_numpy()] = np.nan
    return out


#: Largest magnitude of an integer column's values: float64 holds every integer up to 2^53
#: exactly, and the marginals compute in float64.
MAX_EXACT_INTEGER = 2**53


def _check_exact_integers(x: np.ndarray, column: Column) -> None:
    """Refuse integer values beyond ``±2^53`` (float64 would round them; int64 could overflow)."""
    integer = column.kind == "integer" or str(column.dtype).lower().startswith(("int", "uint"))
    largest = float(np.abs(x).max()) if integer and x.size else 0.0
    if largest > MAX_EXACT_INTEGER:
        raise DataError(
            f"column {column.name!r} holds integers up to {largest:.4g}, beyond "
            f"±2^53 = {MAX_EXACT_INTEGER:,}, which the marginals cannot represent exactly; give it "
            "the role 'identifier' (generated, never modelled), or rescale or recentre it first"
        )


def _seconds_bound(v: Any) -> float | None:
    if v is None:
        return None
    ts = pd.Timestamp(v)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.value / _NS_PER_S


class ColumnModel:
    """A column's schema entry plus its fitted or declared marginal.

    Parameters
    ----------
    column : Column
        Kind, dtype, bounds, null fraction and categories.
    marginal : Marginal
        Distribution of the non-missing values (category codes for categorical and
        boolean columns, seconds since the epoch for datetimes).
    report : FitReport, optional
        How the marginal was chosen (fitted columns only).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> cm = ColumnModel.fit(pd.Series(["a", "b", "b", None], name="c"))
    >>> s = cm.from_uniform(np.array([0.1, 0.5, 0.99]))
    >>> s.isna().tolist(), s.dropna().tolist()
    ([True, False, False], ['a', 'b'])
    >>> s = cm.from_uniform(np.array([0.1, 0.5, 0.99]), missing=np.array([0.9, 0.1, 0.9]))
    >>> s.isna().tolist(), s.dropna().tolist()
    ([False, True, False], ['a', 'b'])
    """

    def __init__(self, column: Column, marginal: Marginal, report: FitReport | None = None):
        coded = column.kind in ("categorical", "boolean")
        n_cats = len(column.categories or [])
        if coded != isinstance(marginal, CategoricalMarginal) or (
                coded and marginal.probs.size != n_cats):
            need = (f"a categorical marginal with one probability per category ({n_cats})"
                    if coded else "a numeric marginal, not a categorical one")
            raise SpecError(f"column {column.name!r}: a {column.kind} column needs {need}, "
                            f"got a {type(marginal).__name__}")
        self.column = column
        self.marginal = marginal
        self.report = report

    @property
    def name(self) -> str:
        return self.column.name

    # ----------------------------------------------------------------- fitting
    @classmethod
    def fit(
        cls,
        series: pd.Series,
        column: Column | None = None,
        *,
        method: str = "auto",
        criterion: str = "bic",
        smoothing: str | None = None,
        ks_tolerance: float = 0.035,
    ) -> ColumnModel:
        """Fit the marginal of one column (kind inferred unless ``column`` is given).

        ``method`` is ``"auto"`` (AIC/BIC selection with a KS check, see
        :func:`~synthkit.marginals.fit_continuous`), ``"empirical"``, ``"kde"``, a
        scipy.stats family name, or for discrete columns ``"pmf"``, ``"poisson"``,
        ``"nbinom"``, ``"binom"``.
        """
        column = column or infer_column(series)
        kind = column.kind
        nonnull = series.dropna()
        if len(nonnull) == 0:
            raise DataError(f"column {column.name!r} has no observed values to fit")
        if kind in ("categorical", "boolean"):
            cats = list(column.categories or [])
            if kind == "boolean":
                codes = nonnull.astype(bool).to_numpy().astype(np.int64)
            else:
                lookup = pd.Index(cats)
                codes = lookup.get_indexer(nonnull.to_numpy(dtype=object))
                if (codes < 0).any():
                    bad = sorted(set(nonnull[codes < 0].astype(str)))[:5]
                    raise DataError(f"column {column.name!r}: values {bad} are not among its categories")
            marginal, report = fit_categorical(codes, len(cats))
            return cls(column, marginal, report)
        if kind == "datetime":
            x = _datetime_seconds(nonnull)
        else:
            try:
                x = nonnull.to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise DataError(f"column {column.name!r} of kind {kind!r} is not numeric") from None
            _check_exact_integers(x, column)
        if kind == "integer":
            marginal, report = fit_discrete(x, method)
            return cls(column, marginal, report)
        n_unique = np.unique(x).size
        if (
            kind == "continuous" and method == "auto"
            and n_unique <= DISCRETE_MAX_LEVELS and x.size >= 5 * n_unique and n_unique > 1
        ):
            # Discrete-valued (e.g. ages coded 17.5, 22, 27, ...): keep the atoms exactly.
            marginal, report = fit_discrete(x, "pmf")
            return cls(column, marginal, report)
        marginal, report = fit_continuous(
            x, method, criterion=criterion, smoothing=smoothing, ks_tolerance=ks_tolerance
        )
        return cls(column, marginal, report)

    # ---------------------------------------------------------------- sampling
    @property
    def coded(self) -> bool:
        """Whether :meth:`values_from_uniform` returns integer category codes."""
        return self.column.kind in ("categorical", "boolean")

    @property
    def reads_normal_scores(self) -> bool:
        """Whether this column is cheaper to draw from a normal score ``z`` than from a uniform.

        True for a column without nulls whose marginal reads ``F^{-1}(Φ(z))`` with no
        ``Φ`` / ``Φ^{-1}`` (:attr:`~synthkit.marginals.ParametricMarginal.normal_scores_native`):
        :meth:`values_from_normal` of a standard normal draw then gives the column's values
        in distribution, without the ``Φ^{-1}`` that :meth:`values_from_uniform` evaluates.

        Examples
        --------
        >>> from synthkit.marginals import ParametricMarginal
        >>> from synthkit.schema import Column
        >>> col = Column("x", "continuous", "float64")
        >>> ColumnModel(col, ParametricMarginal("gamma", {"a": 2.0})).reads_normal_scores
        True
        >>> ColumnModel(col, ParametricMarginal("weibull", {"c": 1.5})).reads_normal_scores
        False
        """
        return (float(self.column.null_fraction) == 0 and not self.coded
                and bool(getattr(self.marginal, "normal_scores_native", False)))

    def from_uniform(self, u: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
        """Map uniforms in [0, 1] to typed column values (see module docstring).

        With ``missing`` (the missingness uniforms), ``u`` is the value uniform
        and a cell is missing where ``missing < π``; without it, the null mass
        sits at the bottom of ``u``.
        """
        return self.series_from_values(self.values_from_uniform(u, missing))

    def values_from_uniform(self, u: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
        """The numeric stage of :meth:`from_uniform`.

        Returns category codes (``int64``, ``-1`` for missing) for categorical and
        boolean columns, otherwise floats (``NaN`` for missing; seconds since the
        epoch for datetimes), already rounded and clipped to the column's bounds.
        """
        u = np.asarray(u, dtype=float)
        col = self.column
        pi = float(col.null_fraction)
        null = None
        if missing is not None:
            if pi > 0:
                null = np.asarray(missing, dtype=float) < pi
        elif pi > 0:
            null = u < pi
            u = np.clip((u - pi) / (1.0 - pi), 0.0, 1.0)
        if self.coded:
            codes = self.marginal.ppf_index(u)
            return codes if null is None else np.where(null, -1, codes)
        return self._typed_values(self.marginal.ppf(u), null)

    def values_from_normal(self, z: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
        """:meth:`values_from_uniform` of ``Φ(z)`` and ``Φ(missing)``, from normal scores.

        The same values (up to rounding) without evaluating ``Φ``: the marginal reads
        ``F^{-1}(Φ(z))`` from its normal-score table
        (:meth:`~synthkit.marginals.base.Marginal.ppf_normal`), and a cell is missing
        where ``missing < Φ^{-1}(π)``. Without ``missing`` a nullable column's null mass
        sits at the bottom of its one uniform, which goes through ``Φ``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> cm = ColumnModel.fit(pd.Series(["a", "b", "b", "b"], name="c"))
        >>> cm.values_from_normal(np.array([-2.0, 0.0, 2.0])).tolist()
        [0, 1, 1]
        """
        z = np.asarray(z, dtype=float)
        pi = float(self.column.null_fraction)
        if missing is None and pi > 0:
            return self.values_from_uniform(np.clip(special.ndtr(z), 2.0**-53, 1.0 - 2.0**-53))
        null = None
        if missing is not None and pi > 0:
            null = np.asarray(missing, dtype=float) < special.ndtri(pi)
        if self.coded:
            codes = self.marginal.ppf_index_normal(z)
            return codes if null is None else np.where(null, -1, codes)
        return self._typed_values(self.marginal.ppf_normal(z), null)

    def _typed_values(self, x: np.ndarray, null: np.ndarray | None) -> np.ndarray:
        """Round to the column's precision, clip to its bounds, NaN where ``null``."""
        col = self.column
        if col.kind == "datetime":
            lo, hi = _seconds_bound(col.minimum), _seconds_bound(col.maximum)
        else:
            if col.decimals is not None and not self.marginal.discrete:
                x = np.round(x, col.decimals)
            lo, hi = col.minimum, col.maximum
        if lo is not None or hi is not None:
            x = np.clip(x, lo, hi)
        return x if null is None else np.where(null, np.nan, x)

    def series_from_values(self, values: np.ndarray) -> pd.Series:
        """The typing stage of :meth:`from_uniform`: labels, dtypes, datetimes."""
        col = self.column
        if self.coded:
            return self._labels_from_codes(values)
        if col.kind == "datetime":
            null = np.isnan(values)
            ns = np.round(np.where(null, 0.0, values) * _NS_PER_S).astype("int64")
            times = pd.to_datetime(ns, unit="ns")
            if "," in col.dtype:  # timezone-aware: round in wall-clock time
                tz = col.dtype.split(",", 1)[1].rstrip("]").strip()
                times = times.tz_localize("UTC").tz_convert(tz)
            resolution = col.extra.get("resolution", "s")
            if resolution != "ns":
                times = times.round(resolution, ambiguous=np.zeros(len(times), dtype=bool),
                                    nonexistent="shift_forward")
            if null.any():
                times = times.where(~null, pd.NaT)
            return pd.Series(times, name=col.name)
        dtype = col.dtype
        if dtype.startswith("int") and np.isfinite(values).all():  # no nulls: numpy's cast, no copy
            x = values if self.marginal.discrete else np.rint(values)
            return pd.Series(x.astype(dtype, copy=False), name=col.name, copy=False)
        s = pd.Series(values, name=col.name, copy=False)
        return self._cast_numeric(s, bool(np.isnan(values).any()))

    def _labels_from_codes(self, codes: np.ndarray) -> pd.Series:
        col = self.column
        cats = list(col.categories or [])
        if col.dtype == "category":  # codes come from the marginal: in [-1, len(cats))
            dtype = pd.CategoricalDtype(cats)
            return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), name=col.name)
        null = codes < 0
        if col.kind == "boolean":
            if col.dtype == "object":  # True / False / None, as the table held them
                return pd.Series(np.array([False, True, None], dtype=object)[codes], name=col.name,
                                 dtype=object, copy=False)
            s = pd.Series(codes == 1, name=col.name)
            if null.any():
                s = s.astype("boolean")
                s[null] = pd.NA
            return s
        labels = np.empty(len(cats) + 1, dtype=object)
        labels[:-1] = cats
        labels[-1] = None if col.dtype == "object" else np.nan
        if col.dtype == "object":  # (no inference of a string dtype: the labels stay objects)
            return pd.Series(labels[codes], name=col.name, dtype=object, copy=False)
        s = pd.Series(labels[codes], name=col.name)
        if col.dtype != "object":
            try:
                s = s.astype(col.dtype)
            except (TypeError, ValueError):
                pass
        return s

    def _cast_numeric(self, s: pd.Series, has_null: bool) -> pd.Series:
        dtype = self.column.dtype
        if dtype.lower().startswith(("int", "uint")):
            if not self.marginal.discrete:
                s = s.round()
            target = dtype.capitalize().replace("Uint", "UInt") if has_null else dtype
            return s.astype(target)
        if dtype.startswith("float") and str(s.dtype) != dtype:
            return s.astype(dtype)
        return s

    # -------------------------------------------------- distributional transform
    def to_uniform(
        self, series: pd.Series, rng: np.random.Generator, *, null_mass: bool = True
    ) -> np.ndarray:
        """Distributional transform of observed values to exact uniforms (module docstring).

        ``null_mass=False`` returns the value uniforms ``w`` (NaN for missing
        values); otherwise the one-uniform layout with the null mass at the bottom.
        Either way ``rng`` gives one draw per row.
        """
        col = self.column
        n = len(series)
        isna = series.isna().to_numpy()
        pi = float(col.null_fraction) if null_mass else 0.0
        v = rng.random(n)
        u = np.empty(n)
        obs = ~isna
        if col.kind in ("categorical", "boolean"):
            if col.kind == "boolean":
                x = series[obs].astype(bool).to_numpy().astype(float)
            else:
                x = pd.Index(col.categories or []).get_indexer(series[obs].to_numpy(dtype=object))
                if (x < 0).any():
                    raise DataError(f"column {col.name!r} has values outside its categories")
                x = x.astype(float)
        elif col.kind == "datetime":
            x = _datetime_seconds(series[obs])
        else:
            x = series[obs].to_numpy(dtype=float)
        hi = self.marginal.cdf(x)
        lo = self.marginal.cdf_left(x)
        w = lo + v[obs] * (hi - lo)
        u[obs] = pi + (1.0 - pi) * w
        u[isna] = pi * v[isna] if null_mass else np.nan
        return np.clip(u, 1e-12, 1 - 1e-12)

    # -------------------------------------------------------------------- I/O
    def to_dict(self) -> dict[str, Any]:
        d = {"column": self.column.to_dict(), "marginal": self.marginal.to_dict()}
        if self.report is not None:
            d["fit"] = {k: v for k, v in self.report.to_dict().items() if k != "candidates"}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnModel:
        if not isinstance(d, dict) or "column" not in d or "marginal" not in d:
            raise SpecError("a column model record needs `column` and `marginal` entries")
        report = None
        if isinstance(d.get("fit"), dict):
            report = FitReport(**{k: d["fit"].get(k) for k in ("chosen", "criterion", "ks",
                                                                  "wasserstein")})
        return cls(Column.from_dict(d["column"]), marginal_from_dict(d["marginal"]), report)

    def value_cdf(self, x: Any) -> np.ndarray:
        """CDF of the column's non-missing values at ``x`` on the column's own scale.

        Numbers are taken as they are; datetimes as int64 nanoseconds since the epoch
        (pandas' numeric view of ``datetime64[ns]``), whatever unit the marginal is
        stored in. Callers outside this class never need to know that unit.

        Examples
        --------
        >>> import pandas as pd
        >>> cm = ColumnModel.fit(pd.Series(pd.to_datetime(["2020-01-01", "2020-01-03"] * 5)))
        >>> float(cm.value_cdf(pd.Timestamp("2020-01-02").value))
        0.5
        """
        x = np.asarray(x, dtype=float)
        if self.column.kind == "datetime":
            x = x / _NS_PER_S
        return np.asarray(self.marginal.cdf(x), dtype=float)

    def describe(self) -> str:
        """A short human description (``"parametric:gamma"``, ``"pmf (5 values)"``...)."""
        m = self.marginal
        if isinstance(m, CategoricalMarginal):
            return f"categorical ({m.probs.size} categories)"
        if isinstance(m, DiscreteMarginal):
            return f"discrete:{m.family} ({m.support.size} values)"
        if isinstance(m, EmpiricalMarginal):
            return "constant" if m.x.size == 1 else m.method
        return f"parametric:{getattr(m, 'family', type(m).__name__)}"
