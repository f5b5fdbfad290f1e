"""synthkit: statistical data synthesis.

Fit marginals and dependence on a real table, or declare them; sample typed
synthetic tables of any size, reproducibly; draw labelled cluster benchmarks
with certified overlap; validate synthetic against real data.

``import synthkit`` is cheap: the public names below are imported on first use
(PEP 562 module ``__getattr__``), so pandas, scipy, scikit-learn, statsmodels,
matplotlib and pyvinecopulib load only when a feature needs them.

Examples
--------
>>> import synthkit
>>> from sklearn.datasets import load_wine
>>> m = synthkit.fit(load_wine(as_frame=True).frame, strategy="montecarlo")
>>> ds = m.sample(20_000, seed=1)
>>> ds.frame.shape
(20000, 14)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    DataError,
    FitError,
    ModelFileError,
    NotFittedError,
    OverlapError,
    RecipeError,
    RuleError,
    SpecError,
    SynthkitError,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import dependence, overlap
    from .api import declare, fit, load
    from .clusters import (
        Archetype,
        ClusterDataset,
        ClusterDistribution,
        LabelledData,
        MixtureModel,
        fit_archetype,
    )
    from .columns import ColumnModel
    from .dataset import SyntheticDataset
    from .dependence import nearest_correlation, norta_correlation
    from .imputation import impute, pool
    from .marginals import (
        CategoricalMarginal,
        DiscreteMarginal,
        EmpiricalMarginal,
        Marginal,
        ParametricMarginal,
    )
    from .overlap import empirical_overlap_matrix, overlap_matrix, pairwise_overlap
    from .oversampling import oversample
    from .privacy import PrivacyPolicy, detect_roles
    from .release import AnonymizationResult, anonymize
    from .schema import Column, Schema, infer_schema
    from .seeding import as_generator
    from .stitching import stitch
    from .strategies import Strategy, available_strategies, get_strategy, register_strategy
    from .strategies.cart import Cart
    from .strategies.cholesky import Cholesky
    from .strategies.gaussian_copula import GaussianCopula
    from .strategies.gmm import GMM
    from .strategies.iman_conover import ImanConover
    from .strategies.montecarlo import MonteCarlo
    from .strategies.stratify import Stratified
    from .strategies.t_copula import TCopula
    from .strategies.vine import Vine
    from .structured import low_rank_matrix, low_rank_tensor, validate_structure
    from .validation import Check, ValidationReport, validate

# public name -> module defining it (relative to this package)
_LAZY: dict[str, str] = {
    "fit": ".api",
    "declare": ".api",
    "load": ".api",
    "ColumnModel": ".columns",
    "SyntheticDataset": ".dataset",
    "Marginal": ".marginals",
    "ParametricMarginal": ".marginals",
    "EmpiricalMarginal": ".marginals",
    "DiscreteMarginal": ".marginals",
    "CategoricalMarginal": ".marginals",
    "Column": ".schema",
    "Schema": ".schema",
    "infer_schema": ".schema",
    "as_generator": ".seeding",
    "Strategy": ".strategies",
    "available_strategies": ".strategies",
    "get_strategy": ".strategies",
    "register_strategy": ".strategies",
    "MonteCarlo": ".strategies.montecarlo",
    "nearest_correlation": ".dependence",
    "norta_correlation": ".dependence",
    "Cart": ".strategies.cart",
    "Cholesky": ".strategies.cholesky",
    "GMM": ".strategies.gmm",
    "Stratified": ".strategies.stratify",
    "GaussianCopula": ".strategies.gaussian_copula",
    "ImanConover": ".strategies.iman_conover",
    "TCopula": ".strategies.t_copula",
    "Vine": ".strategies.vine",
    "validate": ".validation",
    "impute": ".imputation",
    "pool": ".imputation",
    "stitch": ".stitching",
    "low_rank_matrix": ".structured",
    "low_rank_tensor": ".structured",
    "validate_structure": ".structured",
    "anonymize": ".release",
    "oversample": ".oversampling",
    "AnonymizationResult": ".release",
    "detect_roles": ".privacy",
    "PrivacyPolicy": ".privacy",
    "ValidationReport": ".validation",
    "Check": ".validation",
    "Archetype": ".clusters",
    "ClusterDataset": ".clusters",
    "ClusterDistribution": ".clusters",
    "MixtureModel": ".clusters",
    "LabelledData": ".clusters",
    "fit_archetype": ".clusters",
    "overlap_matrix": ".overlap",
    "pairwise_overlap": ".overlap",
    "empirical_overlap_matrix": ".overlap",
}

# subpackages and modules reachable as attributes after a bare ``import synthkit``
_SUBMODULES = frozenset({
    "api", "cli", "clusters", "columns", "dataset", "datasets", "dependence", "imputation", "interop",
    "io", "marginals", "overlap", "oversampling", "privacy", "recipes", "release", "rules", "schema",
    "seeding", "spec", "stitching", "strategies", "structured", "testing", "validation",
})

__all__ = [
    "__version__",
    "SynthkitError", "SpecError", "DataError", "FitError", "NotFittedError", "ModelFileError",
    "RecipeError", "RuleError", "OverlapError",
    "fit", "declare", "load",
    "ColumnModel", "SyntheticDataset",
    "Marginal", "ParametricMarginal", "EmpiricalMarginal", "DiscreteMarginal", "CategoricalMarginal",
    "Column", "Schema", "infer_schema", "as_generator",
    "Strategy", "MonteCarlo", "available_strategies", "get_strategy", "register_strategy",
    "dependence", "nearest_correlation", "norta_correlation",
    "Cholesky", "GaussianCopula", "ImanConover", "TCopula", "Vine", "GMM", "Cart", "Stratified",
    "validate", "ValidationReport", "Check",
    "stitch",
    "impute", "pool",
    "oversample",
    "anonymize", "AnonymizationResult", "detect_roles", "PrivacyPolicy",
    "Archetype", "ClusterDataset", "ClusterDistribution", "MixtureModel", "LabelledData",
    "fit_archetype",
    "low_rank_matrix", "low_rank_tensor", "validate_structure", "structured",
    "overlap", "overlap_matrix", "pairwise_overlap", "empirical_overlap_matrix",
]


def __getattr__(name: str) -> Any:
    """Import a public name or submodule on first access (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
