"""The latent table shared by the copula strategies (a mixin, not a strategy).

A latent-table strategy maps the table to pseudo-observations (uniforms), one
dimension per column plus one per column with nulls, and draws dependent
uniforms back. This mixin holds what every such strategy needs whatever its
dependence model: the missingness dimensions, the pseudo-observations of a
table (completed where values are missing), the calibration of observed
values, the constant-column check, and the fitted matrix's accessors.

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
* These pairwise estimates are only the start: with nearly collinear columns
  they mis-state the weakest directions (or are not even positive definite),
  and draws conditioned on a row's observed values would amplify the row's
  small departures from them. Every entry is then re-estimated jointly from
  every row by stochastic EM (:func:`~synthkit.dependence.latent.stochastic_em_correlation`:
  Gibbs completion of the latent table, correlation of the completed table,
  own pairs reset to their completion, repeated until batch means agree).
* The value's uniform is then not uniform over the rows where it is observed;
  the samplers map it through its conditional CDF there
  (:func:`~synthkit.dependence.latent.observed_value_cdf`), so the observed
  values follow the column's fitted marginal exactly.
* Strategies fitted on complete latent data (t copula, vine, Iman–Conover)
  first complete the table: one stochastic imputation of the missing value
  scores and of the indicators' latent scores from that Gaussian copula
  (Gibbs sampling, seeded from ``fit_seed``); the copula is then
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

from ..dependence.copula import clip_uniform, impute_truncated_normal
from ..dependence.latent import (
    complete_missingness,
    observed_value_cdf,
    pairwise_latent_correlation,
    stochastic_em_correlation,
)
from ..dependence.repair import nearest_correlation
from ..dependence.tabular import (
    frame_to_uniforms,
    missing_columns,
    missing_intervals,
    missing_names,
    missing_thresholds,
)
from ..errors import DataError, ModelFileError, SpecError
from ..seeding import as_generator, as_seed_sequence, block_generator

__all__ = ["LatentTable", "rank_uniforms", "IMPUTE_FLOOR"]

#: Eigenvalue floor of the Gaussian model that completes a table with missing values.
IMPUTE_FLOOR = 1e-2


class LatentTable:
    """Mixin of the strategies sampling dependent uniforms over a latent table.

    Expects the parameters ``threshold`` (eigenvalue floor of repairs),
    ``strict`` (refuse singular tables) and ``fit_seed``, and the fitted
    state of :class:`~synthkit.strategies.base.Strategy` (``columns_``,
    ``dependence_``).
    """

    #: Gibbs sweeps of the stochastic imputation that completes the latent table.
    impute_sweeps: ClassVar[int] = 10

    def _validate_latent_params(self) -> None:
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

    # ------------------------------------------------------------ accessors
    @property
    def latent_correlation_(self) -> np.ndarray | None:
        """The fitted matrix over the values, then the missingness dimensions (``dependence_.latent``)."""
        self._check_fitted()
        return self.dependence_.latent

    @property
    def correlation_(self) -> np.ndarray | None:
        """The fitted matrix over the values; what it measures is ``dependence_.measure``.

        None for a stratified model: each level has its own (``strata_.levels_``)."""
        self._check_fitted()
        return self.dependence_.matrix

    @property
    def repair_(self):
        """The nearest-correlation repair applied when fitting / declaring, or None."""
        self._check_fitted()
        return self.dependence_.repair

    @property
    def norta_(self):
        """The NORTA solution of a declared Pearson target, or None."""
        self._check_fitted()
        return self.dependence_.norta

    def correlation_frame(self, missing: bool = False) -> pd.DataFrame:
        """The fitted (or declared, resolved) correlation matrix as a labelled DataFrame.

        ``missing=True`` includes the missingness dimensions (``"<name> (missing)"``). A
        stratified model has one matrix per level, read from its levels' models
        (``strata_.levels_``).
        """
        self._check_fitted()
        if self.strata_ is not None:
            raise SpecError(f"this {type(self).__name__} is stratified by {self.strata_.by_!r}: each level "
                            "has its own correlation, read it from that level's model "
                            "(model.strata_.levels_[i].correlation_frame())")
        if missing:
            names = self._latent_names()
            return pd.DataFrame(self.latent_correlation_, index=names, columns=names)
        return pd.DataFrame(self.correlation_, index=self._names, columns=self._names)

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
        rng = block_generator(as_seed_sequence(int(self.fit_seed)), 0)
        everything = list(range(d + len(idx)))
        corr = self._joint_latent_correlation(
            corr, np.column_stack([np.where(observed, z, -np.inf), mlo]),
            np.column_stack([np.where(observed, z, np.inf), mhi]), everything, rng)
        # the observed values' scores are standard normal over the observed rows; put them
        # on the latent scale, where a value tied to its indicator is not (observed_value_cdf)
        for k, j in enumerate(idx):
            ug, gg = observed_value_cdf(corr[j, d + k], self.columns_[j].column.null_fraction)
            rows = observed[:, j]
            z[rows, j] = special.ndtri(clip_uniform(np.interp(special.ndtr(z[rows, j]), gg, ug)))
        lower = np.column_stack([np.where(observed, z, -np.inf), mlo])
        upper = np.column_stack([np.where(observed, z, np.inf), mhi])
        completed = impute_truncated_normal(lower, upper, corr, rng, sweeps=self.impute_sweeps)
        return rank_uniforms(special.ndtr(completed))

    def _joint_latent_correlation(self, corr: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                                  live: list[int], rng: np.random.Generator) -> np.ndarray:
        """The pairwise latent correlation (values, then indicators) completed and re-estimated jointly.

        A value and its own indicator get their missing-at-random completion and the value
        pairs are undone from their row selection (:func:`complete_missingness`); pairwise
        estimates of nearly collinear columns still mis-state their weakest directions, and
        conditional draws would amplify the data's small departures from them into wild
        imputations, so from that start, floored at ``IMPUTE_FLOOR``, the ``live``
        dimensions (all but constant columns) are re-estimated jointly from every row of the
        boxes ``lower``/``upper`` by stochastic EM (:func:`stochastic_em_correlation`).
        """
        idx = self._missing_idx
        d = len(self.columns_)
        corr = complete_missingness(corr, d, idx, missing_thresholds(self.columns_, idx))
        sub = np.ix_(live, live)
        start = nearest_correlation(corr[sub], [self._latent_names()[i] for i in live],
                                    threshold=max(float(self.threshold), IMPUTE_FLOOR)).matrix
        pairs = [(j, k) for k, j in enumerate(idx) if j in live]
        corr[sub] = stochastic_em_correlation(
            lower[:, live], upper[:, live], start, rng,
            own=[(live.index(j), live.index(d + k)) for j, k in pairs],
            null_fractions=[float(self.columns_[j].column.null_fraction) for j, _ in pairs])
        return corr

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
        latent = self.latent_correlation_
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

    def _values_from_normals(self, z: np.ndarray) -> list[np.ndarray]:
        """Per-column values of latent normal scores ``z``, ``(d + m, n)`` (one row per dimension).

        What the column models make of the uniforms ``Φ(z)``, calibrated (see
        :meth:`_calibrate`), but read from normal scores directly
        (:meth:`~synthkit.columns.ColumnModel.values_from_normal`): no ``Φ`` and no
        ``Φ^{-1}`` per value, except for a nullable column whose value is tied to its
        missingness (its calibration ``G`` acts on the uniform).
        """
        d = len(self.columns_)
        lay = {j: d + k for k, j in enumerate(self._missing_idx)}
        calibration = self._calibration()
        out = []
        for j, cm in enumerate(self.columns_):
            miss = z[lay[j]] if j in lay else None
            if j in calibration:
                ug, gg = calibration[j]
                u = clip_uniform(np.interp(clip_uniform(special.ndtr(z[j])), ug, gg))
                out.append(cm.values_from_uniform(u, None if miss is None else special.ndtr(miss)))
            else:
                out.append(cm.values_from_normal(z[j], miss))
        return out

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

    def _missing_from_dict(self, d: dict[str, Any]) -> dict | None:
        """Read ``missing_columns_`` from a model document's ``dependence.missing`` entry.

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
