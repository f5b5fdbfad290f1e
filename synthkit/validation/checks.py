"""The row type of a validation report, the default thresholds and the false-fail budget.

Every statistic a validation computes becomes one :class:`Check`: the section
it belongs to, the statistic's name, the column(s) it is about, its value and,
when it is a pass/fail check, the threshold it was compared with. Informational
statistics have ``passed=None``.

Thresholds
----------
:data:`DEFAULT_THRESHOLDS` holds the effect-size part of every threshold. Every
pass/fail check adds a sampling allowance derived from both sample sizes (the
reference's ``n`` and the synthetic table's ``m``; documented on each check and
quoted in its ``detail``), so a faithful sample does not fail by chance and a
large one is held to the effect size. Override any entry with
``validate(..., thresholds={"ks_distance": 0.05})``.

False-fail budget
-----------------
``false_fail_rate`` (default 0.05) is the chance that a *faithful* synthetic table
(an independent sample of the reference's distribution) fails any check of the
report when every effect size is 0. It is split equally over the report's
elementary tests (one statistic on one column, one pair or one quantile;
Bonferroni): each test is run at level ``alpha = false_fail_rate / T``, and its
allowance is the ``1 - alpha`` quantile of the statistic under faithful sampling
(``z = Phi^-1(1 - alpha/2)`` standard errors for a two-sided normal statistic).
With the effect sizes added on top, the real false-fail rate is lower still.

Scores without an honest sampling allowance (the SDMetrics-compatible Column
Shapes and Column Pair Trends) are informational: their default threshold is NaN;
setting one (``thresholds={"column_pair_trends": 0.8}``) makes them a plain
pass/fail floor with no allowance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import special

from ..errors import SpecError

__all__ = ["Check", "DEFAULT_THRESHOLDS", "SECTIONS", "resolve_thresholds", "bonferroni_level", "z_value",
           "format_number", "AT_LEAST", "format_threshold"]

SECTIONS = ("marginals", "dependence", "rules", "privacy", "utility", "clusters")


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


#: Effect-size thresholds; every pass/fail check adds a sampling allowance at level
#: ``alpha = false_fail_rate / T`` (see the module docstring). ``n``/``m``: reference /
#: synthetic sizes (non-missing values where the statistic uses them), ``z``: the normal
#: quantile of ``alpha``.
DEFAULT_THRESHOLDS: dict[str, float] = {
    # the report -------------------------------------------------------------
    # chance that a faithful sample fails any check (Bonferroni over the T tests)
    "false_fail_rate": 0.05,
    # marginals -------------------------------------------------------------
    # two-sample KS distance (plus K_alpha sqrt(1/n + 1/m), Kolmogorov's quantile)
    "ks_distance": 0.10,
    # one-sample KS distance to a declared CDF (plus K_alpha / sqrt(m))
    "ks_distance_declared": 0.05,
    # Wasserstein-1 distance divided by the real inter-quartile range
    # (plus (sqrt(2/pi) + sqrt(2 ln(1/alpha))) sqrt(1/n + 1/m) int sqrt(F (1 - F)) dx / IQR)
    "wasserstein_iqr": 0.20,
    # |mean_s - mean_r| / sd_r  (plus z sqrt(1/n + 1/m))
    "mean_difference_sd": 0.10,
    # |log(sd_s / sd_r)|  (plus z sqrt((kurtosis - 1)/4 (1/n + 1/m)))
    "sd_log_ratio": 0.15,
    # max over the 5/25/50/75/95 % quantiles of |q_s - q_r| / IQR_r
    # (plus the real quantile spread over p +- z sqrt(p (1-p) (1/n + 1/m)))
    "quantile_difference_iqr": 0.25,
    # share of synthetic values outside the real (or declared) [min, max]
    # (plus the 1 - alpha quantile of BetaBinomial(m, 2, n - 1) / m)
    "range_violation_rate": 0.01,
    # total-variation distance of category / level frequencies
    # (plus (1/2 sum_k sqrt(p_k (1 - p_k)) + sqrt(ln(1/alpha) / 2)) sqrt(1/n + 1/m))
    "tv_distance": 0.10,
    # share of synthetic values whose category never occurs in the real column
    # (plus floor(ln alpha / ln(m / (n + m))) / m)
    "unseen_category_rate": 0.0,
    # |null rate synthetic - null rate real| (plus z pooled binomial standard errors)
    "missing_rate_difference": 0.02,
    # dependence ------------------------------------------------------------
    # max |r_s - r_r| over pairs for Pearson / Spearman / Kendall
    # (plus z standard errors of the pair's difference)
    "corr_max_abs_diff": 0.15,
    # ||R_s - R_r||_F / ||R_r - I||_F (plus its 1 - alpha quantile under faithful sampling)
    "corr_relative_frobenius": 0.30,
    # max |V_s - V_r| of Cramer's V over categorical pairs
    # (plus sqrt(chi2_df(1 - alpha/2) / (k - 1)) (1/sqrt(n) + 1/sqrt(m)))
    "cramers_v_max_abs_diff": 0.15,
    # max total-variation distance of the two-way contingency tables (allowance as tv_distance)
    "contingency_tv_max": 0.15,
    # max |eta_s - eta_r| of the correlation ratio over categorical-numeric pairs
    # (plus sqrt(chi2_{k-1}(1 - alpha/2)) (1/sqrt(n) + 1/sqrt(m)))
    "correlation_ratio_max_abs_diff": 0.15,
    # SDMetrics-compatible Column Pair Trends score: informational (NaN); a number
    # set here becomes a floor the score must reach, with no sampling allowance
    "column_pair_trends": math.nan,
    # SDMetrics-compatible Column Shapes score: informational (NaN) unless set
    "column_shapes": math.nan,
    # rules (synthkit.validation.rules) -------------------------------------
    # |violation share synthetic - violation share reference| of a soft rule
    # (plus z pooled two-proportion standard errors)
    "soft_rule_rate_difference": 0.0,
    # privacy ---------------------------------------------------------------
    # share of synthetic rows that are exact copies of a real row above the
    # real table's own duplicate rate (plus z pooled binomial standard errors)
    "exact_copy_rate": 0.01,
    # share of synthetic rows closer to the training table than to the holdout
    # (plus z sqrt(1/4 (1/m + 1/k)), k rows of each indexed)
    "closer_to_train_share": 0.60,
    # share of synthetic rows nearer a real row than the 1st percentile of the
    # real-to-real nearest-neighbour distances (expected ~0.01; plus the excess of
    # the 1 - alpha quantile of its beta-binomial distribution over its mean)
    "dcr_below_p1_share": 0.03,
    # median DCR(synthetic->real) / median DCR(baseline->real) must be at least
    # (times the ratio's 1 - alpha lower bound under faithful sampling)
    "dcr_median_ratio": 0.50,
    # median NNDR(synthetic) / median NNDR(baseline) must be at least (same allowance)
    "nndr_median_ratio": 0.70,
    # attacks against training vs holdout rows (synthkit.validation.attacks), with a holdout:
    # excess risk (p_train - p_control) / (1 - p_control) of singling out, linkability and
    # inference; fails when its one-sided 1 - alpha lower bound exceeds this
    "attack_risk": 0.10,
    # membership inference by distance to the closest synthetic record: fails when the
    # one-sided 1 - alpha lower bound of the AUC exceeds this (0.5 = chance)
    "membership_auc": 0.60,
    # utility ---------------------------------------------------------------
    # TSTR score / TRTR score must be at least (minus z paired test-set standard errors)
    "tstr_trtr_ratio": 0.80,
    # clusters (read by synthkit.validation.clusters) ---------------------------
    # |empirical - exact| pairwise overlap (plus 3 binomial standard errors)
    "overlap_abs_diff": 0.05,
    # relative tolerance of the achieved max/min cluster size ratio
    "imbalance_rel_tol": 0.05,
    # relative tolerance of the achieved aspect ratios, radii and scale
    "shape_rel_tol": 1e-6,
    # relative slack on the requested overlap bounds
    "overlap_rel_tol": 1e-9,
}


def bonferroni_level(thr: Mapping[str, float], n_tests: int) -> float:
    """Level of one elementary test: ``false_fail_rate / n_tests`` (Bonferroni).

    Examples
    --------
    >>> bonferroni_level({"false_fail_rate": 0.05}, 50)
    0.001
    """
    return float(thr["false_fail_rate"]) / max(int(n_tests), 1)


def z_value(alpha: float, two_sided: bool = True) -> float:
    """Standard-normal quantile ``Phi^-1(1 - alpha/2)`` (two-sided) or ``Phi^-1(1 - alpha)``.

    Examples
    --------
    >>> round(z_value(0.05), 4), round(z_value(0.05, two_sided=False), 4)
    (1.96, 1.6449)
    """
    return float(special.ndtri(1 - (alpha / 2 if two_sided else alpha)))


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
        if key == "false_fail_rate" and not 0 < f < 1:
            raise SpecError(f"threshold `false_fail_rate` must be in (0, 1), got {val!r}")
        out[str(key)] = f
    return out


def format_number(v) -> str:
    """Numbers in report tables: 4 decimals, scientific below 1e-3 or from 1e5; "" for None.

    Examples
    --------
    >>> format_number(0.5), format_number(2e-5), format_number(None)
    ('0.5000', '2.000e-05', '')
    """
    if v is None:
        return ""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        return f"{v:.3e}"
    return f"{v:.4f}"


#: Statistics that pass at or above their threshold; every other check passes at or below it.
AT_LEAST = frozenset({"dcr_median_ratio", "nndr_median_ratio", "tstr_trtr_ratio",
                      "column_shapes_score", "column_pair_trends_score"})


def format_threshold(statistic: str, threshold, *, ascii: bool = False) -> str:
    """A threshold with the side a passing value lies on: ``"≤ 0.1610"`` or ``"≥ 0.4600"``.

    Examples
    --------
    >>> format_threshold("ks_distance", 0.161), format_threshold("dcr_median_ratio", 0.46, ascii=True)
    ('≤ 0.1610', '>= 0.4600')
    >>> format_threshold("ks_distance", None)
    ''
    """
    if threshold is None:
        return ""
    side = statistic in AT_LEAST
    mark = (">=" if side else "<=") if ascii else ("≥" if side else "≤")
    return f"{mark} {format_number(threshold)}"
