"""Archetypes fitted to a real labelled dataset.

:func:`fit_archetype` measures, on a labelled table ``(X, labels)``, every quantity an
:class:`~synthkit.clusters.archetype.Archetype` controls (the method and formulas are in
:mod:`synthkit.clusters.estimate`) and returns them with the archetype that reproduces them
(:class:`ArchetypeFit`); :func:`archetype_from_data` returns only the archetype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .archetype import Archetype
from .distributions import ClusterDistribution
from .estimate import estimate_archetype

__all__ = ["ArchetypeFit", "archetype_from_data", "fit_archetype"]


@dataclass
class ArchetypeFit:
    """What :func:`fit_archetype` measured on a labelled dataset, and the archetype.

    Attributes
    ----------
    archetype : Archetype
        The archetype reproducing the measured quantities (clamped as documented in
        :mod:`synthkit.clusters.estimate`).
    clusters : DataFrame
        One row per cluster (index: the label): ``size``, ``share``, ``radius``,
        ``aspect``, ``family``, ``skewness`` and ``excess_kurtosis`` of the pooled
        coordinates the family was chosen on, ``nn_overlap`` (largest exact overlap with another cluster).
    overlap : DataFrame
        (k, k) exact linear minimax overlap of the estimated means and covariances.
    empirical_overlap : DataFrame
        (k, k) overlap measured on the points (twice the minimax error of the fitted rule).
    means : ndarray (k, p)
    covariances : ndarray (k, p, p)
    overlap_summary : dict
        Unclamped ``min_nn``, ``max`` and ``mean`` of the exact and empirical overlaps, and
        ``near_max``, the share of pairs at ``max / 10`` or more (``max`` at least
        :data:`~synthkit.clusters.estimate.OVERLAP_FLOOR`; it sets ``packing``).
    family_distances : DataFrame
        KS distance of each cluster's coordinates to each family (only ``normal`` for the
        clusters kept normal).
    """

    archetype: Any
    clusters: pd.DataFrame
    overlap: pd.DataFrame
    empirical_overlap: pd.DataFrame
    means: np.ndarray
    covariances: np.ndarray
    overlap_summary: dict
    family_distances: pd.DataFrame

    def summary(self) -> str:
        """A text table: the archetype's parameters, then the per-cluster estimates."""
        a = self.archetype
        rows = [("n_samples", a.n_samples), ("n_clusters", a.n_clusters), ("dim", a.dim),
                ("imbalance_ratio", a.imbalance_ratio), ("scale", a.scale),
                ("radius_maxmin", a.radius_maxmin), ("aspect_ref", a.aspect_ref),
                ("aspect_maxmin", a.aspect_maxmin), ("min_overlap", a.min_overlap),
                ("max_overlap", a.max_overlap), ("avg_overlap", a.avg_overlap),
                ("packing", a.packing),
                ("distributions", ", ".join(ClusterDistribution(**d).label()
                                            for d in a.distributions))]
        width = max(len(r[0]) for r in rows)
        head = "\n".join(f"{name:<{width}}  {value:.6g}" if isinstance(value, float)
                         else f"{name:<{width}}  {value}" for name, value in rows)
        return (f"Archetype fitted to {a.n_samples} labelled points ({a.name})\n{head}\n\n"
                f"{self.clusters.to_string(float_format=lambda v: f'{v:.4g}')}")

    def __repr__(self) -> str:
        a = self.archetype
        return f"ArchetypeFit(k={a.n_clusters}, p={a.dim}, n={a.n_samples})"


def fit_archetype(X: Any, labels: Any = None, *, name: str | None = None, family_alpha: float = 0.01,
                  **overrides: Any) -> ArchetypeFit:
    """Estimate an archetype and the per-cluster quantities behind it from labelled points.

    Parameters
    ----------
    X : array_like (n, p) or DataFrame
        Numeric features (no missing or infinite values).
    labels : array_like (n,)
        Any hashable cluster labels; at least two distinct, each with ``>= p + 1`` points.
        Omitted when ``X`` is a labelled dataset (:class:`~synthkit.clusters.estimate.LabelledData`,
        a :class:`~synthkit.clusters.archetype.ClusterDataset`: anything with ``X`` and ``labels``).
    name : str, optional
        Name of the archetype (default ``"fitted to k clusters in p dimensions"``).
    family_alpha : float
        Level of the KS test that must reject ``normal`` before another family is chosen.
    **overrides
        Archetype parameters set directly instead of estimated (e.g. ``n_samples=5000``,
        ``distributions=["normal"]``).

    Returns
    -------
    ArchetypeFit

    Raises
    ------
    DataError
        Labels not one per row, one cluster, a cluster with fewer than ``p + 1`` points or
        degenerate, missing or infinite values, non-numeric columns, no columns.
    SpecError
        Unknown override names, ``family_alpha`` outside (0, 1).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> iris = load_iris()
    >>> fit = fit_archetype(iris.data, iris.target)
    >>> fit.archetype.n_clusters, fit.archetype.dim, round(fit.archetype.max_overlap, 3)
    (3, 4, 0.059)
    """
    Archetype._check_names(overrides)
    params, est = estimate_archetype(X, labels, name=name, family_alpha=family_alpha)
    params.update(overrides)
    return ArchetypeFit(archetype=Archetype(**params), **est)


def archetype_from_data(X: Any, labels: Any = None, *, name: str | None = None, **overrides: Any):
    """The archetype of :func:`fit_archetype` (``fit_archetype(X, labels, ...).archetype``).

    The same archetype as ``Archetype.from_data(X, labels, **overrides)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> iris = load_iris()
    >>> arch = archetype_from_data(iris.data, iris.target, n_samples=300)
    >>> arch.sample(seed=0).X.shape
    (300, 4)
    """
    return fit_archetype(X, labels, name=name, **overrides).archetype
