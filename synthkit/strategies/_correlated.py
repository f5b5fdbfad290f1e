"""Shared machinery of the correlated strategies; not a strategy itself.

One template for the strategies driven by a correlation matrix: the
parameters they share (a declared correlation matrix and its type, the repair
threshold, ``strict``, the fit seed) and their validation; ``fit`` and
``from_spec`` (a declared matrix resolved to the latent one, the missingness
dimensions independent); the fitted matrix's persistence. A new correlated
strategy is ``__init__`` + :meth:`CorrelatedStrategy._estimate_latent` (the
matrix from data) + ``_uniforms`` (dependent uniforms from the matrix).

Missing values and the pseudo-observations of a table: see
:mod:`synthkit.strategies._latent`.

"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..dependence.checks import check_correlation_matrix
from ..dependence.cholesky import cholesky_factor
from ..dependence.repair import RepairReport, nearest_correlation
from ..dependence.tabular import (
    CORRELATION_TYPES,
    check_duplicates,
    correlation_param_to_json,
    identity_for_constant,
    resolve_declared,
)
from ..errors import ModelFileError, SpecError
from ._latent import IMPUTE_FLOOR, LatentTable, rank_uniforms
from ._state import FittedDependence
from .base import Strategy

__all__ = ["CorrelatedStrategy", "rank_uniforms", "IMPUTE_FLOOR"]


class CorrelatedStrategy(LatentTable, Strategy):
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
    #: What the fitted matrix measures (``dependence_.measure``).
    measure: ClassVar[str] = "normal_scores"

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
    def _params_to_json(self) -> dict[str, Any]:
        params = super()._params_to_json()
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
        if self.correlation is not None:
            try:
                correlation_param_to_json(self.correlation)
            except (TypeError, ValueError):
                raise SpecError(
                    "`correlation` must be a square matrix of numbers (nested lists, an array or a "
                    f"DataFrame) or a mapping of pairs such as {{'a,b': 0.4}}, got {self.correlation!r:.80}"
                ) from None
        self._validate_latent_params()

    # ------------------------------------------------------------- template
    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        self._init_missing()
        if self.correlation is not None:
            return self._declared_dependence()
        return self._estimate_latent(frame)

    def _declare(self) -> FittedDependence:
        self._init_missing()
        return self._declared_dependence()

    def _estimate_latent(self, frame: pd.DataFrame) -> FittedDependence:
        """Hook: the latent matrix (values, then missingness dimensions) fitted on ``frame``.

        Return ``self._dependence(matrix, repair)``; ``missing_columns_`` is set.
        """
        raise NotImplementedError

    def _declared_dependence(self) -> FittedDependence:
        d = len(self.columns_) + len(self._missing_idx)
        if self.correlation is None:
            return self._dependence(np.eye(d))
        latent, repair, norta = self._declared_latent()
        return self._dependence(self._with_independent_missing(latent), repair, norta,
                                target=check_correlation_matrix(self.correlation, self._names),
                                target_type=self._ctype)

    def _declared_latent(self) -> tuple[np.ndarray, RepairReport | None, Any]:
        """``(matrix in this strategy's measure, repair, norta)`` of the declared correlation."""
        latent, info = resolve_declared(
            self.correlation,
            self._ctype,
            self.columns_,
            threshold=self.threshold,
            strict=self.strict,
            on_infeasible=getattr(self, "on_infeasible", "raise"),
        )
        return latent, info["repair"], info["norta"]

    def _dependence(self, latent: np.ndarray, repair: RepairReport | None = None, norta: Any = None,
                    **fields: Any) -> FittedDependence:
        latent = np.asarray(latent, dtype=float)
        latent = 0.5 * (latent + latent.T)  # exactly symmetric: a saved model reloads bit for bit
        np.fill_diagonal(latent, 1.0)
        return FittedDependence(latent, self.measure, tuple(self.missing_columns_), repair=repair,
                                norta=norta, **fields)

    def _on_state(self) -> None:
        self.factor_ = cholesky_factor(self.latent_correlation_)

    def _finish(self, corr: np.ndarray, const: list[int]) -> tuple[np.ndarray, RepairReport | None]:
        """Identity rows for constant columns, duplicate check, repair: ``(matrix, repair)``.

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
        return rep.matrix, (rep if rep.repaired else None)

    # ----------------------------------------------------------- persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        dep = self.dependence_
        d: dict[str, Any] = {"names": self._names, "correlation": dep.matrix.tolist()}
        if self._missing_idx:
            d["missing"] = {"columns": list(self.missing_columns_), "correlation": dep.latent.tolist()}
        if dep.repair is not None:
            d["repair"] = dep.repair.to_dict()
        d.update(dep.params)
        return d

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        if "correlation" not in d:
            raise ModelFileError(f"{self.name} model document: `dependence.correlation` is missing")
        names = d.get("names")
        if names is not None and (not isinstance(names, list) or names != self._names):
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
            dep = self._dependence(corr)
        except SpecError as exc:
            raise ModelFileError(f"{self.name} model document: {exc}") from None
        if self.correlation is not None:
            try:
                dep = replace(dep, target=check_correlation_matrix(self.correlation, self._names),
                              target_type=self._ctype)
            except SpecError:
                pass
        return dep
