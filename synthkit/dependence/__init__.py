"""Dependence toolkit: correlation estimation, repair, Cholesky, Iman–Conover, NORTA, copulas.

Pure numpy / scipy / statsmodels functions on arrays (no strategy imports):

* :mod:`.correlation` — Pearson / Spearman / Kendall / normal-scores estimation
  (distributional transform for ties) and the Gaussian-copula conversions
  ``rho_s = 6/pi asin(rho/2)``, ``tau = 2/pi asin(rho)``.
* :mod:`.checks` — validate a declared matrix (square, symmetric, unit diagonal, [-1, 1]).
* :mod:`.repair` — Higham (2002) nearest correlation matrix, with a per-entry report.
* :mod:`.cholesky` — correlate normal draws, exactly (whitened) or not.
* :mod:`.iman_conover` — Iman & Conover (1982) rank reordering (exact variant).
* :mod:`.norta` — Cario & Nelson (1997) latent correlation for a Pearson target, Fréchet bounds.
* :mod:`.copula` — Gaussian, Student-t (df by ML) and vine copulas; conditional normal sampling.
* :mod:`.latent` — pairwise ML latent correlation for discrete / mixed columns.
* :mod:`.tabular` — glue between column models and the above.
* :mod:`.hierarchy` — columns determined by another (code -> group), detected and kept exactly.
* :mod:`.level_order` — a data-driven latent order of nominal levels (correspondence analysis).
"""

from .checks import check_correlation_matrix, is_positive_definite, min_eigenvalue
from .cholesky import cholesky_factor, correlate, whiten
from .copula import (
    fit_gaussian_copula,
    fit_t_copula,
    fit_vine,
    sample_conditional_normal,
    sample_conditional_rows,
    sample_gaussian_copula,
    sample_t_copula,
    sample_vine,
    t_copula_loglik,
    truncated_normal,
)
from .correlation import (
    CORRELATION_METHODS,
    convert_correlation,
    correlation,
    kendall_to_pearson,
    normal_scores,
    pearson_to_kendall,
    pearson_to_spearman,
    pseudo_observations,
    spearman_to_pearson,
)
from .iman_conover import iman_conover, iman_conover_ranks, score_correlation
from .latent import bvn_cdf, pairwise_latent_correlation
from .norta import NortaResult, attainable_range, norta_correlation, norta_pair
from .repair import RepairReport, nearest_correlation

__all__ = [
    "CORRELATION_METHODS",
    "correlation",
    "pseudo_observations",
    "normal_scores",
    "convert_correlation",
    "pearson_to_spearman",
    "spearman_to_pearson",
    "pearson_to_kendall",
    "kendall_to_pearson",
    "check_correlation_matrix",
    "is_positive_definite",
    "min_eigenvalue",
    "RepairReport",
    "nearest_correlation",
    "cholesky_factor",
    "correlate",
    "whiten",
    "iman_conover",
    "iman_conover_ranks",
    "score_correlation",
    "NortaResult",
    "norta_correlation",
    "norta_pair",
    "attainable_range",
    "fit_gaussian_copula",
    "sample_gaussian_copula",
    "fit_t_copula",
    "sample_t_copula",
    "t_copula_loglik",
    "fit_vine",
    "sample_vine",
    "truncated_normal",
    "sample_conditional_normal",
    "sample_conditional_rows",
    "bvn_cdf",
    "pairwise_latent_correlation",
]
