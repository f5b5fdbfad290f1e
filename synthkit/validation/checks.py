"""The row type of a validation report and the default thresholds.

Every statistic a validation computes becomes one :class:`Check`: the section
it belongs to, the statistic's name, the column(s) it is about, its value and,
when it is a pass/fail check, the threshold it was compared with. Informational
statistics have ``passed=None``.

Thresholds
----------
:data:`DEFAULT_THRESHOLDS` holds the effect-size part of every threshold. Where
a statistic also fluctuates with the sample sizes (KS distance, correlation
differences, ...) the check adds a sampling allowance derived from the sizes
(documented on each check's ``detail``), so a faithful sample of a small table
does not fail by chance and a large one is held to the effect size. Override any
entry with ``validate(..., thresholds={"ks_distance": 0.05})``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import SpecError

__all__ = ["Check", "DEFAULT_THRESHOLDS", "SECTIONS", "resolve_thresholds"]

SECTIONS = ("marginals", "dependence", "privacy", "utility", "clusters")


@dataclass
class Check:
    """One row of a validation report.

    Parameters
    ----------
    section : str
        ``"marginals"``, ``"dependence"``, ``"privacy"``, ``"utility"`` or ``"clusters"``.
    statistic : str
        Name of the statistic, e.g. ``"ks_distance"``.
    columns : str
        The column(s) it is about: ``"age"``, ``"age|income"``, ``"clusters 0-1"``, ``"*"``.
    value : float
        The statistic's value (NaN when it could not be computed).
    threshold : float, optional
        The bound the value was compared with (``None`` for informational rows).
    passed : bool, optional
        ``True``/``False`` for a check, ``None`` for an informational statistic.
    detail : str
        Free text: the direction of the comparison, the sampling allowance, notes.

    Examples
    --------
    >>> Check("marginals", "ks_distance", "age", 0.03, 0.1, True).passed
    True
    """

    section: str
    statistic: str
    columns: str
    value: float
    threshold: float | None = None
    passed: bool | None = None   # None = informational
    detail: str = ""

    def to_dict(self) -> dict:
        """Plain-Python record (NaN kept as float NaN)."""
        d = asdict(self)
        d["value"] = float(d["value"]) if d["value"] is not None else math.nan
        if d["threshold"] is not None:
            d["threshold"] = float(d["threshold"])
        if d["passed"] is not None:
            d["passed"] = bool(d["passed"])
        return d


#: Effect-size thresholds; the checks add a sample-size allowance where noted.
DEFAULT_THRESHOLDS: dict[str, float] = {
    # marginals -------------------------------------------------------------
    # two-sample KS distance (plus 1.63*sqrt(1/n + 1/m), the 1% critical value)
    "ks_distance": 0.10,
    # one-sample KS distance to a declared CDF (plus 1.63/sqrt(m))
    "ks_distance_declared": 0.05,
    # Wasserstein-1 distance divided by the real inter-quartile range
    "wasserstein_iqr": 0.20,
    # |mean_s - mean_r| / sd_r  (plus 3*sqrt(1/n + 1/m))
    "mean_difference_sd": 0.10,
    # |log(sd_s / sd_r)|  (plus 3*sqrt((kurtosis - 1)/4 (1/n + 1/m)); 3*sqrt(1/(2n) + 1/(2m)) if normal)
    "sd_log_ratio": 0.15,
    # max over the 5/25/50/75/95 % quantiles of |q_s - q_r| / IQR_r
    "quantile_difference_iqr": 0.25,
    # share of synthetic values outside the real (or declared) [min, max]
    "range_violation_rate": 0.01,
    # total-variation distance of category / level frequencies
    # (plus 2 * 1/2 sqrt(2/pi) sum_k sqrt(p_k (1 - p_k)) sqrt(1/n + 1/m), twice the
    # expected TV of two multinomial samples)
    "tv_distance": 0.10,
    # share of synthetic values whose category never occurs in the real column
    "unseen_category_rate": 0.0,
    # |null rate synthetic - null rate real| (plus 3 binomial standard errors)
    "missing_rate_difference": 0.02,
    # dependence ------------------------------------------------------------
    # max |r_s - r_r| over pairs for Pearson / Spearman / Kendall
    # (plus 3*sqrt(1/n + 1/m), a bound on the standard error of a difference)
    "corr_max_abs_diff": 0.15,
    # ||R_s - R_r||_F / ||R_r - I||_F (plus 2x the expected relative sampling noise)
    "corr_relative_frobenius": 0.30,
    # max |V_s - V_r| of Cramer's V over categorical pairs (plus 3*sqrt(1/n + 1/m))
    "cramers_v_max_abs_diff": 0.15,
    # max total-variation distance of the two-way contingency tables
    "contingency_tv_max": 0.15,
    # max |eta_s - eta_r| of the correlation ratio over categorical-numeric pairs
    "correlation_ratio_max_abs_diff": 0.15,
    # SDMetrics-compatible Column Pair Trends score must not fall below this
    "column_pair_trends": 0.80,
    # SDMetrics-compatible Column Shapes score must not fall below this
    "column_shapes": 0.80,
    # privacy ---------------------------------------------------------------
    # share of synthetic rows that are exact copies of a real row (above the
    # real table's own duplicate rate)
    "exact_copy_rate": 0.01,
    # share of synthetic rows closer to the training table than to the holdout
    "closer_to_train_share": 0.60,
    # share of synthetic rows nearer a real row than the 1st percentile of the
    # real-to-real nearest-neighbour distances (expected ~0.01)
    "dcr_below_p1_share": 0.03,
    # median DCR(synthetic->real) / median DCR(baseline->real) must be at least
    "dcr_median_ratio": 0.50,
    # median NNDR(synthetic) / median NNDR(baseline) must be at least
    "nndr_median_ratio": 0.70,
    # utility ---------------------------------------------------------------
    # TSTR score / TRTR score must be at least
    "tstr_trtr_ratio": 0.80,
    # clusters (read by synthkit.validation.clusters, issue 5) -----------------
    # |empirical - exact| pairwise overlap (plus 3 binomial standard errors)
    "overlap_abs_diff": 0.05,
    # relative tolerance of the achieved max/min cluster size ratio
    "imbalance_rel_tol": 0.05,
    # relative tolerance of the achieved aspect ratios, radii and scale
    "shape_rel_tol": 1e-6,
    # relative slack on the requested overlap bounds
    "overlap_rel_tol": 1e-9,
}


def resolve_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, float]:
    """Merge user thresholds into :data:`DEFAULT_THRESHOLDS`.

    Every name must be one of :data:`DEFAULT_THRESHOLDS` (a typo raises, with the
    closest names) and every value a finite number.

    Examples
    --------
    >>> resolve_thresholds({"ks_distance": 0.05})["ks_distance"]
    0.05
    """
    out = dict(DEFAULT_THRESHOLDS)
    if thresholds is None:
        return out
    if not isinstance(thresholds, Mapping):
        raise SpecError(
            f"`thresholds` must be a mapping of statistic name to number, got "
            f"{type(thresholds).__name__}"
        )
    for key, val in thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            import difflib

            close = difflib.get_close_matches(str(key), list(DEFAULT_THRESHOLDS), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else (
                "; see synthkit.validation.DEFAULT_THRESHOLDS for the names")
            raise SpecError(f"unknown threshold `{key}`{hint}")
        try:
            f = float(val)
        except (TypeError, ValueError):
            raise SpecError(f"threshold `{key}` must be a number, got {val!r}") from None
        if not math.isfinite(f):
            raise SpecError(f"threshold `{key}` must be finite, got {val!r}")
        out[str(key)] = f
    return out
