"""Fit one column's marginal: family selection by AIC/BIC with a KS fidelity check.

``fit_continuous(x, method="auto")`` fits every candidate family by maximum
likelihood and scores it by

    AIC = 2k - 2 log L,        BIC = k log n - 2 log L,

(``k`` the parameters the fit estimated, :meth:`ParametricMarginal.n_params`: a
location fixed at 0 or a support fixed at [0, 1] is not counted, a support or
bound estimated from the data is; ``n`` observations), recording for each the KS distance
``D = sup |F̂(x) - F_n(x)|`` to the data's ECDF and the Wasserstein-1 distance
between the fitted quantile function and the data (on 500 probability
points). No plain-KS p-value is reported: with fitted parameters it is not
valid (Lilliefors 1967).

The family with the best criterion is accepted when its ``D`` is at most
``ks_tolerance`` (default 0.035): synthetic data should stay close to the
table it imitates, and a larger ``D`` means the family misses a real feature
(skew, bimodality, a spike). Otherwise the empirical (interpolated-ECDF)
marginal is used, whose ``D`` is at most ``1/(2n)``.

Families are only tried when a correctly specified fit could pass that check:
the KS distance of a true model to ``n`` points is about ``K / sqrt(n)`` with
``K`` Kolmogorov-distributed, and ``P(K < 0.5) ≈ 0.036``, so with
``sqrt(n) · ks_tolerance < 0.5`` (``n < 204`` at the default tolerance) the
empirical marginal is used directly (the report says so).

MLE fits use at most :data:`FIT_SUBSAMPLE` points (a random subsample seeded by a
hash of the column, :func:`synthkit.seeding.data_seed`, so the same data always give
the same fit and no constant seed is shared between columns; it
always keeps the smallest and largest value, so that a support fitted to the
subsample holds every point) so fitting stays fast on big tables; ``D`` and the
criteria use all points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError, SynthkitError
from ..seeding import as_generator, data_seed
from .base import Marginal
from .discrete import CategoricalMarginal, DiscreteMarginal
from .empirical import EmpiricalMarginal
from .parametric import ParametricMarginal

__all__ = ["FitReport", "fit_continuous", "DEFAULT_CANDIDATES", "FIT_SUBSAMPLE"]

DEFAULT_CANDIDATES = ("norm", "lognorm", "gamma", "weibull_min", "expon", "t", "uniform",
                      "truncnorm", "beta")
FIT_SUBSAMPLE = 5000
#: Kolmogorov-distribution quantile below which a true model's sqrt(n)·D rarely falls (3.6%).
KOLMOGOROV_LOW = 0.5


@dataclass
class FitReport:
    """How a column's marginal was chosen.

    Attributes
    ----------
    chosen : str
        ``"parametric:<family>"``, ``"empirical"``, ``"kde"``, ``"pmf"``, ``"categorical"``...
    criterion : str
        ``"aic"`` or ``"bic"`` (for automatic selection).
    ks : float or None
        KS distance of the chosen marginal to the data.
    wasserstein : float or None
        Wasserstein-1 distance of the chosen marginal to the data.
    candidates : list of dict
        One record per candidate family: family, params, k (free parameters), loglik, aic,
        bic, ks (and the Wasserstein distance for the best family), or ``error``.
    """

    chosen: str
    criterion: str | None = None
    ks: float | None = None
    wasserstein: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The candidate table, best criterion first."""
        df = pd.DataFrame(self.candidates)
        if self.criterion and self.criterion in df:
            df = df.sort_values(self.criterion)
        return df.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "criterion": self.criterion, "ks": self.ks,
                "wasserstein": self.wasserstein, "candidates": self.candidates}


def ks_distance(marginal: Marginal, x_sorted: np.ndarray) -> float:
    """KS distance ``sup |F(x) - F_n(x)|`` between a marginal and sorted data.

    The supremum over the real line is reached at a data value ``x``, on either side of it:
    ``|F(x) - F_n(x)|`` (right limits) or ``|F(x-) - F_n(x-)|`` (left limits, ``cdf_left``: a
    model with an atom at a tied value has it in both, so the tie does not count against it).

    Examples
    --------
    >>> import numpy as np
    >>> from synthkit.marginals import EmpiricalMarginal
    >>> x = np.sort(np.round(np.random.default_rng(0).lognormal(size=400), 1))  # many ties
    >>> round(ks_distance(EmpiricalMarginal.fit(x), x), 5), 0.5 / x.size
    (0.00125, 0.00125)
    """
    n = x_sorted.size
    upper = np.arange(1, n + 1) / n
    lower = np.arange(0, n) / n
    # With ties, compare at the ends of each run of equal values.
    last = np.concatenate([x_sorted[1:] != x_sorted[:-1], [True]])
    first = np.concatenate([[True], x_sorted[1:] != x_sorted[:-1]])
    right = np.abs(upper[last] - marginal.cdf(x_sorted[last]))
    left = np.abs(marginal.cdf_left(x_sorted[first]) - lower[first])
    return float(max(np.max(right), np.max(left)))


def wasserstein(marginal: Marginal, x_sorted: np.ndarray, points: int = 500) -> float:
    """Wasserstein-1 distance, as the mean |Q(p) - Q_n(p)| over ``points`` midpoints.

    Uses the exact quantile function (no table is built for scoring candidates).
    """
    p = (np.arange(points) + 0.5) / points
    q = marginal.exact_ppf(p) if hasattr(marginal, "exact_ppf") else marginal.ppf(p)
    return float(np.mean(np.abs(q - np.quantile(x_sorted, p))))


def fit_continuous(
    values: Any,
    method: str = "auto",
    *,
    criterion: str = "bic",
    candidates: tuple[str, ...] | None = None,
    ks_tolerance: float = 0.035,
    smoothing: str | None = None,
) -> tuple[Marginal, FitReport]:
    """Fit the marginal of one continuous column.

    Parameters
    ----------
    values : array_like
        Finite observations (missing values already removed).
    method : str
        ``"auto"`` (select among ``candidates``), ``"empirical"``, ``"kde"``, or a
        scipy.stats family name to fit that family by MLE.
    criterion : {"bic", "aic"}
        Information criterion for ``"auto"``.
    candidates : tuple of str, optional
        Families tried by ``"auto"`` (default :data:`DEFAULT_CANDIDATES`).
    ks_tolerance : float
        Largest KS distance at which the best family is accepted (see module doc).
    smoothing : {None, "kde"}
        Smoothing of the empirical fallback.

    Returns
    -------
    (Marginal, FitReport)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).gamma(3.0, 2.0, size=2000)
    >>> m, rep = fit_continuous(x)
    >>> rep.chosen
    'parametric:gamma'
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        raise SpecError("cannot fit a marginal to a column with no observed values")
    if criterion not in ("aic", "bic"):
        raise SpecError(f"`criterion` must be 'aic' or 'bic', got {criterion!r}")
    if x[0] == x[-1]:
        m = EmpiricalMarginal([x[0]], [0.5])
        return m, FitReport("constant", ks=0.0, wasserstein=0.0)
    hopeless = np.sqrt(x.size) * ks_tolerance < KOLMOGOROV_LOW
    if method in ("empirical", "ecdf", "kde") or (method == "auto" and (x.size < 8 or hopeless)):
        m = EmpiricalMarginal.fit(x, smoothing="kde" if method == "kde" else smoothing)
        return m, FitReport(m.method if m.method == "kde" else "empirical",
                            ks=ks_distance(m, x), wasserstein=wasserstein(m, x))
    if method != "auto":
        m = ParametricMarginal.fit(x, method)
        return m, FitReport(f"parametric:{m.family}", ks=ks_distance(m, x),
                            wasserstein=wasserstein(m, x))

    n = x.size
    fit_x = x
    if n > FIT_SUBSAMPLE:
        rng = as_generator(data_seed(x, salt="fit_continuous"))
        idx = rng.choice(n - 2, FIT_SUBSAMPLE - 2, replace=False)
        fit_x = np.concatenate([x[:1], x[1:-1][np.sort(idx)], x[-1:]])
    records: list[dict[str, Any]] = []
    best: tuple[float, ParametricMarginal, dict] | None = None
    for fam in candidates or DEFAULT_CANDIDATES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = ParametricMarginal.fit(fit_x, fam)
                ll = float(np.sum(m.logpdf(x)))
                ks = ks_distance(m, x)
        except (SynthkitError, ValueError, RuntimeError, FloatingPointError) as exc:
            # RuntimeError includes RecursionError: some scipy releases (1.13) recurse without
            # end in truncnorm's log-CDF for extreme parameters; the family is then skipped
            records.append({"family": fam, "error": str(exc) or type(exc).__name__})
            continue
        if not np.isfinite(ll):
            records.append({"family": fam, "error": "zero likelihood for some observations"})
            continue
        k = m.n_params()
        rec = {"family": m.family, "params": m.params, "k": k, "loglik": ll,
               "aic": 2 * k - 2 * ll, "bic": k * np.log(n) - 2 * ll,
               "ks": ks, "wasserstein": None}
        records.append(rec)
        if best is None or rec[criterion] < best[0]:
            best = (rec[criterion], m, rec)
    if best is not None:
        best[2]["wasserstein"] = wasserstein(best[1], x)
    if best is not None and best[2]["ks"] <= ks_tolerance:
        m, rec = best[1], best[2]
        return m, FitReport(f"parametric:{m.family}", criterion, rec["ks"], rec["wasserstein"],
                            records)
    m = EmpiricalMarginal.fit(x, smoothing=smoothing)
    return m, FitReport(m.method if m.method == "kde" else "empirical", criterion,
                        ks_distance(m, x), wasserstein(m, x), records)


def fit_discrete(values: Any, method: str = "auto") -> tuple[Marginal, FitReport]:
    """Fit a discrete numeric column: exact pmf (``auto``/``pmf``) or a named family."""
    fam = "pmf" if method in ("auto", "empirical") else method
    m = DiscreteMarginal.fit(values, fam)
    return m, FitReport("pmf" if fam == "pmf" else f"discrete:{m.family}")


def fit_categorical(codes: np.ndarray, n_categories: int) -> tuple[Marginal, FitReport]:
    """Category frequencies from integer codes ``0..K-1`` (missing codes excluded)."""
    counts = np.bincount(codes, minlength=n_categories).astype(float)
    return CategoricalMarginal(counts / counts.sum()), FitReport("categorical")
