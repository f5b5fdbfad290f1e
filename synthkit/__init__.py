"""synthkit: statistical data synthesis.

Fit marginals and dependence on a real table, or declare them; sample typed
synthetic tables of any size, reproducibly; draw labelled cluster benchmarks
with certified overlap; validate synthetic against real data.

Examples
--------
>>> import synthkit
>>> from sklearn.datasets import load_wine
>>> m = synthkit.fit(load_wine(as_frame=True).frame, strategy="montecarlo")
>>> ds = m.sample(20_000, seed=1)
>>> ds.frame.shape
(20000, 14)
"""

from ._version import __version__
from .api import declare, fit, load
from .columns import ColumnModel
from .dataset import SyntheticDataset
from .errors import (
    DataError,
    FitError,
    ModelFileError,
    OverlapError,
    RecipeError,
    RuleError,
    SpecError,
    SynthkitError,
)
from .marginals import (
    CategoricalMarginal,
    DiscreteMarginal,
    EmpiricalMarginal,
    Marginal,
    ParametricMarginal,
)
from .schema import Column, Schema, infer_schema
from .seeding import as_generator
from .strategies import Strategy, available_strategies, get_strategy, register_strategy
from .strategies.montecarlo import MonteCarlo

__all__ = [
    "__version__",
    "fit",
    "declare",
    "load",
    "ColumnModel",
    "SyntheticDataset",
    "SynthkitError",
    "SpecError",
    "DataError",
    "FitError",
    "ModelFileError",
    "RecipeError",
    "RuleError",
    "OverlapError",
    "Marginal",
    "ParametricMarginal",
    "EmpiricalMarginal",
    "DiscreteMarginal",
    "CategoricalMarginal",
    "Column",
    "Schema",
    "infer_schema",
    "as_generator",
    "Strategy",
    "MonteCarlo",
    "available_strategies",
    "get_strategy",
    "register_strategy",
]

# --- correlated (issue 3) ---
from . import dependence  # noqa: E402
from .dependence import nearest_correlation, norta_correlation  # noqa: E402
from .strategies.cholesky import Cholesky  # noqa: E402
from .strategies.gaussian_copula import GaussianCopula  # noqa: E402
from .strategies.iman_conover import ImanConover  # noqa: E402
from .strategies.t_copula import TCopula  # noqa: E402
from .strategies.vine import Vine  # noqa: E402

__all__ += [
    "dependence",
    "nearest_correlation",
    "norta_correlation",
    "Cholesky",
    "GaussianCopula",
    "ImanConover",
    "TCopula",
    "Vine",
]

# --- validation (issue 4) ---
from .validation import Check, ValidationReport, validate  # noqa: E402

__all__ += ["validate", "ValidationReport", "Check"]

# --- clusters (issue 5) ---
from . import overlap  # noqa: E402
from .clusters import Archetype, ClusterDataset, ClusterDistribution, MixtureModel  # noqa: E402
from .overlap import empirical_overlap_matrix, overlap_matrix, pairwise_overlap  # noqa: E402

__all__ += [
    "Archetype",
    "ClusterDataset",
    "ClusterDistribution",
    "MixtureModel",
    "overlap",
    "overlap_matrix",
    "pairwise_overlap",
    "empirical_overlap_matrix",
]
# --- end clusters (issue 5) ---
