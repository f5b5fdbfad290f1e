"""Cluster benchmark datasets with certified overlap (archetypes, mixtures, samplers).

Start with :class:`Archetype`: ``Archetype(...).sample(n=None, seed=None)`` or
``Archetype.from_description("ten oblong clusters in 50 dimensions")``.
"""

from .archetype import ARCHETYPE_FORMAT, Archetype
from .centers import PlacementResult, place_centers
from .covariances import CovarianceSampler
from .dataset import ClusterDataset
from .describe import parse_description
from .distributions import ClusterDistribution, parse_distribution
from .mixture import MixtureModel
from .sizes import group_sizes

__all__ = [
    "ARCHETYPE_FORMAT",
    "Archetype",
    "ClusterDataset",
    "ClusterDistribution",
    "CovarianceSampler",
    "MixtureModel",
    "PlacementResult",
    "group_sizes",
    "parse_description",
    "parse_distribution",
    "place_centers",
]
