"""Overlap between clusters: re-exports :mod:`synthkit.clusters.overlap` and :mod:`synthkit.clusters.bayes`.

The computations live in :mod:`synthkit.clusters.overlap` (the linear minimax overlap)
and :mod:`synthkit.clusters.bayes` (the Bayes overlap of the optimal quadratic rule);
this module keeps ``import synthkit.overlap`` and ``from synthkit.overlap import ...`` working.
"""

from __future__ import annotations

from .clusters import overlap as _impl
from .clusters.bayes import bayes_overlap, bayes_overlap_matrix
from .clusters.overlap import *  # noqa: F403
from .clusters.overlap import __all__ as _linear_all

__all__ = [*_linear_all, "bayes_overlap", "bayes_overlap_matrix"]


def __getattr__(name: str):
    return getattr(_impl, name)
