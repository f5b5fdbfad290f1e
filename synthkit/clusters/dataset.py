"""``ClusterDataset``: labelled points, the mixture they came from and their overlap certificate."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import ModelFileError
from ..io import read_json, read_table, write_json, write_table
from ..overlap import empirical_overlap_matrix
from .mixture import MixtureModel

__all__ = ["ClusterDataset", "DATASET_FORMAT"]

DATASET_FORMAT = "synthkit-cluster-dataset"


@dataclass
class ClusterDataset:
    """A labelled cluster benchmark dataset with its certificate.

    Attributes
    ----------
    X : ndarray (n, p)
        The points, rows shuffled.
    labels : ndarray (n,) of int
        Cluster of each row, ``0..k-1``.
    mixture : MixtureModel
        Centers, factors/covariances, distribution per cluster and sizes.
    archetype : Archetype or None
        The archetype the dataset was drawn from.
    placement : dict
        The center-placement certificate (``certified``, ``max_overlap``,
        ``min_nn_overlap``, violations, restarts, seconds, message).
    provenance : dict
        Seed record, synthkit version, archetype name.
    nonconvex : dict or None
        Transformation applied after sampling (``kind``, parameters) and the
        overlap re-measured on the transformed points (``empirical_overlap``,
        ``knn_error``).

    ``frame`` has the features ``x0..x{p-1}`` and an integer ``label`` column.
    ``achieved_overlap`` is the (k, k) overlap of the mixture: exact for normal
    clusters, the certified best-linear overlap (a Monte Carlo estimate, standard
    error bound in ``placement["overlap_se"]``) when a cluster is not normal; it is
    computed on first access (a few seconds for k = 100, p = 100) and cached.

    Examples
    --------
    >>> import synthkit
    >>> ds = synthkit.Archetype(n_clusters=3, dim=2, n_samples=90).sample(seed=1)
    >>> ds.X.shape, ds.frame.columns.tolist()
    ((90, 2), ['x0', 'x1', 'label'])
    """

    X: np.ndarray
    labels: np.ndarray
    mixture: MixtureModel
    archetype: Any = None
    placement: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    nonconvex: dict | None = None
    _achieved: np.ndarray | None = field(default=None, repr=False, compare=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _empirical: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_clusters(self) -> int:
        return self.mixture.k

    @property
    def feature_names(self) -> list[str]:
        return [f"x{i}" for i in range(self.X.shape[1])]

    @property
    def frame(self) -> pd.DataFrame:
        """Features ``x0..x{p-1}`` plus the integer ``label`` column."""
        if self._frame is None:
            f = pd.DataFrame(self.X, columns=self.feature_names)
            f["label"] = self.labels.astype(np.int64)
            self._frame = f
        return self._frame

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    @property
    def achieved_overlap(self) -> np.ndarray:
        """Pairwise overlap (k, k) of the mixture: exact, or certified best-linear when a
        cluster is not normal (see :meth:`MixtureModel.overlap`)."""
        if self._achieved is None:
            self._achieved = self.mixture.overlap("exact")
        return self._achieved

    @property
    def max_overlap(self) -> float:
        """Largest achieved pairwise overlap."""
        ov = self.achieved_overlap
        return float(ov.max()) if ov.size > 1 else 0.0

    @property
    def min_nn_overlap(self) -> float:
        """Smallest nearest-neighbour overlap over clusters."""
        ov = self.achieved_overlap
        return float(ov.max(axis=1).min()) if ov.shape[0] > 1 else 1.0

    def empirical_overlap(self, direction: str | None = None) -> np.ndarray:
        """Overlap measured on the points (see :func:`synthkit.overlap.empirical_overlap_matrix`).

        ``direction`` defaults to the counterpart of :attr:`achieved_overlap`: ``"exact"``
        (the minimax direction of the class moments) when every cluster is normal,
        ``"best"`` (that direction refined on the points) otherwise. Cached per
        ``direction`` (the points do not change).
        """
        if direction is None:
            direction = "exact" if self.mixture.all_normal else "best"
        if direction not in self._empirical:
            self._empirical[direction] = empirical_overlap_matrix(self.X, self.labels,
                                                                  direction=direction)
        return self._empirical[direction]

    def summary(self) -> dict:
        """Small dict for tables: sizes, certificate, achieved extremes."""
        out = {
            "n": len(self),
            "k": self.n_clusters,
            "p": int(self.X.shape[1]),
            "certified": bool(self.placement.get("certified", False)),
            "max_overlap": self.max_overlap,
            "min_nn_overlap": self.min_nn_overlap,
            "seconds": float(self.placement.get("seconds", float("nan"))),
        }
        if self.nonconvex:
            emp = np.asarray(self.nonconvex.get("empirical_overlap", np.zeros((1, 1))))
            out["transform"] = self.nonconvex.get("kind")
            out["max_overlap_after_transform"] = float(np.nanmax(emp)) if emp.size else 0.0
            out["knn_error_after_transform"] = float(self.nonconvex.get("knn_error", np.nan))
        return out

    # ---------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``frame`` (CSV or Parquet by suffix) and ``<path>.meta.json``, atomically.

        The metadata holds the mixture model, the archetype, the certificate, the
        achieved overlap matrix and the provenance (format
        ``synthkit-cluster-dataset``, version 1).
        """
        path = Path(path)
        write_table(self.frame, path)
        write_json(
            path.with_name(path.name + ".meta.json"),
            {
                "format": DATASET_FORMAT,
                "format_version": 1,
                "synthkit_version": __version__,
                "mixture": self.mixture.to_dict(),
                "archetype": None if self.archetype is None else self.archetype.to_dict(),
                "placement": self.placement,
                "achieved_overlap": self.achieved_overlap.tolist(),
                "provenance": self.provenance,
                "nonconvex": self.nonconvex,
            },
        )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> ClusterDataset:
        """Read a dataset written by :meth:`save`."""
        path = Path(path)
        meta = read_json(path.with_name(path.name + ".meta.json"),
                         expected_format=DATASET_FORMAT, supported_versions=(1,))
        frame = read_table(path)
        if "label" not in frame.columns:
            raise ModelFileError(f"{str(path)!r} has no `label` column")
        feats = [c for c in frame.columns if c != "label"]
        mixture = MixtureModel.from_dict(meta["mixture"])
        arch = None
        if meta.get("archetype") is not None:
            from .archetype import Archetype

            arch = Archetype.from_dict(meta["archetype"])
        nonconvex = meta.get("nonconvex")
        if nonconvex and "empirical_overlap" in nonconvex:
            nonconvex["empirical_overlap"] = np.asarray(nonconvex["empirical_overlap"], float)
        return cls(
            X=frame[feats].to_numpy(dtype=float),
            labels=frame["label"].to_numpy(dtype=np.int64),
            mixture=mixture,
            archetype=arch,
            placement=meta.get("placement") or {},
            provenance=meta.get("provenance") or {},
            nonconvex=nonconvex,
            _achieved=np.asarray(meta["achieved_overlap"], dtype=float),
        )
