"""Overlap between clusters: re-exports :mod:`synthkit.clusters.overlap`.

The computations live in :mod:`synthkit.clusters.overlap`; this module keeps
``import synthkit.overlap`` and ``from synthkit.overlap import ...`` working.
"""

from __future__ import annotations

from .clusters import overlap as _impl
from .clusters.overlap import *  # noqa: F403
from .clusters.overlap import __all__  # noqa: F401


def __getattr__(name: str):
    return getattr(_impl, name)
