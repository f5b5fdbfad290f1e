"""Cluster benchmark datasets with certified overlap (archetypes, mixtures, samplers).

Start with :class:`Archetype`: ``Archetype(...).sample(n=None, seed=None)`` or
``Archetype.from_description("ten oblong clusters in 50 dimensions")``.

The names below load their module on first use, so importing one submodule (e.g.
:mod:`synthkit.clusters.overlap`, which validation uses) does not load the samplers.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ARCHETYPE_FORMAT": "archetype",
    "Archetype": "archetype",
    "ArchetypeFit": "from_data",
    "LabelledData": "estimate",
    "archetype_from_data": "from_data",
    "fit_archetype": "from_data",
    "ClusterDataset": "archetype",
    "ClusterDistribution": "distributions",
    "CovarianceSampler": "covariances",
    "MixtureModel": "mixture",
    "PlacementResult": "centers",
    "group_sizes": "sizes",
    "parse_description": "describe",
    "parse_distribution": "distributions",
    "place_centers": "centers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
