"""Shared machinery of the correlated strategies; not a strategy itself.

Holds the parameters every correlated strategy has (a declared correlation
matrix and its type, the repair threshold, ``strict``, the fit seed), their
validation, the fitted correlation's persistence, and the fit of a latent
correlation from a mixed table (constant columns independent, singular
tables repaired or, with ``strict=True``, refused).

Missing values
--------------
Whether a cell is missing is modelled as a variable of its own. Every column
with nulls adds one dimension to the latent space, after the ``d`` value
dimensions: a binary *missingness indicator* with ``P(missing) = pi``, which
enters the copula like any binary column (a threshold ``Phi^-1(pi)`` on a
latent normal score). A nullable column thus consumes two uniforms when
sampled, one for its value (whose marginal is fitted on the observed values)
and one for whether it is missing, so missingness is tied to the other
columns only as much as the data show: missing completely at random stays so,
and missingness that rises with another column's value (missing at random)
is reproduced.

* Value-value dependence is estimated on the rows where both values are
  observed (pairwise complete), then corrected for that selection of rows
  (Pearson–Lawley); indicator-value and indicator-indicator dependence on all
  rows (polyserial / polychoric likelihood of the threshold).
* A column's value and its own indicator are never observed together: their
  latent correlation is set so that they are independent given the other
  dimensions (missing at random; the maximum-determinant completion,
  :func:`~synthkit.dependence.latent.complete_missingness`). It is not 0 in
  general: when ``b`` follows ``a`` closely and goes missing where ``a`` is
  high, the missing values of ``b`` are high ones too.
* The value's uniform is then not uniform over the rows where it is observed;
  the samplers map it through its conditional CDF there
  (:func:`~synthkit.dependence.latent.observed_value_cdf`), so the observed
  values follow the column's fitted marginal exactly.
* Strategies fitted on complete latent data (t copula, vine, Iman–Conover)
  first complete the table: one stochastic imputation of the missing value
  scores and of the indicators' latent scores from the Gaussian copula fitted
  pair by pair (Gibbs sampling, seeded from ``fit_seed``); the copula is then
  fitted on the completed ``(n, d + m)`` pseudo-observations. Iman–Conover
  places the independent draw's values (exactly those of ``"montecarlo"``) on
  the observed rows, so it needs no such map.
* Declared models draw each nullable column's indicator independently of
  everything (missing completely at random at its ``null_fraction``).
* Model documents written before missingness had its own dimensions (no
  ``dependence.missing`` entry) sample as they were fitted: the null mass at
  the bottom of each column's uniform.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import cholesky_factor
from ..dependence.copula import clip_uniform, impute_truncated_normal
from ..dependence.latent import (
    complete_missingness,
    observed_value_cdf,
    pairwise_latent_correlation,
)
from ..dependence.repair import RepairReport, nearest_correlation
from ..dependence.tabular import (
    CORRELATION_TYPES,
    check_duplicates,
    correlation_param_to_json,
    frame_to_uniforms,
    identity_for_constant,
    missing_columns,
    missing_intervals,
    missing_names,
    missing_thresholds,
    resolve_declared,
)
from ..errors import DataError, ModelFileError, SpecError
from ..seeding import as_generator, as_seed_sequence, block_generator
from .base import Strategy

__all__ = ["CorrelatedStrategy"]

#: Eigenvalue floor of the Gaussian model that completes a table with missing values.
IMPUTE_FLOOR = 1e-2


class CorrelatedStrategy(Strategy):
    """Base of the strategies driven by a correlation matrix (not registered).

    Parameters
    ----------
    correlation : array-like, DataFrame or mapping of pairs, optional
        A declared correlation matrix (rows/columns in table order, a DataFrame
        labelled with the column names, or ``{"a,b": 0.4}`` pairs with the
        others 0). When given it is used instead of estimating one from data.
    correlation_type : {"normal_scores", "spearman", "kendall", "pearson"}
        What the declared matrix measures (the default depends on the strategy).
    threshold : float
        Eigenvalue floor of the nearest-correlation repair (Higham 2002).
    strict : bool
        Refuse instead of repairing: a non-positive-definite matrix raises
        ``SpecError``; a singular table (constant columns, perfectly correlated
        pairs) raises ``DataError``.
    fit_seed : int
        Seed of the distributional transform's tie breaks when fitting, so
        fits are reproducible.
    **params
        The common :class:`~synthkit.strategies.base.Strategy` parameters.
    """

    #: Correlation types a declared matrix may have for this strategy.
    correlation_types: tuple[str, ...] = CORRELATION_TYPES
    default_correlation_type: str = "normal_scores"
    #: Gibbs sweeps of the stochastic imputation that completes the latent table.
    impute_sweeps: ClassVar[int] = 10

    def __init__(
        self,
        *,
        correlation: Any = None,
        correlation_type: str | None = None,
        threshold: float = 1e-8,
        strict: bool = False,
        fit_seed: int = 0,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.correlation = correlation
        self.correlation_type = correlation_type
        self.threshold = threshold
        self.strict = strict
        self.fit_seed = fit_seed

    # ------------------------------------------------------------ parameters
    def get_params(self) -> dict[str, Any]:
        params = super().get_params()
        params["correlation"] = correlation_param_to_json(params.get("correlation"))
        return params

    @property
    def _ctype(self) -> str:
        return self.correlation_type or self.default_correlation_type

    def _validate_params(self) -> None:
        super()._validate_params()
        if self._ctype not in self.correlation_types:
            raise SpecError(
                f"`correlation_type` must be one of {', '.join(self.correlation_types)} for the "
                f"{self.name!r} strategy, got {self._ctype!r}"
            )
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not (0 <= t < 0.5):
            raise SpecError(f"`threshold` must be a number in [0, 0.5), got {t!r}")
        if not isinstance(self.strict, (bool, np.bool_)):
            raise SpecError(f"`strict` must be True or False, got {self.strict!r}")
        fs = self.fit_seed
        if isinstance(fs, bool) or not isinstance(fs, (int, np.integer)) or fs < 0:
            raise SpecError(f"`fit_seed` must be a non-negative int, got {fs!r}")

    @property
    def _names(self) -> list[str]:
        return [cm.name for cm in self.columns_]

    # ---------------------------------------------------------- missingness
    @property
    def _missing_idx(self) -> list[int]:
        """Indices of the columns with a missingness dimension (latent dims ``d, d+1, ...``)."""
        names = self._names
        return [names.index(c) for c in getattr(self, "missing_columns_", None) or []]

    def _latent_names(self) -> list[str]:
        return missing_names(self._names, self._missing_idx)

    def _init_missing(self) -> None:
        """Give every column with nulls its missingness dimension (fit and declare)."""
        self.missing_columns_ = [self.columns_[j].name for j in missing_columns(self.columns_)]

    def _with_independent_missing(self, corr: np.ndarray) -> np.ndarray:
        """The value correlation extended by independent missingness dimensions."""
        d, m = corr.shape[0], len(self._missing_idx)
        full = np.eye(d + m)
        full[:d, :d] = corr
        return full

    # ------------------------------------------------------------------ fit
    def _fit_uniforms(self, frame: pd.DataFrame) -> np.ndarray:
        """Pseudo-observations of the latent table, ``(n, d + m)``.

        The value columns' distributional transform breaks ties at random inside
        each atom; ranking it gives the empirical copula's pseudo-observations,
        which never reach 0 or 1 (a fitted CDF can: the sample maximum of an ECDF
        maps to 1, a normal score of +7 that would dominate a correlation estimate).
        With nullable columns the values are ranked among their observed rows, and
        the missing value scores and the ``m`` missingness indicators' latent scores
        are completed by one stochastic imputation (module docstring).
        """
        idx = self._missing_idx
        raw = frame_to_uniforms(self.columns_, frame, as_generator(int(self.fit_seed)),
                                null_mass=not idx)
        if not idx:
            return rank_uniforms(raw)
        observed = ~np.isnan(raw)
        z = special.ndtri(rank_uniforms(raw, observed))
        d = len(self.columns_)
        mlo, mhi = missing_intervals(self.columns_, frame, idx)
        obs_full = np.column_stack([observed, np.ones(mlo.shape, dtype=bool)])
        corr = pairwise_latent_correlation(
            np.column_stack([np.where(observed, z, -np.inf), mlo]),
            np.column_stack([np.where(observed, z, np.inf), mhi]),
            observed=obs_full,
        )
        thresholds = missing_thresholds(self.columns_, idx)
        corr = complete_missingness(corr, d, idx, thresholds)
        # the imputation model's eigenvalues are floored (IMPUTE_FLOOR): with nearly collinear
        # columns, conditional draws would otherwise amplify the data's small departures
        # from the model into wild imputations
        corr = nearest_correlation(corr, self._latent_names(),
                                   threshold=max(float(self.threshold), IMPUTE_FLOOR)).matrix
        # the observed values' scores are standard normal over the observed rows; put them
        # on the latent scale, where a value tied to its indicator is not (observed_value_cdf)
        for k, j in enumerate(idx):
            ug, gg = observed_value_cdf(corr[j, d + k], self.columns_[j].column.null_fraction)
            rows = observed[:, j]
            z[rows, j] = special.ndtri(clip_uniform(np.interp(special.ndtr(z[rows, j]), gg, ug)))
        lower = np.column_stack([np.where(observed, z, -np.inf), mlo])
        upper = np.column_stack([np.where(observed, z, np.inf), mhi])
        rng = block_generator(as_seed_sequence(int(self.fit_seed)), 0)
        completed = impute_truncated_normal(lower, upper, corr, rng, sweeps=self.impute_sweeps)
        return rank_uniforms(special.ndtr(completed))

    # ---------------------------------------------------------- calibration
    def _calibration_df(self) -> float | None:
        """Degrees of freedom of the latent scores (None: normal)."""
        return None

    def _calibration(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per nullable column, the table of ``G``: its value uniform's CDF over its observed rows.

        See :func:`~synthkit.dependence.latent.observed_value_cdf`; built once from
        ``latent_correlation_`` (no entry when the value and its indicator are
        uncorrelated, where ``G`` is the identity).
        """
        latent = getattr(self, "latent_correlation_", None)
        df = self._calibration_df()
        cached = self.__dict__.get("_calibration_tables")
        if cached is not None and cached[0] is latent and cached[1] == df:
            return cached[2]
        idx = self._missing_idx
        d = len(self.columns_)
        tables = {}
        if idx and latent is not None:
            for k, j in enumerate(idx):
                x = float(latent[j, d + k])
                if abs(x) > 1e-12:
                    tables[j] = observed_value_cdf(x, self.columns_[j].column.null_fraction, df)
        self.__dict__["_calibration_tables"] = (latent, df, tables)
        return tables

    def _calibrate(self, u: np.ndarray) -> np.ndarray:
        """Map nullable columns' latent value uniforms through ``G`` (in place; returns ``u``)."""
        for j, (ug, gg) in self._calibration().items():
            u[:, j] = clip_uniform(np.interp(u[:, j], ug, gg))
        return u

    def _uncalibrate(self, j: int, v: float) -> float:
        """The latent value uniform whose ``G`` is ``v`` (column ``j``)."""
        table = self._calibration().get(j)
        if table is None:
            return v
        ug, gg = table
        return float(np.interp(v, gg, ug))

    def _constant_idx(self, frame: pd.DataFrame, extra: list[int] | tuple = ()) -> list[int]:
        """Indices of the columns with a single value (nulls included); refused when strict."""
        names = self._names
        const = [c for c in names if frame[c].nunique(dropna=False) <= 1]
        const += [names[j] for j in extra if names[j] not in const]
        if const and self.strict:
            raise DataError(
                f"the table is singular: constant column(s) {const} carry no dependence; drop "
                "them (they can be declared as constants) or pass strict=False to model them as "
                "independent"
            )
        return [names.index(c) for c in const]

    def _finish(self, corr: np.ndarray, const: list[int]) -> np.ndarray:
        """Identity rows for constant columns, duplicate check, repair; sets ``repair_``.

        ``corr`` covers the value dimensions and, after them, the missingness
        dimensions. ``strict`` applies to the values (duplicate pairs, a
        non-positive-definite value block); the missingness dimensions are always
        repaired when needed (two columns missing on the same rows are perfectly
        dependent, which is a fact of the table, not an error).
        """
        d = len(self.columns_)
        corr = identity_for_constant(np.nan_to_num(corr, nan=0.0), const)
        corr = 0.5 * (corr + corr.T)
        np.fill_diagonal(corr, 1.0)
        corr = np.clip(corr, -1.0, 1.0)
        if self.strict:
            check_duplicates(corr[:d, :d], self._names, tol=1e-6)
            if corr.shape[0] > d:
                nearest_correlation(corr[:d, :d], self._names, threshold=self.threshold, strict=True)
        rep = nearest_correlation(corr, self._latent_names(), threshold=self.threshold,
                                  strict=self.strict and corr.shape[0] == d)
        self.repair_ = rep if rep.repaired else None
        return rep.matrix

    def _declared_latent(self) -> np.ndarray:
        """Latent correlation of the declared matrix; sets ``repair_`` and ``norta_``."""
        latent, info = resolve_declared(
            self.correlation,
            self._ctype,
            self.columns_,
            threshold=self.threshold,
            strict=self.strict,
            on_infeasible=getattr(self, "on_infeasible", "raise"),
        )
        self.repair_ = info["repair"]
        self.norta_ = info["norta"]
        return latent

    # ------------------------------------------------------------ accessors
    def correlation_frame(self, missing: bool = False) -> pd.DataFrame:
        """The fitted (or declared, resolved) correlation matrix as a labelled DataFrame.

        ``missing=True`` includes the missingness dimensions (``"<name> (missing)"``).
        """
        self._check_fitted()
        if missing:
            names = self._latent_names()
            return pd.DataFrame(self.latent_correlation_, index=names, columns=names)
        return pd.DataFrame(self.correlation_, index=self._names, columns=self._names)

    def _set_correlation(self, corr: np.ndarray) -> None:
        """Set the latent correlation (values, then missingness dimensions) and its factor."""
        d = len(self.columns_)
        corr = np.asarray(corr, dtype=float)
        corr = 0.5 * (corr + corr.T)  # exactly symmetric: a saved model reloads bit for bit
        np.fill_diagonal(corr, 1.0)
        self.latent_correlation_ = corr
        self.correlation_ = self.latent_correlation_[:d, :d]
        self.factor_ = cholesky_factor(self.latent_correlation_)

    # ----------------------------------------------------------- persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "names": self._names,
            "correlation": self.correlation_.tolist(),
        }
        if self._missing_idx:
            d["missing"] = {"columns": list(self.missing_columns_),
                            "correlation": self.latent_correlation_.tolist()}
        rep: RepairReport | None = getattr(self, "repair_", None)
        if rep is not None:
            d["repair"] = rep.to_dict()
        return d

    def _missing_from_dict(self, d: dict[str, Any]) -> dict | None:
        """Restore ``missing_columns_`` from a model document's ``dependence.missing`` entry.

        Documents without it (written before missingness had its own dimensions)
        keep their null mass at the bottom of each column's uniform, as they were fitted.
        """
        miss = d.get("missing")
        self.missing_columns_ = []
        if miss is None:
            return None
        cols = miss.get("columns") if isinstance(miss, dict) else None
        names = self._names
        if not isinstance(cols, list) or len(set(map(str, cols))) != len(cols) or any(
            c not in names or self.columns_[names.index(c)].column.null_fraction <= 0 for c in cols
        ):
            raise ModelFileError(
                f"{self.name} model document: `dependence.missing.columns` must list distinct "
                f"columns with a positive null fraction, got {cols!r}"
            )
        self.missing_columns_ = [str(c) for c in cols]
        return miss

    def _dependence_from_dict(self, d: dict[str, Any]) -> None:
        if "correlation" not in d:
            raise ModelFileError(f"{self.name} model document: `dependence.correlation` is missing")
        if d.get("names") is not None and list(d["names"]) != self._names:
            raise ModelFileError(
                f"{self.name} model document: dependence names {d['names']} do not match the "
                f"columns {self._names}"
            )
        miss = self._missing_from_dict(d)
        try:
            corr = check_correlation_matrix(d["correlation"], self._names)
            if miss is not None:
                full = check_correlation_matrix(miss.get("correlation"), self._latent_names(),
                                                what="missingness correlation")
                if not np.allclose(full[: len(self._names), : len(self._names)], corr, atol=1e-9):
                    raise SpecError("`missing.correlation` does not extend `correlation`")
                corr = full
            self._set_correlation(corr)
        except SpecError as exc:
            raise ModelFileError(f"{self.name} model document: {exc}") from None
        self.repair_ = None
        self.norta_ = None


def rank_uniforms(u: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
    """Column-wise ``rank / (m + 1)`` (ranks among the ``observed`` rows; others unchanged)."""
    out = np.array(u, dtype=float, copy=True)
    for j in range(u.shape[1]):
        rows = slice(None) if observed is None else observed[:, j]
        col = u[rows, j]
        r = np.empty(col.size)
        r[np.argsort(col, kind="stable")] = np.arange(1, col.size + 1)
        out[rows, j] = r / (col.size + 1.0)
    return out
