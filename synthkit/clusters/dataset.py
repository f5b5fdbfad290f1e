"""``ClusterDataset``: labelled points, the mixture they came from and their overlap certificate.

The class lives in :mod:`synthkit.clusters.archetype` beside the archetype it is drawn
from and loaded with (a dataset file records its archetype); it is re-exported here.
"""

from __future__ import annotations

from .archetype import DATASET_FORMAT, ClusterDataset

__all__ = ["ClusterDataset", "DATASET_FORMAT"]
