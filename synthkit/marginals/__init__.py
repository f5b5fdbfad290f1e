"""Univariate marginals: parametric, empirical/KDE, discrete and categorical."""

from .base import Marginal, marginal_from_dict, register_marginal
from .discrete import CategoricalMarginal, DiscreteMarginal
from .empirical import EmpiricalMarginal
from .parametric import ParametricMarginal, scipy_family
from .quantile_table import QuantileTable
from .selection import FitReport, fit_categorical, fit_continuous, fit_discrete

__all__ = [
    "Marginal",
    "marginal_from_dict",
    "register_marginal",
    "ParametricMarginal",
    "EmpiricalMarginal",
    "DiscreteMarginal",
    "CategoricalMarginal",
    "QuantileTable",
    "FitReport",
    "fit_continuous",
    "fit_discrete",
    "fit_categorical",
    "scipy_family",
]
