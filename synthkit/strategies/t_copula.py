"""Student-t copula synthesis: tail dependence, degrees of freedom by maximum likelihood."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..dependence.copula import fit_t_copula, sample_t_copula
from ..errors import ModelFileError, SpecError
from ._correlated import CorrelatedStrategy
from ._state import FittedDependence
from .registry import register_strategy

__all__ = ["TCopula"]


@register_strategy("t_copula")
class TCopula(CorrelatedStrategy):
    """Student-t copula: ``X_j = F_j^-1(t_nu(Y_j))``, ``Y = Z / sqrt(W / nu)``, ``Z ~ N(0, R)``.

    Unlike the Gaussian copula it has *tail dependence* (joint extremes, as in
    losses or returns), more so for small ``nu``. Fitting: distributional
    transform to uniforms (mixed types take part), ``R`` by Kendall's-tau
    inversion ``R = sin(pi tau / 2)`` (exact for every elliptical copula),
    repaired to positive definite, then ``nu`` by maximum likelihood of the
    t-copula density given ``R`` (Demarta & McNeil 2005), unless ``df`` is
    given. Declared mode needs ``df`` and a ``correlation`` of type
    ``"kendall"`` (exact), ``"normal_scores"`` (``R`` itself) or
    ``"spearman"`` (converted with the Gaussian formula ``2 sin(pi rho_s/6)``,
    an approximation for t copulas).

    Parameters
    ----------
    df : float, optional
        Degrees of freedom; fitted by maximum likelihood when None.
    df_bounds : (float, float)
        Search interval of the fit.
    correlation, correlation_type, threshold, strict, fit_seed, **params
        See :class:`~synthkit.strategies._correlated.CorrelatedStrategy`.

    Attributes
    ----------
    correlation_ : ndarray
        ``R``.
    df_ : float
        Degrees of freedom used.
    loglik_ : float or None
        Copula log-likelihood at the fit.

    Examples
    --------
    >>> import synthkit
    >>> from sklearn.datasets import load_wine
    >>> m = synthkit.fit(load_wine(as_frame=True).frame, strategy="t_copula")
    >>> m.df_ > 1
    True
    """

    correlation_types = ("kendall", "normal_scores", "spearman")
    default_correlation_type = "kendall"

    def __init__(
        self, *, df: float | None = None, df_bounds: tuple = (1.0, 200.0), **params: Any
    ) -> None:
        super().__init__(**params)
        self.df = df
        self.df_bounds = df_bounds

    def _validate_params(self) -> None:
        if self.correlation_type == "pearson":
            raise SpecError(
                "`correlation_type` 'pearson' is not supported by 't_copula'; declare Kendall's "
                "tau (exact for t copulas), or use strategy='gaussian_copula' with "
                "correlation_type='pearson' (NORTA)"
            )
        super()._validate_params()
        if self.df is not None and (
            isinstance(self.df, bool)
            or not isinstance(self.df, (int, float, np.integer))
            or not 0 < self.df < np.inf
        ):
            raise SpecError(f"`df` must be a positive finite number or None, got {self.df!r}")
        b = self.df_bounds
        try:
            ok = isinstance(b, (list, tuple)) and len(b) == 2 and 0 < float(b[0]) < float(b[1])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise SpecError(f"`df_bounds` must be (low, high) with 0 < low < high, got {b!r}")

    def _declared_dependence(self) -> FittedDependence:
        if self.df is None:
            raise SpecError("a declared t copula needs `df` (degrees of freedom), e.g. df=4")
        dep = super()._declared_dependence()
        return replace(dep, params={"df": float(self.df), "loglik": None})

    def _estimate_latent(self, frame: pd.DataFrame) -> FittedDependence:
        u = self._fit_uniforms(frame)  # values, then missingness indicators (completed)
        const = self._constant_idx(frame)
        live = [j for j in range(u.shape[1]) if j not in const]
        corr = np.eye(u.shape[1])
        df = float(self.df) if self.df is not None else 200.0
        loglik = None
        if len(live) >= 2:
            sub, df_fit, ll, _ = fit_t_copula(
                u[:, live],
                df_bounds=tuple(self.df_bounds),
                threshold=0.0,
                seed=int(self.fit_seed),
            )
            corr[np.ix_(live, live)] = sub
            if self.df is None:
                df, loglik = df_fit, ll
        return self._dependence(*self._finish(corr, const), params={"df": float(df), "loglik": loglik})

    @property
    def df_(self) -> float:
        """Degrees of freedom used."""
        return self.dependence_.params["df"]

    @property
    def loglik_(self) -> float | None:
        """Copula log-likelihood at the fit (None when ``df`` was given or declared)."""
        return self.dependence_.params.get("loglik")

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._calibrate(sample_t_copula(self.factor_, self.df_, n, rng))

    def _calibration_df(self) -> float | None:
        return float(self.df_)

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        dep = super()._dependence_from_dict(d)
        try:
            df = float(d["df"])
        except (KeyError, TypeError, ValueError):
            raise ModelFileError("t_copula model document: `dependence.df` missing") from None
        if not df > 0:
            raise ModelFileError(f"t_copula model document: `df` must be > 0, got {df}")
        return replace(dep, params={"df": df, "loglik": d.get("loglik")})
