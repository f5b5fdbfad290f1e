"""Validation: how close, how useful and how private a synthetic table is.

One entry point, :func:`validate`, returns a :class:`ValidationReport` (rows of
:class:`Check`, per-section scores, ``summary()``, ``describe()``, ``to_json()``
and a self-contained ``to_html()``). The sections live in their own modules:

========================  ==========================================================
``marginals``             per-column distances (KS, Wasserstein, moments, TV, ...)
``dependence``            Pearson / Spearman / Kendall, Cramér's V, correlation ratio
``sdmetrics_scores``      SDMetrics-compatible Column Shapes and Column Pair Trends
``privacy``               exact copies, DCR, NNDR, closer-to-train share
``attacks``               singling out, linkability, inference, membership (with a holdout)
``utility``               TSTR vs TRTR with scikit-learn
``clusters``              archetype checks (cluster datasets)
========================  ==========================================================

This package imports no strategy and no cluster sampler: references are
recognised by duck typing (see :func:`synthkit.validation.validate.reference_kind`).
"""

from .attacks import (
    AttackResult,
    attack_report,
    inference_risk,
    linkability_risk,
    membership_risk,
    singling_out_risk,
)
from .checks import DEFAULT_THRESHOLDS, Check, resolve_thresholds
from .report import ValidationReport
from .validate import reference_kind, validate

__all__ = [
    "validate",
    "ValidationReport",
    "Check",
    "DEFAULT_THRESHOLDS",
    "resolve_thresholds",
    "reference_kind",
    "AttackResult",
    "singling_out_risk",
    "linkability_risk",
    "inference_risk",
    "membership_risk",
    "attack_report",
]
