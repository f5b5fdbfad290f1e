"""``Archetype``: a distribution over labelled cluster datasets with certified overlap.

An archetype fixes the *kind* of dataset (number of clusters, dimension,
shapes, sizes, families, how much clusters may overlap); every call of
:meth:`Archetype.sample` draws a new mixture from it (shapes, sizes, families,
centers) and then the points, so datasets are similar but different. One seed
controls everything: the seed's sequence is split into fixed child streams
(:func:`synthkit.seeding.child_seed`: 0 shapes, 1 sizes, 2 family assignment,
3 calibration reference draws, 4 centers, 5 points, 6 non-convex transform, 7 the
subsample of its re-measurement).

Pluggable parts (each documents its method): :class:`~synthkit.clusters.covariances.CovarianceSampler`,
:func:`~synthkit.clusters.sizes.group_sizes`, :func:`~synthkit.clusters.centers.place_centers`,
:mod:`~synthkit.clusters.distributions`, :mod:`~synthkit.clusters.nonconvex`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import InitVar, dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._deprecation import sample_args, warn_renamed
from .._resources import check_memory
from .._threads import limit_threads
from .._version import __version__
from ..errors import ModelFileError, SpecError
from ..io import read_json, read_table, write_json, write_table
from ..seeding import SeedLike, as_seed_sequence, child_generator, child_seed, seed_to_json
from .centers import check_packing, place_centers
from .covariances import CovarianceSampler
from .distributions import ClusterDistribution, parse_distribution
from .mixture import DEFAULT_N_REFERENCE, MixtureModel
from .nonconvex import NONCONVEX_KINDS, distort, remeasure, wrap_sphere
from .overlap import empirical_overlap_matrix
from .overlap_control import check_overlap_targets
from .sizes import group_sizes, largest_remainder

__all__ = ["Archetype", "ARCHETYPE_FORMAT", "ClusterDataset", "DATASET_FORMAT"]

ARCHETYPE_FORMAT = "synthkit-archetype"
DATASET_FORMAT = "synthkit-cluster-dataset"
#: Largest count (clusters, dimensions, points, restarts) an archetype accepts.
MAX_COUNT = 2**53
#: Largest ratio of a cluster's longest to shortest axis, ``aspect_ref x aspect_maxmin``
#: (a covariance's condition number is its square).
MAX_ASPECT = 1e4
#: Largest ``radius_maxmin`` and ``imbalance_ratio``.
MAX_RATIO = 1e6


def _finite(v: Real) -> bool:
    """Whether ``v`` is a finite float (an integer beyond a float's range is not)."""
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _shown(v: Any) -> str:
    """``v`` for an error message; an integer too long to print is shown by its size."""
    if isinstance(v, Integral) and not isinstance(v, bool) and abs(v) >= 10**15:
        return f"{float(v):g}" if abs(v) < 10**300 else "an integer of more than 300 digits"
    return repr(v)


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
        cluster is not normal (see :meth:`MixtureModel.overlap`); the exact Bayes overlap
        (:func:`~synthkit.clusters.bayes.bayes_overlap_matrix`) when the archetype's
        ``overlap`` is ``"bayes"``."""
        if self._achieved is None:
            if getattr(self.archetype, "overlap", "linear") == "bayes":
                from .bayes import bayes_overlap_matrix

                self._achieved = bayes_overlap_matrix(self.mixture.centers, self.mixture.covariances)
            else:
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
        """Overlap measured on the points (see :func:`synthkit.clusters.overlap.empirical_overlap_matrix`).

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
    def save(self, path: str | os.PathLike, *, parents: bool = False) -> Path:
        """Write ``frame`` (CSV or Parquet by suffix) and ``<path>.meta.json``, atomically
        (``parents=True`` creates a missing folder first).

        The metadata holds the mixture model, the archetype, the certificate, the
        achieved overlap matrix and the provenance (format
        ``synthkit-cluster-dataset``, version 1).
        """
        path = Path(path)
        write_table(self.frame, path, parents=parents)
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
        where = f"{str(path)!r} or its metadata"
        try:
            mixture = MixtureModel.from_dict(meta["mixture"])
            arch = None if meta.get("archetype") is None else Archetype.from_dict(meta["archetype"])
            nonconvex = meta.get("nonconvex")
            if nonconvex is not None and not isinstance(nonconvex, dict):
                raise TypeError(f"`nonconvex` must be a mapping or null, got {type(nonconvex).__name__}")
            if nonconvex and "empirical_overlap" in nonconvex:
                nonconvex["empirical_overlap"] = np.asarray(nonconvex["empirical_overlap"], float)
            achieved = np.asarray(meta["achieved_overlap"], dtype=float)
            k = len(mixture.centers)
            if achieved.shape != (k, k):
                raise ValueError(f"`achieved_overlap` must be {k} x {k}, got shape {achieved.shape}")
            X = frame[feats].to_numpy(dtype=float)
            labels = frame["label"].to_numpy(dtype=np.int64)
        except KeyError as exc:
            raise ModelFileError(f"{where}: missing {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{where}: {exc}") from None
        return cls(
            X=X,
            labels=labels,
            mixture=mixture,
            archetype=arch,
            placement=meta.get("placement") or {},
            provenance=meta.get("provenance") or {},
            nonconvex=nonconvex,
            _achieved=achieved,
        )


@dataclass
class Archetype:
    """Describe a family of labelled cluster datasets and draw from it.

    Parameters
    ----------
    n_clusters : int
        Number of clusters ``k >= 1``.
    dim : int
        Dimension ``p >= 1``.
    n_samples : int
        Points per dataset (``>= n_clusters``).
    aspect_ref : float
        Geometric mean of the clusters' aspect ratios (longest / shortest axis), ``>= 1``.
    aspect_maxmin : float
        Largest aspect ratio divided by the smallest, exactly (``>= 1``).
    radius_maxmin : float
        Largest cluster radius (geometric mean of its axis standard deviations)
        divided by the smallest, exactly (``>= 1``).
    scale : float
        Geometric mean of the radii (``> 0``).
    imbalance_ratio : float
        Largest cluster size divided by the smallest (``>= 1``, up to rounding).
    min_overlap, max_overlap : float
        Each cluster's nearest-neighbour overlap must be ``>= min_overlap`` and
        every pairwise overlap ``<= max_overlap``; ``0 < min < max < 1``. The bound is
        tight: the closest pair's overlap lies in ``[0.9 max_overlap, max_overlap]``
        (:mod:`synthkit.clusters.overlap_control`). Overlap is twice the minimax error of
        the best linear rule (:mod:`synthkit.clusters.overlap`), or the Bayes overlap.
    avg_overlap : float, optional
        Target of the mean pairwise overlap (MixSim's ``BarOmega``), met within 5%
        (1% in practice) together with both bounds; ``max_overlap`` is then an upper
        bound only. :class:`~synthkit.errors.OverlapError` names the bound to move when
        the combination is infeasible.
    nn_overlap : float, optional
        Target mode: every cluster's nearest-neighbour overlap near this value
        (``min_overlap < nn_overlap < max_overlap``), within 10% where reachable; the
        spread is reported in ``placement["extra"]["nn_overlap_spread"]``.
    packing : {"dense", "sparse"}
        How closely the clusters are packed under ``max_overlap``: ``"dense"`` brings
        most pairs near the maximum, so the level sets the difficulty of every pair;
        ``"sparse"`` brings only each cluster's nearest neighbour into the band
        (:mod:`synthkit.clusters.centers`).
    overlap : {"linear", "bayes"}
        ``"bayes"``: the bounds apply to the Bayes overlap, the sum of the two
        misclassification probabilities of the optimal quadratic rule, computed exactly
        (:func:`synthkit.overlap.bayes_overlap`; normal clusters only; seconds per dataset).
    distributions : sequence
        Families (``"normal"``, ``("student_t", {"df": 4})``, ...), see
        :mod:`synthkit.clusters.distributions`.
    distribution_proportions : sequence of float, optional
        Share of clusters per family (default equal); counts by largest remainder.
    name : str
    nonconvex : {None, "distort", "sphere"}
        Optional shape transformation after sampling (overlap re-measured).
    distortion_strength : float
        Lipschitz bound of the distortion, in (0, 1).
    on_infeasible : {"raise", "return"}
        When the overlap constraints cannot be certified (the package-wide name for what
        to do with a constraint that cannot be met): raise
        :class:`~synthkit.errors.OverlapError` or return the best dataset with
        ``placement["certified"] == False``.
    max_restarts : int
        Restarts of the center placement.
    n_reference : int
        Reference draws per non-normal family for the certified best-linear overlap
        (its standard error shrinks as ``1 / sqrt(n_reference)``).
    on_fail : {"raise", "return"}, optional
        Deprecated name of ``on_infeasible`` (a :class:`DeprecationWarning`).

    Examples
    --------
    >>> arch = Archetype(n_clusters=4, dim=3, n_samples=200, max_overlap=0.05, min_overlap=0.001)
    >>> ds = arch.sample(seed=7)
    >>> ds.placement["certified"], ds.X.shape
    (True, (200, 3))
    """

    n_clusters: int = 6
    dim: int = 2
    n_samples: int = 500
    aspect_ref: float = 1.5
    aspect_maxmin: float = 2.0
    radius_maxmin: float = 3.0
    scale: float = 1.0
    imbalance_ratio: float = 2.0
    min_overlap: float = 1e-3
    max_overlap: float = 0.05
    avg_overlap: float | None = None
    nn_overlap: float | None = None
    packing: str = "dense"
    overlap: str = "linear"
    distributions: Sequence[Any] = ("normal",)
    distribution_proportions: Sequence[float] | None = None
    name: str = "archetype"
    nonconvex: str | None = None
    distortion_strength: float = 0.6
    on_infeasible: str = "raise"
    max_restarts: int = 5
    n_reference: int = DEFAULT_N_REFERENCE
    on_fail: InitVar[str | None] = None
    _families: list[ClusterDistribution] = field(default_factory=list, repr=False,
                                                 compare=False)

    def __post_init__(self, on_fail: str | None = None):
        if on_fail is not None:
            warn_renamed("Archetype(on_fail=...)", "Archetype(on_infeasible=...)", stacklevel=4)
            self.on_infeasible = on_fail
        self._validate()

    # ------------------------------------------------------------ checking
    def _validate(self) -> None:
        def integer(name, lo):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Integral):
                if isinstance(v, Real) and float(v).is_integer():
                    v = int(v)
                else:
                    raise SpecError(f"`{name}` must be an integer >= {lo}, got {v!r}")
            if v < lo:
                raise SpecError(f"`{name}` must be an integer >= {lo}, got {v}")
            if v > MAX_COUNT:
                raise SpecError(f"`{name}` must be an integer at most 2^53, got {_shown(v)}")
            setattr(self, name, int(v))

        def real(name, lo, strict=False, hint=""):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Real) or not _finite(v):
                raise SpecError(f"`{name}` must be a finite number, got {_shown(v)}")
            v = float(v)
            if v < lo or (strict and v == lo):
                rel = ">" if strict else ">="
                raise SpecError(f"`{name}` must be {rel} {lo:g}{hint}, got {v:g}")
            setattr(self, name, v)

        integer("n_clusters", 1)
        integer("dim", 1)
        integer("n_samples", 1)
        integer("max_restarts", 1)
        integer("n_reference", 1000)
        if self.n_samples < self.n_clusters:
            raise SpecError(
                f"`n_samples` ({self.n_samples}) must be at least `n_clusters` "
                f"({self.n_clusters}): every cluster needs a point"
            )
        # points, one p x p factor per cluster, and the placement's k x k pair arrays (about
        # two dozen float arrays: a measured peak of ~180 bytes per pair of clusters)
        k, p = self.n_clusters, self.dim
        check_memory(8.0 * (self.n_samples * p + k * p * p) + 200.0 * k * k,
                     f"an archetype with {k:,} clusters, {p:,} dimensions and {self.n_samples:,} "
                     "points", "lower `n_clusters`, `dim` or `n_samples`")
        ratio_hint = " (a ratio of largest to smallest; 1 means all equal)"
        for name in ("aspect_ref", "aspect_maxmin", "radius_maxmin", "imbalance_ratio"):
            v = getattr(self, name)
            if isinstance(v, Real) and not isinstance(v, bool) and v <= 0:
                raise SpecError(f"`{name}` must be a positive ratio >= 1, got {_shown(v)}")
            real(name, 1.0, hint=ratio_hint)
        if self.aspect_ref * self.aspect_maxmin > MAX_ASPECT:
            raise SpecError(
                f"`aspect_ref` x `aspect_maxmin` must be at most {MAX_ASPECT:g} (the longest axis "
                f"{MAX_ASPECT:g} times the shortest: covariances stay well conditioned), got "
                f"{self.aspect_ref:g} x {self.aspect_maxmin:g}")
        for name in ("radius_maxmin", "imbalance_ratio"):
            if getattr(self, name) > MAX_RATIO:
                raise SpecError(f"`{name}` must be at most {MAX_RATIO:g}, got {getattr(self, name):g}")
        real("scale", 0.0, strict=True)
        self.min_overlap, self.max_overlap, self.avg_overlap, self.nn_overlap = check_overlap_targets(
            self.min_overlap, self.max_overlap, self.avg_overlap, self.nn_overlap, self.overlap)
        check_packing(self.packing)
        if self.nonconvex is not None and self.nonconvex not in NONCONVEX_KINDS:
            raise SpecError(f"`nonconvex` must be None or one of {list(NONCONVEX_KINDS)}, "
                            f"got {self.nonconvex!r}")
        v = self.distortion_strength
        if isinstance(v, bool) or not isinstance(v, Real) or not (0 < float(v) < 1):
            raise SpecError(f"`distortion_strength` must be in (0, 1), got {v!r}")
        self.distortion_strength = float(v)
        if self.on_infeasible not in ("raise", "return"):
            raise SpecError(f"`on_infeasible` must be 'raise' or 'return', got {self.on_infeasible!r}")
        dists = self.distributions
        if isinstance(dists, (str, dict, ClusterDistribution)):
            dists = [dists]
        if isinstance(dists, tuple) and len(dists) == 2 and isinstance(dists[1], dict):
            dists = [dists]
        if not isinstance(dists, (list, tuple)):
            raise SpecError(f"`distributions` must be a family name or a list of them, got {dists!r:.80}")
        dists = list(dists)
        if not dists:
            raise SpecError("`distributions` must name at least one family, e.g. ['normal']")
        self._families = [parse_distribution(d) for d in dists]
        self.distributions = [d.to_dict() for d in self._families]
        props = self.distribution_proportions
        if props is None:
            props = [1.0] * len(dists)
        if not isinstance(props, (list, tuple, np.ndarray)):
            raise SpecError(f"`distribution_proportions` must be a list of numbers, got {props!r:.80}")
        props = list(props)
        if len(props) != len(dists):
            raise SpecError(
                f"`distribution_proportions` must have one entry per distribution "
                f"({len(dists)}), got {len(props)}"
            )
        if any(not isinstance(x, Real) or not math.isfinite(x) or x < 0 for x in props) or \
                sum(props) <= 0:
            raise SpecError(f"`distribution_proportions` must be non-negative numbers with a "
                            f"positive sum, got {props}")
        self.distribution_proportions = [float(x) / sum(props) for x in props]
        self.name = str(self.name)
        if self.overlap == "bayes" and any(f.name != "normal" for f in self._families):
            raise SpecError(
                "`overlap='bayes'` is the Bayes error of the quadratic rule, computed exactly "
                "for normal clusters only; use distributions=['normal'] or overlap='linear'"
            )

    # ------------------------------------------------------------ sampling
    def covariance_sampler(self) -> CovarianceSampler:
        return CovarianceSampler(self.aspect_ref, self.aspect_maxmin, self.radius_maxmin,
                                 self.scale)

    def _assign_families(self, rng: np.random.Generator) -> list[ClusterDistribution]:
        counts = largest_remainder(np.asarray(self.distribution_proportions), self.n_clusters)
        assigned = [f for f, c in zip(self._families, counts, strict=True) for _ in range(c)]
        order = rng.permutation(self.n_clusters)
        return [assigned[i] for i in order]

    def sample_mixture(self, seed: SeedLike = None) -> tuple[MixtureModel, dict]:
        """Draw a mixture model (shapes, sizes, families, certified centers) and its certificate."""
        with limit_threads(1):  # many small QR / eigh / solve calls: see synthkit._threads
            return self._sample_mixture(as_seed_sequence(seed))

    def _sample_mixture(self, root: np.random.SeedSequence) -> tuple[MixtureModel, dict]:
        k, p = self.n_clusters, self.dim
        factors, _ = self.covariance_sampler().sample(k, p, child_generator(root, 0))
        sizes = group_sizes(self.n_samples, k, self.imbalance_ratio, child_generator(root, 1))
        families = self._assign_families(child_generator(root, 2))
        mixture = MixtureModel(np.zeros((k, p)), factors, families, sizes,
                               reference_seed=seed_to_json(child_seed(root, 3)),
                               n_reference=self.n_reference)
        refs = mixture.references()
        placement = place_centers(factors, self.min_overlap, self.max_overlap,
                                  child_generator(root, 4), references=refs,
                                  on_infeasible=self.on_infeasible, max_restarts=self.max_restarts,
                                  avg_overlap=self.avg_overlap, nn_overlap=self.nn_overlap,
                                  overlap=self.overlap, packing=self.packing)
        mixture.centers = placement.centers
        return mixture, placement.to_dict()

    def sample(self, *args: Any, n: int | None = None, seed: SeedLike = None) -> ClusterDataset:
        """Draw one labelled dataset: ``sample(n=None, seed=None)``.

        Parameters
        ----------
        n : int, optional
            Points in the dataset; default the archetype's ``n_samples`` (otherwise the
            dataset's archetype is this one with ``n_samples=n``).
        seed : None, int, SeedSequence or Generator

        A single positional argument without ``seed=`` is read as the seed, the former
        ``sample(seed)`` form (deprecated: a :class:`DeprecationWarning` asks for
        ``seed=``); ``sample(n, seed=...)`` reads it as ``n``.

        Returns
        -------
        ClusterDataset

        Raises
        ------
        OverlapError
            If the overlap constraints cannot be certified and ``on_infeasible="raise"``.
        """
        n, seed = sample_args(args, n, seed, "Archetype")
        if n is not None and n != self.n_samples:
            return self.replace(n_samples=n)._sample(seed)
        return self._sample(seed)

    def _sample(self, seed: SeedLike) -> ClusterDataset:
        root = as_seed_sequence(seed)
        mixture, placement = self.sample_mixture(root)
        with limit_threads(1):  # small GEMMs are slower multi-threaded (see synthkit._threads)
            X, labels = mixture.sample(seed=child_seed(root, 5))
        nonconvex = None
        if self.nonconvex is not None:
            rng = child_generator(root, 6)
            if self.nonconvex == "distort":
                X, info = distort(X, rng, strength=self.distortion_strength)
            else:
                X, info = wrap_sphere(X)
            info.update(remeasure(X, labels, seed=child_seed(root, 7)))
            nonconvex = info
        provenance = {
            "archetype": self.name,
            "seed": seed_to_json(root),
            "synthkit_version": __version__,
        }
        return ClusterDataset(X, labels, mixture, archetype=self, placement=placement,
                              provenance=provenance, nonconvex=nonconvex)

    def iter_sample(self, n_datasets: int, seed: SeedLike = None,
                    progress: bool | None = None) -> Iterator[ClusterDataset]:
        """Yield ``n_datasets`` different datasets; dataset ``d`` uses child ``d`` of the seed.

        ``progress``: a bar over the datasets, shown on a terminal by default (None);
        True or False forces it on or off.
        """
        if isinstance(n_datasets, bool) or not isinstance(n_datasets, Integral) or n_datasets < 1:
            raise SpecError(f"`n_datasets` must be a positive integer, got {n_datasets!r}")
        from .._progress import progress_bar

        root = as_seed_sequence(seed)
        for d in progress_bar(range(int(n_datasets)), progress=progress, desc=self.name,
                              unit="dataset"):
            yield self._sample(child_seed(root, d))

    def sample_many(self, n_datasets: int, seed: SeedLike = None,
                    progress: bool | None = None) -> list[ClusterDataset]:
        """``n_datasets`` reproducible, different datasets (one seed controls all of them).

        A progress bar over the datasets is shown on a terminal; ``progress=True`` or
        ``False`` forces it on or off.

        Examples
        --------
        >>> a = Archetype(n_clusters=2, dim=2, n_samples=20)
        >>> [d.X.shape for d in a.sample_many(2, seed=0)]
        [(20, 2), (20, 2)]
        """
        return list(self.iter_sample(n_datasets, seed, progress))

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """JSON-able record (``format: "synthkit-archetype"``, ``format_version: 1``)."""
        params = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        params["distributions"] = [d.to_dict() for d in self._families]
        params["distribution_proportions"] = list(self.distribution_proportions)
        return {"format": ARCHETYPE_FORMAT, "format_version": 1, "params": params}

    @classmethod
    def from_dict(cls, d: dict) -> Archetype:
        if not isinstance(d, dict):
            raise ModelFileError(f"an archetype must be a mapping, got {type(d).__name__}")
        if d.get("format", ARCHETYPE_FORMAT) != ARCHETYPE_FORMAT:
            raise ModelFileError(f"not a {ARCHETYPE_FORMAT} document (format {d.get('format')!r})")
        if d.get("format_version", 1) != 1:
            raise ModelFileError(f"archetype format_version {d.get('format_version')!r} is not "
                                 f"supported (this synthkit reads version 1)")
        params = d.get("params", d)
        if not isinstance(params, dict):
            raise ModelFileError(f"archetype `params` must be a mapping, got {type(params).__name__}")
        params = {k: v for k, v in params.items() if k not in ("format", "format_version")}
        cls._check_names(params)
        if "on_fail" in params:  # files written before the parameter was renamed
            params.setdefault("on_infeasible", params.pop("on_fail"))
            params.pop("on_fail", None)
        return cls(**params)

    @classmethod
    def _check_names(cls, params: dict) -> None:
        known = {f.name for f in fields(cls) if not f.name.startswith("_")} | {"on_fail"}
        unknown = set(params) - known
        if unknown:
            raise SpecError(f"unknown archetype parameter(s) {sorted(unknown, key=str)}; known: "
                            f"{sorted(known)}")

    def save(self, path: str | os.PathLike, *, parents: bool = False) -> Path:
        """Write the archetype as JSON (atomic; ``parents=True`` creates a missing folder first)."""
        return write_json(path, self.to_dict(), parents=parents)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Archetype:
        """Read an archetype written by :meth:`save`."""
        return cls.from_dict(read_json(path, expected_format=ARCHETYPE_FORMAT,
                                       supported_versions=(1,)))

    @classmethod
    def from_description(cls, text: str, *, strict: bool = True, **overrides) -> Archetype:
        """Build an archetype from an English description (offline, deterministic).

        See :mod:`synthkit.clusters.describe` for the vocabulary. Unknown words
        raise :class:`~synthkit.errors.SpecError` listing them; with
        ``strict=False`` they are skipped and listed in the archetype's ``name``.
        Keyword ``overrides`` set parameters directly (e.g. ``n_samples=2000``).

        Examples
        --------
        >>> a = Archetype.from_description("ten oblong clusters in 50 dimensions")
        >>> a.n_clusters, a.dim
        (10, 50)
        """
        from .describe import parse_description

        params = parse_description(text, strict=strict)
        cls._check_names(overrides)
        params.update(overrides)
        return cls(**params)

    @classmethod
    def from_data(cls, X: Any, labels: Any, **overrides: Any) -> Archetype:
        """Estimate an archetype from a real labelled dataset: cluster shapes, sizes,
        families and the overlap matrix (see :mod:`synthkit.clusters.estimate`;
        :func:`synthkit.clusters.fit_archetype` also returns the estimates).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True)
        >>> a = Archetype.from_data(X, y)
        >>> a.n_clusters, a.dim, a.n_samples
        (3, 4, 150)
        """
        from .estimate import archetype_params

        cls._check_names({k: v for k, v in overrides.items() if k != "family_alpha"})
        return cls(**archetype_params(X, labels, **overrides))

    def replace(self, **changes) -> Archetype:
        """A copy with some parameters changed (validated)."""
        params = self.to_dict()["params"]
        self._check_names(changes)
        params.update(changes)
        return Archetype(**params)
