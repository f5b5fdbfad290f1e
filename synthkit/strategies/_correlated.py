"""Shared machinery of the correlated strategies (issue 3); not a strategy itself.

Holds the parameters every correlated strategy has (a declared correlation
matrix and its type, the repair threshold, ``strict``, the fit seed), their
validation, the fitted correlation's persistence, and the fit of a latent
correlation from a mixed table (constant columns independent, singular
tables repaired or, with ``strict=True``, refused).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import cholesky_factor
from ..dependence.repair import RepairReport, nearest_correlation
from ..dependence.tabular import (
    CORRELATION_TYPES,
    check_duplicates,
    correlation_param_to_json,
    frame_to_uniforms,
    identity_for_constant,
    resolve_declared,
)
from ..errors import DataError, ModelFileError, SpecError
from ..seeding import as_generator
from .base import Strategy

__all__ = ["CorrelatedStrategy"]


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

    # ------------------------------------------------------------------ fit
    def _fit_uniforms(self, frame: pd.DataFrame) -> np.ndarray:
        """Pseudo-observations of the table: ranks of the distributional transform / (n + 1).

        The distributional transform breaks ties at random inside each atom (nulls at
        the bottom, as the column models sample them); ranking it gives the empirical
        copula's pseudo-observations, which never reach 0 or 1 (a fitted CDF can:
        the sample maximum of an ECDF maps to 1, a normal score of +7 that would
        dominate a correlation estimate).
        """
        u = frame_to_uniforms(self.columns_, frame, as_generator(int(self.fit_seed)))
        return rank_uniforms(u)

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
        """Identity rows for constant columns, duplicate check, repair; sets ``repair_``."""
        corr = identity_for_constant(np.nan_to_num(corr, nan=0.0), const)
        corr = 0.5 * (corr + corr.T)
        np.fill_diagonal(corr, 1.0)
        corr = np.clip(corr, -1.0, 1.0)
        if self.strict:
            check_duplicates(corr, self._names, tol=1e-6)
        rep = nearest_correlation(corr, self._names, threshold=self.threshold, strict=self.strict)
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
    def correlation_frame(self) -> pd.DataFrame:
        """The fitted (or declared, resolved) correlation matrix as a labelled DataFrame."""
        self._check_fitted()
        return pd.DataFrame(self.correlation_, index=self._names, columns=self._names)

    def _set_correlation(self, corr: np.ndarray) -> None:
        self.correlation_ = np.asarray(corr, dtype=float)
        self.factor_ = cholesky_factor(self.correlation_)

    # ----------------------------------------------------------- persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "names": self._names,
            "correlation": self.correlation_.tolist(),
        }
        rep: RepairReport | None = getattr(self, "repair_", None)
        if rep is not None:
            d["repair"] = rep.to_dict()
        return d

    def _dependence_from_dict(self, d: dict[str, Any]) -> None:
        if "correlation" not in d:
            raise ModelFileError(f"{self.name} model document: `dependence.correlation` is missing")
        if d.get("names") is not None and list(d["names"]) != self._names:
            raise ModelFileError(
                f"{self.name} model document: dependence names {d['names']} do not match the "
                f"columns {self._names}"
            )
        try:
            corr = check_correlation_matrix(d["correlation"], self._names)
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
